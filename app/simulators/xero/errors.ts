/**
 * Xero's error bodies: 404, the fault statuses (429/500/503) and the ValidationException envelope.
 */
import type { Response } from 'express';
import { contactFieldRefusals } from './contact-fields.js';

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
    Elements: [withErrors(element, messages)],
  };
}

/** An item Xero refused inside a request with summarizeErrors=false: echoed with its errors. */
export function itemRefused(raw: Record<string, unknown>, errors: string[]): Record<string, unknown> {
  return { ...withErrors(raw, errors), StatusAttributeString: 'ERROR', HasValidationErrors: true };
}

/**
 * The element echoed with its ValidationErrors. Those about its Contact's own fields (its name, its
 * e-mail) Xero files under that Contact, leaving the element's own list without them, empty when
 * nothing else was wrong (waynerobinson/xeroizer#477: "the validation error is nested under the
 * contact"; XeroAPI/xero-node#177 shows an invoice's Contact with ValidationErrors of its own).
 */
function withErrors(element: unknown, messages: string[]): Record<string, unknown> {
  const echoed = { ...(element as Record<string, unknown>) };
  const contact = echoed.Contact;
  const aboutContact = new Set(contactFieldRefusals(contact));
  const own = messages.filter((m) => !aboutContact.has(m));
  const nested = messages.filter((m) => aboutContact.has(m));
  if (nested.length) {
    echoed.Contact = { ...(contact as object), HasValidationErrors: true, ValidationErrors: nested.map((Message) => ({ Message })) };
  }
  return { ...echoed, ValidationErrors: own.map((Message) => ({ Message })) };
}

export function itemOk(opts: { summarizeErrors?: boolean }): Record<string, unknown> {
  return opts.summarizeErrors === false ? { StatusAttributeString: 'OK' } : {};
}
