/**
 * How xero-node fails, in our terms: the typed errors only the Xero client throws, and the one
 * place that reads the SDK's failures (API calls, token requests) into UpstreamError.
 */
import { retryAfterSeconds } from '../retry-after.js';
import { UpstreamError } from '../types.js';

/** The merchant's OAuth connection is gone (invalid_grant, revoked, disconnected): nothing to retry until they reconnect. */
export class XeroDisconnected extends UpstreamError {
  constructor(
    readonly merchantId: string,
    reason: string,
  ) {
    super('xero', 'unauthorized', `Xero disconnected — reconnect (${reason})`);
    this.name = 'XeroDisconnected';
  }
  override get retryable(): boolean {
    return false;
  }
}

/**
 * Xero refused a call with 401 though the token was just issued or refreshed: not an expired token
 * but a scope the connection was not granted. Another token will not help; reconnecting with the
 * scope will. Xero's body for it ("AuthorizationUnsuccessful" or another) is not relied on.
 */
export class XeroScopeMissing extends UpstreamError {
  constructor(
    readonly scope: string,
    readonly detail: string,
  ) {
    super('xero', 'unauthorized', `Xero did not grant ${scope}: reconnect to Xero`, 401);
    this.name = 'XeroScopeMissing';
  }
  override get retryable(): boolean {
    return false;
  }
}

/**
 * Xero refused a write with ValidationErrors (a 400, an item of a batch, or a 200 carrying them):
 * the one refusal of a write that says it made nothing, so an attempt mark may be cleared on it
 * (send-once.ts). Any other 4xx (404, 409, a 400 without them) says nothing of the kind.
 */
export class XeroValidationRefusal extends UpstreamError {
  constructor(message: string) {
    super('xero', 'rejected', message, 400);
    this.name = 'XeroValidationRefusal';
  }
}

/** The authorisation server refused the code (or the answer failed its checks). */
export class OAuthRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OAuthRefused';
  }
}

interface Failure {
  status: number; // 0 when no HTTP answer (network error, timeout)
  body: unknown;
  headers: Record<string, unknown>;
  text: string; // network error message
}

/**
 * The one place that understands how xero-node fails: API calls reject with a JSON *string*
 * `{response:{statusCode, body, headers}}` (statusCode 0 and the axios message as body on network
 * errors), token requests with the (redacted) axios error. undefined: not an upstream failure.
 */
export function readFailure(err: unknown): Failure | undefined {
  if (typeof err === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(err);
    } catch {
      return undefined;
    }
    const r = (parsed as { response?: { statusCode?: unknown; body?: unknown; headers?: unknown } } | null)?.response;
    if (!r || typeof r.statusCode !== 'number') return undefined;
    return { status: r.statusCode, body: r.body, headers: asRecord(r.headers), text: typeof r.body === 'string' ? r.body : '' };
  }
  if (err && typeof err === 'object') {
    const e = err as { isAxiosError?: boolean; response?: { status?: number; data?: unknown; headers?: unknown }; message?: string; body?: unknown };
    if (e.isAxiosError || (e.response && typeof e.response === 'object')) {
      return { status: e.response?.status ?? 0, body: e.response?.data ?? e.body, headers: asRecord(e.response?.headers), text: e.message ?? '' };
    }
  }
  return undefined;
}

export function toUpstreamError(err: unknown, context: 'api' | 'token', now: () => Date): UpstreamError | undefined {
  if (err instanceof UpstreamError) return err;
  const f = readFailure(err);
  if (!f) return undefined;
  const message = failureMessage(f);
  if (f.status === 0) return new UpstreamError('xero', 'unavailable', message || 'network error');
  if (f.status >= 500 || f.status === 408) return new UpstreamError('xero', 'unavailable', message, f.status);
  if (f.status === 429) return new UpstreamError('xero', 'rate_limited', message, 429, headerRetryAfter(f.headers, now));
  // Any refusal at the token endpoint (invalid_client, unauthorized_client…) means bad credentials.
  if (f.status === 401 || f.status === 403 || context === 'token') return new UpstreamError('xero', 'unauthorized', message, f.status);
  if (f.status === 400 && validationErrors(f.body).length) return new XeroValidationRefusal(message);
  return new UpstreamError('xero', 'rejected', message, f.status);
}

/** Xero's own words only: never request headers or config, which carry tokens and secrets. */
function failureMessage(f: Failure): string {
  const fromBody = bodyMessage(f.body);
  if (fromBody) return fromBody;
  if (f.status === 0) return f.text;
  return `HTTP ${f.status}`;
}

/** The messages of the ValidationErrors in a ValidationException body (`Elements[].ValidationErrors[].Message`). */
function validationErrors(body: unknown): string[] {
  if (!body || typeof body !== 'object') return [];
  const b = body as Record<string, unknown>;
  const elements = Array.isArray(b.Elements) ? (b.Elements as { ValidationErrors?: unknown }[]) : [];
  return elements
    .flatMap((el) => (Array.isArray(el?.ValidationErrors) ? (el.ValidationErrors as { Message?: unknown }[]) : []))
    .map((v) => v?.Message)
    .filter((m): m is string => typeof m === 'string' && m.length > 0);
}

function bodyMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (!body || typeof body !== 'object') return '';
  const b = body as Record<string, unknown>;
  const validation = validationErrors(body);
  if (validation.length) return [...new Set(validation)].join('; ');
  for (const key of ['Message', 'Detail', 'Title', 'error_description', 'error']) {
    const v = b[key];
    if (typeof v === 'string' && v) return v;
  }
  return '';
}

/** The Retry-After header, whatever its case, in seconds. */
export function headerRetryAfter(headers: Record<string, unknown>, now: () => Date): number | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'retry-after');
  return retryAfterSeconds(key === undefined ? undefined : headers[key], now);
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' ? { ...(value as Record<string, unknown>) } : {};
}

export function unexpected(what: string): UpstreamError {
  return new UpstreamError('xero', 'unavailable', `unexpected response: ${what}`);
}

/** The record a create answered with; `missing` is the error's words when there is none. */
export function firstCreated<T>(rows: T[] | undefined, missing: string): T {
  const created = rows?.[0];
  if (!created) throw unexpected(missing);
  return created;
}

/** A create whose answer carries ValidationErrors was refused (Xero may answer 200 with them). */
export function refusedIfInvalid<T extends { validationErrors?: { message?: string }[] }>(created: T): T {
  if (created.validationErrors?.length) throw new XeroValidationRefusal(created.validationErrors.map((e) => e.message).join('; '));
  return created;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : typeof err === 'string' ? err.slice(0, 200) : 'unknown error';
}

/** The OAuth `error` code in a token endpoint's answer (invalid_grant, invalid_client…). */
export function oauthError(body: unknown): string {
  const b = typeof body === 'string' ? safeJson(body) : body;
  return b && typeof b === 'object' && typeof (b as { error?: unknown }).error === 'string' ? (b as { error: string }).error : '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
