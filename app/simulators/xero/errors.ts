/**
 * Xero's error bodies: 404, the fault statuses (429/500/503) and the ValidationException envelope.
 */
import type { Response } from 'express';

export function notFound(res: Response): void {
  res.status(404).json({ Type: null, Title: 'Resource Not Found', Status: 404, Detail: "The resource you're looking for cannot be found", Extensions: {} });
}

export function xeroErrorBody(status: number): unknown {
  if (status === 429) return { Type: null, Title: 'Too Many Requests', Status: 429, Detail: 'Rate limit exceeded', Extensions: {} };
  // The accounting API's 400 is its ValidationException (developer.xero.com responsecodes: "A validation exception has occurred").
  if (status === 400) return validationBody(['The simulator was told to refuse this']);
  return {
    Type: null,
    Title: status === 503 ? 'Service Unavailable' : 'Internal Server Error',
    Status: status,
    Detail: 'The simulator was told to fail',
    Extensions: {},
  };
}

/**
 * Xero's answer to a `where` it cannot parse, e.g. one whose string holds a double quote, escaped
 * or not: 400 `{"ErrorNumber":16,"Type":"QueryParseException","Message":"Syntax error"}`
 * (XeroAPI/Xero-Java#347, waynerobinson/xeroizer#160).
 */
export function queryParseError(res: Response): void {
  res.status(400).json({ ErrorNumber: 16, Type: 'QueryParseException', Message: 'Syntax error' });
}

export function validationError(res: Response, messages: string[], element: unknown = {}): void {
  res.status(400).json(validationBody(messages, element));
}

export function validationBody(messages: string[], element: unknown = {}): unknown {
  return {
    ErrorNumber: 10,
    Type: 'ValidationException',
    Message: 'A validation exception occurred',
    Elements: [{ ...(element as object), ValidationErrors: messages.map((Message) => ({ Message })) }],
  };
}

/** An item Xero refused inside a request with summarizeErrors=false: echoed with its errors. */
export function itemRefused(raw: Record<string, unknown>, errors: string[]): Record<string, unknown> {
  return { ...raw, StatusAttributeString: 'ERROR', HasValidationErrors: true, ValidationErrors: errors.map((Message) => ({ Message })) };
}

export function itemOk(opts: { summarizeErrors?: boolean }): Record<string, unknown> {
  return opts.summarizeErrors === false ? { StatusAttributeString: 'OK' } : {};
}
