/** How xendit-node fails, in our terms (UpstreamError). */
import { XenditSdkError } from 'xendit-node';
import { retryAfterSeconds } from '../retry-after.js';
import { UpstreamError } from '../types.js';

export function toUpstreamError(err: unknown, retryAfter: string | null | undefined, now: () => Date): UpstreamError {
  if (err instanceof UpstreamError) return err;
  if (err instanceof XenditSdkError) return fromSdkError(err, retryAfter, now);
  // fetch failures: TypeError('fetch failed') with a cause, AbortError, the SDK's FetchError.
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } } | undefined;
  const detail = [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(': ');
  return new UpstreamError('xendit', 'unavailable', `network error: ${detail || 'unknown'}`);
}

function fromSdkError(err: XenditSdkError, retryAfter: string | null | undefined, now: () => Date): UpstreamError {
  // Typed as string, but the SDK stores the HTTP status number.
  const status = Number(err.status);
  const message = [err.errorCode, err.errorMessage].filter(Boolean).join(': ') || `HTTP ${status}`;
  if (!Number.isInteger(status) || status === 0) return new UpstreamError('xendit', 'unavailable', message);
  if (status === 401 || status === 403) return new UpstreamError('xendit', 'unauthorized', message, status);
  if (status === 429) return new UpstreamError('xendit', 'rate_limited', message, status, retryAfterSeconds(retryAfter, now));
  if (status >= 500 || status === 408) return new UpstreamError('xendit', 'unavailable', message, status);
  return new UpstreamError('xendit', 'rejected', message, status, undefined, err.errorCode || undefined);
}

export function unexpected(what: string): UpstreamError {
  return new UpstreamError('xendit', 'unavailable', `unexpected response: ${what}`);
}
