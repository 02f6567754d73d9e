import type { Clock } from '../clock.js';
import type { RateLimitStore } from '../store/rate-limits.js';
import { TooManyRequests } from '../errors.js';

export interface RateRule {
  /** Hits allowed per window; 0 means no limit. */
  limit: number;
  windowSeconds: number;
}

/** One counter to count a request against. */
export interface RateCounter {
  key: string;
  rule: RateRule;
}

/**
 * Fixed-window counters in the database, so every web process shares them (and the embedded
 * database behaves the same). All counters of a request are counted in one round trip; throws
 * TooManyRequests for the first one over its limit, with the seconds until its window reopens.
 * A key may appear only once per call.
 */
export function createRateLimiter(deps: { store: RateLimitStore; clock: Clock }) {
  return async function consume(...counters: RateCounter[]): Promise<void> {
    const now = deps.clock().getTime();
    const windows = countedWindows(counters, now);
    if (!windows.length) return;
    refuseOverLimit(windows, await deps.store.hit(windows), now);
  };
}

export interface CountedWindow extends RateCounter {
  windowStart: Date;
  windowMs: number;
}

/** The fixed windows `now` falls in, for the counters that have a limit. */
export function countedWindows(counters: RateCounter[], now: number): CountedWindow[] {
  return counters
    .filter((c) => c.rule.limit > 0)
    .map((c) => {
      const windowMs = c.rule.windowSeconds * 1000;
      return { ...c, windowMs, windowStart: new Date(Math.floor(now / windowMs) * windowMs) };
    });
}

/** Throws TooManyRequests for the first window whose count is over its limit. */
export function refuseOverLimit(windows: CountedWindow[], hits: Map<string, number>, now: number): void {
  for (const w of windows) {
    const n = hits.get(w.key) ?? 0;
    if (n > w.rule.limit) {
      const reopens = w.windowStart.getTime() + w.windowMs;
      throw new TooManyRequests(`rate limit ${w.key}: ${n} > ${w.rule.limit} per ${w.rule.windowSeconds}s`, Math.max(1, Math.ceil((reopens - now) / 1000)), {
        now: new Date(now),
        reopensAt: new Date(reopens),
      });
    }
  }
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
