import { sql } from 'kysely';
import type { Db } from './db.js';
import { relaxedCommit } from './relaxed-commit.js';

/** One hit for each key in the window starting at its windowStart, as rate_limits_hit (rate-limits.sql) takes them. */
function hitsJson(hits: { key: string; windowStart: Date }[]): string {
  return JSON.stringify(hits.map((h) => ({ key: h.key, window_start: h.windowStart.toISOString() })));
}

export function createRateLimitStore(db: Db) {
  return {
    /**
     * Counts one hit for each key in the window starting at its windowStart and returns each
     * window's total, in one atomic upsert (one round trip however many keys), so concurrent
     * processes never lose a hit. A newer window resets the count; a process with a lagging clock
     * (older window) adds to the current one instead of rewinding it.
     */
    async hit(hits: { key: string; windowStart: Date }[]): Promise<Map<string, number>> {
      if (!hits.length) return new Map();
      const { rows } = await sql<{ key: string; hits: number }>`select key, hits, ${relaxedCommit} from rate_limits_hit(${hitsJson(hits)})`.execute(db);
      return new Map(rows.map((r) => [r.key, r.hits]));
    },

    /**
     * Takes back one hit that hit() counted in these windows, for a request that turned out not to
     * count (a sign-in that succeeded). A counter whose window has moved on since is left alone: at
     * worst the hit stays counted, never one that was not ours is taken back.
     */
    async unhit(hits: { key: string; windowStart: Date }[]): Promise<void> {
      if (!hits.length) return;
      await db
        .updateTable('rate_limits')
        .set((eb) => ({ hits: eb('hits', '-', 1) }))
        .where('hits', '>', 0)
        .where((eb) => eb.or(hits.map((h) => eb.and([eb('key', '=', h.key), eb('window_start', '=', h.windowStart)]))))
        .execute();
    },

    /** When each key's current window started (or its last hit, for a key hit with windowStart = now), counting nothing. */
    async windowStarts(keys: string[]): Promise<Map<string, Date>> {
      if (!keys.length) return new Map();
      const rows = await db.selectFrom('rate_limits').select(['key', 'window_start']).where('key', 'in', keys).execute();
      return new Map(rows.map((r) => [r.key, new Date(r.window_start)]));
    },

    /** Forgets counters whose window started before `before`; returns how many. */
    async prune(before: Date): Promise<number> {
      const r = await db.deleteFrom('rate_limits').where('window_start', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export type RateLimitStore = ReturnType<typeof createRateLimitStore>;
