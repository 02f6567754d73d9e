import { sql } from 'kysely';
import type { Db } from './db.js';

export interface SessionRow {
  idHash: string;
  userId: string | null;
  csrfToken: string;
  expiresAt: Date;
  /** When the user last typed their password in this session. */
  reauthAt?: Date | null;
}

/** Server-side sessions (keyed by the hash of the cookie) and the login throttle counters. */
export function createSessionStore(db: Db) {
  return {
    async create(s: SessionRow, now: Date): Promise<void> {
      await db
        .insertInto('sessions')
        .values({ id_hash: s.idHash, user_id: s.userId, csrf_token: s.csrfToken, created_at: now, expires_at: s.expiresAt, reauth_at: s.userId ? now : null })
        .execute();
    },

    async live(idHash: string, now: Date): Promise<SessionRow | null> {
      const r = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).where('expires_at', '>', now).executeTakeFirst();
      return r ? { idHash: r.id_hash, userId: r.user_id, csrfToken: r.csrf_token, expiresAt: r.expires_at, reauthAt: r.reauth_at ?? null } : null;
    },

    /** The user typed their password again (step-up). */
    async reauthenticated(idHash: string, now: Date): Promise<void> {
      await db.updateTable('sessions').set({ reauth_at: now }).where('id_hash', '=', idHash).execute();
    },

    async delete(idHash: string): Promise<void> {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },

    async deleteExpired(now: Date): Promise<void> {
      await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
    },

    /**
     * Counts one attempt for key inside a fixed window and returns the count so far. One atomic
     * upsert, so every web process sees the same number.
     */
    async countAttempt(key: string, now: Date, windowMs: number): Promise<{ count: number; windowStart: Date }> {
      const windowFloor = new Date(now.getTime() - windowMs);
      const r = await db
        .insertInto('login_attempts')
        .values({ key, window_start: now, count: 1 })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            count: sql<number>`case when login_attempts.window_start <= ${windowFloor} then 1 else login_attempts.count + 1 end`,
            window_start: sql<Date>`case when login_attempts.window_start <= ${windowFloor} then ${now} else login_attempts.window_start end`,
          }),
        )
        .returning(['count', 'window_start'])
        .executeTakeFirstOrThrow();
      return { count: r.count, windowStart: new Date(r.window_start) };
    },

    async clearAttempts(key: string): Promise<void> {
      await db.deleteFrom('login_attempts').where('key', '=', key).execute();
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
