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
  if (f.status === 429) return new UpstreamError('xero', 'rate_limited', message, 429, rateLimitWaitSeconds(f.headers, now));
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

/** The messages of the ValidationErrors in a ValidationException body, those under its elements' sub-objects too. */
function validationErrors(body: unknown): string[] {
  const elements = body && typeof body === 'object' ? (body as Record<string, unknown>).Elements : undefined;
  return Array.isArray(elements) ? validationMessages(elements) : [];
}

function bodyMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (!body || typeof body !== 'object') return '';
  const b = body as Record<string, unknown>;
  const validation = validationErrors(body);
  if (validation.length) return validation.join('; ');
  for (const key of ['Message', 'Detail', 'Title', 'error_description', 'error']) {
    const v = b[key];
    if (typeof v === 'string' && v) return v;
  }
  return '';
}

/** How far below an element ValidationErrors are looked for: its Contact (1), a line's (1), a payment's invoice's contact (2). */
const NESTED_DEPTH = 3;
/** Objects looked through at most, so a large echoed element costs little. */
const NESTED_NODES = 500;

/**
 * Every ValidationErrors message of what Xero answered (an element, a list of them), as its JSON
 * spells them (ValidationErrors[].Message) or xero-node's models do (validationErrors[].message),
 * each once, the element's own first. Xero files some under a sub-object and leaves the element's
 * own list empty: an invoice's, credit note's or bank transaction's refusal about its Contact
 * (waynerobinson/xeroizer#477; XeroAPI/xero-node#177 shows a Contact's and the lines' lists).
 */
export function validationMessages(answered: unknown): string[] {
  const found = new Set<string>();
  let level = Array.isArray(answered) ? answered : [answered];
  let looked = 0;
  for (let depth = 0; depth <= NESTED_DEPTH && level.length; depth++) {
    const next: unknown[] = [];
    for (const node of level) {
      if (!node || typeof node !== 'object' || ++looked > NESTED_NODES) continue;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'ValidationErrors' || key === 'validationErrors') {
          for (const v of Array.isArray(value) ? (value as { Message?: unknown; message?: unknown }[]) : []) {
            const m = v?.Message ?? v?.message;
            if (typeof m === 'string' && m) found.add(m);
          }
        } else if (value && typeof value === 'object') next.push(...(Array.isArray(value) ? value : [value]));
      }
    }
    level = next;
  }
  return [...found];
}

/** A call of an organisation whose calls in progress are at Xero's concurrent limit is tried again this much later. */
export const CONCURRENT_RETRY_SECONDS = 1;

/**
 * How long a 429 says to wait, in seconds: its Retry-After, which Xero sends for the minute and daily
 * limits only (developer.xero.com/documentation/guides/oauth2/limits, "API rate limits"); for the
 * concurrent limit (X-Rate-Limit-Problem: concurrent) a call in progress ending frees it, so a
 * second. undefined when the 429 says neither: the caller stays on its conservative default.
 */
export function rateLimitWaitSeconds(headers: Record<string, unknown>, now: () => Date): number | undefined {
  const retryAfter = headerRetryAfter(headers, now);
  if (retryAfter !== undefined) return retryAfter;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'x-rate-limit-problem');
  return key !== undefined && /concurrent/i.test(String(headers[key])) ? CONCURRENT_RETRY_SECONDS : undefined;
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

/**
 * A create whose answer carries ValidationErrors was refused (Xero may answer 200 with them); its
 * message names those under its sub-objects too (validationMessages).
 */
export function refusedIfInvalid<T extends { validationErrors?: { message?: string }[] }>(created: T): T {
  if (created.validationErrors?.length) throw new XeroValidationRefusal(validationMessages(created).join('; ') || 'Xero refused it without a message');
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
