import type { Request, RequestHandler, Response } from 'express';
import type { Clock } from '../clock.js';
import { TooManyRequests } from '../errors.js';
import { clientOf } from './client-address.js';

/**
 * Fixed-window counters in this process's memory, for public routes where asking the database
 * whether to let a request in would itself be the query a flood is after (the /pay limits live in
 * the database because each /pay click costs a Xero call; these only guard a read or two). Per
 * process, so N web processes allow N times the limit: still a bound, and it costs nothing.
 * Memory is bounded: past maxEntries the oldest counter is dropped (a client so evicted only gets a
 * fresh window, which a client with that many addresses has anyway).
 */
export function createBurstLimiter(deps: { clock: Clock; limit: number; windowSeconds: number; maxEntries?: number }) {
  const windowMs = deps.windowSeconds * 1000;
  const maxEntries = deps.maxEntries ?? 20_000;
  // Map order is insertion order; a counter is re-inserted when its window restarts, so the first
  // key is always the one whose window started longest ago.
  const counts = new Map<string, { start: number; n: number }>();

  const current = (key: string, now: number) => {
    const start = Math.floor(now / windowMs) * windowMs;
    const entry = counts.get(key);
    if (entry && entry.start === start) return entry;
    counts.delete(key);
    while (counts.size >= maxEntries) counts.delete(counts.keys().next().value!);
    const fresh = { start, n: 0 };
    counts.set(key, fresh);
    return fresh;
  };
  const wait = (entry: { start: number }, now: number) => Math.max(1, Math.ceil((entry.start + windowMs - now) / 1000));

  return {
    /** Counts one request for key: the seconds until its window reopens when it is over the limit, else null. */
    hit(key: string): number | null {
      if (deps.limit <= 0) return null;
      const now = deps.clock().getTime();
      const entry = current(key, now);
      entry.n += 1;
      return entry.n > deps.limit ? wait(entry, now) : null;
    },
    /** Whether key has used up its window already, without counting: seconds to wait, else null. */
    spent(key: string): number | null {
      if (deps.limit <= 0) return null;
      const now = deps.clock().getTime();
      const entry = counts.get(key);
      if (!entry || entry.start + windowMs <= now || entry.n < deps.limit) return null;
      return wait(entry, now);
    },
    /** Counters held (for tests of the bound). */
    get size(): number {
      return counts.size;
    },
  };
}

export type BurstLimiter = ReturnType<typeof createBurstLimiter>;

/** The key a request is counted by on route group `scope`: IPv4 address or IPv6 /64, through TRUST_PROXY's proxies only. */
export function burstKey(scope: string, req: Request): string {
  return `${scope}:${clientOf(req).key}`;
}

/**
 * Counts each request of route group `scope` before the route reads anything; over the limit the
 * request ends here: by `refuse` when given (a probe's bare 429), else as TooManyRequests, which the
 * error handler answers with its page (or JSON) and Retry-After.
 */
export function burstGuard(limiter: BurstLimiter, scope: string, refuse?: (res: Response, retryAfterSeconds: number) => void): RequestHandler {
  return (req, res, next) => {
    const wait = limiter.hit(burstKey(scope, req));
    if (wait === null) return next();
    if (refuse) return refuse(res, wait);
    next(new TooManyRequests(`burst limit ${scope}`, wait));
  };
}
