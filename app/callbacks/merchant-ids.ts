import type { Clock } from '../clock.js';

/**
 * Which merchant ids exist, read whole (one query of ids) at most once per `ttlMs` and only when
 * asked: the callbacks ask only for a client past its count of refusals, to tell a merchant's
 * callback (still read) from a made-up id (refused unread). Reads that come while one is out share it.
 * A merchant added since the last read is taken for unknown for at most `ttlMs` (Xendit retries a 429).
 */
export function createMerchantIds(deps: { load: () => Promise<string[]>; clock: Clock; ttlMs?: number }) {
  const ttlMs = deps.ttlMs ?? 5_000;
  let known: { ids: Set<string>; until: number } | undefined;
  let reading: Promise<Set<string>> | undefined;

  function read(): Promise<Set<string>> {
    reading ??= deps.load().then(
      (ids) => {
        reading = undefined;
        known = { ids: new Set(ids), until: deps.clock().getTime() + ttlMs };
        return known.ids;
      },
      (err: unknown) => {
        reading = undefined;
        throw err;
      },
    );
    return reading;
  }

  return {
    async has(merchantId: string): Promise<boolean> {
      const ids = known && known.until > deps.clock().getTime() ? known.ids : await read();
      return ids.has(merchantId);
    },
  };
}

export type MerchantIds = ReturnType<typeof createMerchantIds>;
