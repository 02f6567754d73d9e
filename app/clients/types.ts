/**
 * What both upstream clients (clients/xero/, clients/xendit/) share: the errors they throw and
 * the observer told of every call. Each vendor's own types live in its folder.
 */

/**
 * unavailable: network error, timeout, 5xx — retry later.
 * rate_limited: 429 — retry after retryAfterSeconds.
 * rejected: 4xx validation (e.g. Xero 400 "payment exceeds amount due") — never retry.
 * unauthorized: 401/403, bad credentials or revoked connection.
 */
export type UpstreamErrorKind = 'unavailable' | 'rate_limited' | 'rejected' | 'unauthorized';

export class UpstreamError extends Error {
  constructor(
    readonly upstream: 'xero' | 'xendit',
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
    /** The upstream's own name for the failure (Xendit's error_code, e.g. UNAVAILABLE_PAYMENT_METHOD_ERROR). */
    readonly code?: string,
  ) {
    super(`${upstream} ${kind}${status ? ` (${status})` : ''}: ${message}`);
    this.name = 'UpstreamError';
  }
  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'rate_limited';
  }
  /** Our own rate budget refused the call before anything was sent (a 429 from upstream has a status). */
  get heldBack(): boolean {
    return this.kind === 'rate_limited' && this.status === undefined;
  }
}

/** null when the upstream answered 404 (no such record); any other failure is thrown. */
export async function nullWhenNotFound<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof UpstreamError && err.status === 404) return null;
    throw err;
  }
}

/** Told of every upstream call the clients make (app/metrics): latency and, when it failed, how. */
export interface CallObserver {
  /** `error` is the UpstreamError kind (or 'unexpected'); undefined when the call succeeded. */
  observe(op: string, seconds: number, error?: string): void;
}
