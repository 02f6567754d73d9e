import type { Clock } from '../clock.js';
import { safeEqual } from '../security/secrets.js';

/**
 * Verifies x-callback-token against the merchant's token, remembering each opened token for a few
 * seconds so a burst of callbacks costs no query. Safe under rotation: a token that does not match
 * the remembered one is checked against the database before it is refused, so a new token works at
 * once; an old token is accepted for at most `ttlMs` after it was replaced (per process).
 */
export function createCallbackTokenCache(deps: {
  load: (merchantId: string) => Promise<string | undefined>;
  clock: Clock;
  ttlMs?: number;
  maxEntries?: number;
}) {
  const ttlMs = deps.ttlMs ?? 5_000;
  const maxEntries = deps.maxEntries ?? 1_000;
  const cache = new Map<string, { token: string; until: number }>();

  async function fresh(merchantId: string): Promise<string | undefined> {
    const token = await deps.load(merchantId);
    if (token === undefined) cache.delete(merchantId);
    else {
      if (cache.size >= maxEntries) cache.clear();
      cache.set(merchantId, { token, until: deps.clock().getTime() + ttlMs });
    }
    return token;
  }

  return {
    /** 'unknown' merchant, or whether `given` is its token ('' never matches). */
    async check(merchantId: string, given: string | undefined): Promise<'unknown' | boolean> {
      const hit = cache.get(merchantId);
      const ok = (token: string) => Boolean(given) && token !== '' && safeEqual(given!, token);
      if (hit && hit.until > deps.clock().getTime() && ok(hit.token)) return true;
      const token = await fresh(merchantId);
      if (token === undefined) return 'unknown';
      return ok(token);
    },
    /** This process changed the merchant's token: forget it now. */
    forget(merchantId: string): void {
      cache.delete(merchantId);
    },
  };
}

export type CallbackTokenCache = ReturnType<typeof createCallbackTokenCache>;
