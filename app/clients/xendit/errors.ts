/** How xendit-node fails, in our terms (UpstreamError). */
import { XenditSdkError } from 'xendit-node/runtime.js';
import type { CreateRefund400ResponseErrorCodeEnum } from 'xendit-node/refund/models/index.js';
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

/**
 * Why Xendit refuses one refund (its payment, its amount, the balance), from xendit-node's
 * CreateRefund 400 codes: the ones that say the refund itself cannot be made. docs.xendit.co QR
 * codes "Test scenarios" answer INELIGIBLE_TRANSACTION with a 403, so on POST /refunds these are the
 * refund's refusal ('rejected') whatever the status. Any other 403 (xendit-node's CreateRefund 403
 * lists only UNAUTHORIZED; REQUEST_FORBIDDEN_ERROR: a key without the permission), and every 403 of
 * another call, is the key's problem: no other 403 is documented as anything else.
 */
export const REFUND_REFUSALS = [
  'INSUFFICIENT_BALANCE',
  'INELIGIBLE_TRANSACTION',
  'REFUND_NOT_SUPPORTED',
  'PARTIAL_REFUND_NOT_SUPPORTED',
  'MAXIMUM_REFUND_AMOUNT_REACHED',
  'REFUND_IN_PROGRESS',
] as const satisfies readonly CreateRefund400ResponseErrorCodeEnum[];
const REFUSED_WITH_403: ReadonlySet<string> = new Set(REFUND_REFUSALS);
/** XenditCall's op of POST /refunds (refunds.ts), the one call whose 403 may refuse the refund rather than the key. */
export const CREATE_REFUND_OP = 'createRefund';

/** `op`: the call that failed (XenditCall's op). */
export function toUpstreamError(err: unknown, op: string, seen: WaitHeaders, now: () => Date): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof XenditSdkError) return fromSdkError(err, op, seen, now);
  // fetch failures: TypeError('fetch failed') with a cause, AbortError, the SDK's FetchError.
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  const detail = [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ');
  return new UpstreamError('xendit', 'unavailable', `network error: ${detail || 'unknown'}`);
}

function fromSdkError(err: XenditSdkError, op: string, seen: WaitHeaders, now: () => Date): UpstreamError {
  // Typed as string, but the SDK stores the HTTP status number.
  const status = Number(err.status);
  const message = [err.errorCode, err.errorMessage].filter(Boolean).join(': ') || `HTTP ${status}`;
  if (!Number.isInteger(status) || status === 0) return new UpstreamError('xendit', 'unavailable', message);
  const refundRefused = op === CREATE_REFUND_OP && REFUSED_WITH_403.has(err.errorCode ?? '');
  if (status === 401 || (status === 403 && !refundRefused)) return new UpstreamError('xendit', 'unauthorized', message, status);
  if (status === 429) return new UpstreamError('xendit', 'rate_limited', message, status, rateLimitWait(seen, now));
  if (status >= 500 || status === 408) return new UpstreamError('xendit', 'unavailable', message, status);
  return new UpstreamError('xendit', 'rejected', message, status, undefined, err.errorCode || undefined);
}

export function unexpected(what: string): UpstreamError {
  return new UpstreamError('xendit', 'unavailable', `unexpected response: ${what}`);
}
