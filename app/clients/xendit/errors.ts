/** How xendit-node fails, in our terms (UpstreamError). */
import { XenditSdkError } from 'xendit-node';
import { CreateRefund400ResponseErrorCodeEnum } from 'xendit-node/refund/models/index.js';
import { retryAfterSeconds } from '../retry-after.js';
import { UpstreamError } from '../types.js';

/** What an answer said of when to try again: the headers as sent, null when absent. */
export interface WaitHeaders {
  rateLimitReset?: string | null;
  retryAfter?: string | null;
}

/**
 * How long a 429 says to wait, in whole seconds. Xendit documents Rate-Limit-Reset, "the time
 * remaining in the current window (in seconds)", fractional (58.37), and no Retry-After
 * (docs.xendit.co/apidocs/rate-limits); a proxy in front of it may send Retry-After. Either is
 * right: with both, the later. At least a second, so a job is never asked back at once. Undefined:
 * neither said (the runner's back-off then decides).
 */
export function rateLimitWait(seen: WaitHeaders, now: () => Date): number | undefined {
  const said = [retryAfterSeconds(seen.rateLimitReset, now), retryAfterSeconds(seen.retryAfter, now)].filter((s) => s !== undefined);
  return said.length ? Math.max(1, ...said) : undefined;
}

export function toUpstreamError(err: unknown, seen: WaitHeaders, now: () => Date): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof XenditSdkError) return fromSdkError(err, seen, now);
  // fetch failures: TypeError('fetch failed') with a cause, AbortError, the SDK's FetchError.
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  const detail = [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ');
  return new UpstreamError('xendit', 'unavailable', `network error: ${detail || 'unknown'}`);
}

/**
 * Why Xendit refuses one refund (its payment, its amount, the balance): xendit-node lists these as
 * CreateRefund 400 codes, while docs.xendit.co QR codes "Test scenarios" answer INELIGIBLE_TRANSACTION
 * with a 403. Whatever the status, that refund is refused ('rejected'); a 403 with another code
 * (REQUEST_FORBIDDEN_ERROR: a key without the permission) stays the key's problem.
 */
const REFUND_REFUSALS: ReadonlySet<string> = new Set(Object.values(CreateRefund400ResponseErrorCodeEnum));

function fromSdkError(err: XenditSdkError, seen: WaitHeaders, now: () => Date): UpstreamError {
  // Typed as string, but the SDK stores the HTTP status number.
  const status = Number(err.status);
  const message = [err.errorCode, err.errorMessage].filter(Boolean).join(': ') || `HTTP ${status}`;
  if (!Number.isInteger(status) || status === 0) return new UpstreamError('xendit', 'unavailable', message);
  if (status === 401 || (status === 403 && !REFUND_REFUSALS.has(err.errorCode ?? ''))) return new UpstreamError('xendit', 'unauthorized', message, status);
  if (status === 429) return new UpstreamError('xendit', 'rate_limited', message, status, rateLimitWait(seen, now));
  if (status >= 500 || status === 408) return new UpstreamError('xendit', 'unavailable', message, status);
  return new UpstreamError('xendit', 'rejected', message, status, undefined, err.errorCode || undefined);
}

export function unexpected(what: string): UpstreamError {
  return new UpstreamError('xendit', 'unavailable', `unexpected response: ${what}`);
}
