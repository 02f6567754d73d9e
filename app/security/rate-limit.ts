import { isIPv6 } from 'node:net';
import type { Clock } from '../clock.js';
import type { RateLimitStore } from '../store/rate-limits.js';
import { TooManyRequests } from '../errors.js';

export interface RateRule {
  /** Hits allowed per window; 0 means no limit. */
  limit: number;
  windowSeconds: number;
}

/**
 * Fixed-window counters in the database, so every web process shares them (and the embedded
 * database behaves the same). Throws TooManyRequests with the seconds until the window reopens.
 */
export function createRateLimiter(deps: { store: RateLimitStore; clock: Clock }) {
  return async function consume(key: string, rule: RateRule): Promise<void> {
    if (rule.limit <= 0) return;
    const now = deps.clock().getTime();
    const windowMs = rule.windowSeconds * 1000;
    const start = Math.floor(now / windowMs) * windowMs;
    const hits = await deps.store.hit(key, new Date(start));
    if (hits > rule.limit) {
      throw new TooManyRequests(`rate limit ${key}: ${hits} > ${rule.limit} per ${rule.windowSeconds}s`, Math.max(1, Math.ceil((start + windowMs - now) / 1000)));
    }
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/**
 * The unit a client is counted by: the IPv4 address, or the /64 of an IPv6 address (one
 * subscriber usually holds a whole /64, so counting single addresses would be no limit at all).
 */
export function clientKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!isIPv6(ip)) return ip;
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':') + '::/64';
}
