import { sql } from 'kysely';
import type { Db } from './db.js';
import { relaxedCommit } from './relaxed-commit.js';

/**
 * Counts one hit for each key in the window starting at its windowStart, in one atomic upsert (one
 * round trip however many keys), so concurrent processes never lose a hit. A newer window resets
 * the count; a process with a lagging clock (older window) adds to the current one instead of
 * rewinding it. Add `returning` for each window's total.
 */
export function countHits(db: Db, hits: { key: string; windowStart: Date }[]) {
  return db
    .insertInto('rate_limits')
    .values(hits.map((h) => ({ key: h.key, window_start: h.windowStart, hits: 1 })))
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        hits: sql`case when excluded.window_start > rate_limits.window_start then 1 else rate_limits.hits + 1 end`,
        window_start: sql`greatest(excluded.window_start, rate_limits.window_start)`,
      }),
    );
}

export function createRateLimitStore(db: Db) {
  return {
    /** Counts the hits (countHits) and returns each window's total. */
    async hit(hits: { key: string; windowStart: Date }[]): Promise<Map<string, number>> {
      if (!hits.length) return new Map();
      const rows = await countHits(db, hits).returning(['key', 'hits', relaxedCommit.as('relaxed')]).execute();
      return new Map(rows.map((r) => [r.key, r.hits]));
    },

    /** Forgets counters whose window started before `before`; returns how many. */
    async prune(before: Date): Promise<number> {
      const r = await db.deleteFrom('rate_limits').where('window_start', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export type RateLimitStore = ReturnType<typeof createRateLimitStore>;
