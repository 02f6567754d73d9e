import { sql } from 'kysely';
import type { Db } from './db.js';

export function createRateLimitStore(db: Db) {
  return {
    /**
     * Counts one hit for key in the window starting at windowStart and returns the window's total.
     * One atomic upsert, so concurrent processes never lose a hit. A newer window resets the count;
     * a process with a lagging clock (older window) adds to the current one instead of rewinding it.
     */
    async hit(key: string, windowStart: Date): Promise<number> {
      const r = await db
        .insertInto('rate_limits')
        .values({ key, window_start: windowStart, hits: 1 })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            hits: sql`case when excluded.window_start > rate_limits.window_start then 1 else rate_limits.hits + 1 end`,
            window_start: sql`greatest(excluded.window_start, rate_limits.window_start)`,
          }),
        )
        .returning('hits')
        .executeTakeFirstOrThrow();
      return r.hits;
    },

    /** Forgets counters whose window started before `before`; returns how many. */
    async prune(before: Date): Promise<number> {
      const r = await db.deleteFrom('rate_limits').where('window_start', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export type RateLimitStore = ReturnType<typeof createRateLimitStore>;
