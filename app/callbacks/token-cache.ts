import { createHash } from 'node:crypto';
import type { Clock } from '../clock.js';
import { safeEqual } from '../security/secrets.js';

/**
 * Verifies x-callback-token against the merchant's token, remembering each opened token for a few
 * seconds so a burst of callbacks costs no query. Callbacks that find no token remembered while
 * the merchant is being read wait on that one read (at 200/s, a read that queues behind others for
 * 100 ms was otherwise made by each of the 20 that came meanwhile), and a token in use is read
 * again in its last `aheadMs`, in the background, so steady callbacks never wait on the database.
 * Each callback still compares its own token. Safe under rotation: a token that does not match
 * the remembered one is checked against the database before it is refused, so a new token works at
 * once; an old token is accepted for at most `ttlMs` after it was replaced (per process).
 *
 * A refusal is remembered too, for the pair (merchant, the token sent) only, so the same wrong
 * token sent again and again costs one query per `refusedTtlMs`. Another token (the merchant's
 * newly saved one among them) is never refused from memory. The one case it delays: a token the
 * database refused moments before it was saved (the merchant regenerated it at Xendit first) is
 * refused for the rest of `refusedTtlMs`, a few seconds, in the processes that saw it refused;
 * Xendit retries a callback it was refused, and `forget` clears it in the process that saved it
 * (the admin's key page calls it; the CLI is another process, where the few seconds remain).
 */
export function createCallbackTokenCache(deps: {
  load: (merchantId: string) => Promise<string | undefined>;
  clock: Clock;
  ttlMs?: number;
  refusedTtlMs?: number;
  maxEntries?: number;
}) {
  const ttlMs = deps.ttlMs ?? 5_000;
  const aheadMs = ttlMs / 5;
  const refusedTtlMs = deps.refusedTtlMs ?? 5_000;
  const maxEntries = deps.maxEntries ?? 1_000;
  const cache = new Map<string, { token: string; until: number }>();
  // Keyed by merchant and a hash of the token sent: a flood of long tokens holds 64 bytes each.
  const refused = new Map<string, { verdict: 'unknown' | false; until: number }>();

  const refusedKey = (merchantId: string, given: string | undefined) =>
    `${merchantId}\n${createHash('sha256')
      .update(given ?? '')
      .digest('base64url')}`;

  function remember(key: string, verdict: 'unknown' | false): void {
    refused.delete(key);
    // Oldest first out (Map order is insertion order): bounded whatever the flood.
    while (refused.size >= maxEntries) refused.delete(refused.keys().next().value!);
    refused.set(key, { verdict, until: deps.clock().getTime() + refusedTtlMs });
  }

  // Bumped by forget: a read that a save overtook may hold the token from before it, and is not remembered.
  let forgets = 0;

  async function fresh(merchantId: string): Promise<{ token: string | undefined; current: boolean }> {
    const before = forgets;
    const token = await deps.load(merchantId);
    const current = before === forgets;
    if (!current) return { token, current };
    if (token === undefined) cache.delete(merchantId);
    else {
      if (cache.size >= maxEntries) cache.clear();
      cache.set(merchantId, { token, until: deps.clock().getTime() + ttlMs });
    }
    return { token, current };
  }

  // The read in flight per merchant, and the forget count it started under: a check that starts
  // after a forget never joins a read from before it.
  const reading = new Map<string, { forgets: number; read: Promise<{ token: string | undefined; current: boolean }> }>();
  function shared(merchantId: string): Promise<{ token: string | undefined; current: boolean }> {
    const inFlight = reading.get(merchantId);
    if (inFlight && inFlight.forgets === forgets) return inFlight.read;
    const entry = { forgets, read: fresh(merchantId) };
    reading.set(merchantId, entry);
    const done = () => {
      if (reading.get(merchantId) === entry) reading.delete(merchantId);
    };
    entry.read.then(done, done);
    return entry.read;
  }

  return {
    /**
     * 'unknown' merchant, or whether `given` is its token ('' never matches). `beforeRead` runs
     * just before the database would be asked (a per-client limit may throw there).
     */
    async check(merchantId: string, given: string | undefined, beforeRead?: () => void | Promise<void>): Promise<'unknown' | boolean> {
      const now = deps.clock().getTime();
      const hit = cache.get(merchantId);
      const ok = (token: string) => Boolean(given) && token !== '' && safeEqual(given!, token);
      if (hit && hit.until > now && ok(hit.token)) {
        // A failed read ahead changes nothing: the entry lapses and the next check reads as usual.
        if (hit.until - now <= aheadMs && !reading.has(merchantId)) shared(merchantId).catch(() => undefined);
        return true;
      }
      const key = refusedKey(merchantId, given);
      const known = refused.get(key);
      if (known && known.until > now) return known.verdict;
      // Awaited only when it returns a promise: a check that needs nothing more starts its read now.
      const asking = beforeRead?.();
      if (asking) await asking;
      const before = forgets;
      const { token, current } = await shared(merchantId);
      const verdict = token === undefined ? 'unknown' : ok(token);
      if (verdict === true) refused.delete(key);
      // Not when a save's forget came while this read was out, up to this very line.
      else if (current && before === forgets) remember(key, verdict);
      return verdict;
    },
    /** This process changed the merchant's token: forget it now, and the refusals with it. */
    forget(merchantId: string): void {
      forgets++;
      cache.delete(merchantId);
      for (const key of refused.keys()) if (key.startsWith(`${merchantId}\n`)) refused.delete(key);
    },
  };
}

export type CallbackTokenCache = ReturnType<typeof createCallbackTokenCache>;
