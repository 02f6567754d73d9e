import type { Db } from './db.js';

export interface PruneCutoffs {
  /** Sessions, OAuth states, setup links and remembered pay-link misses that expired before this. */
  now: Date;
  /** Login-attempt windows that started before this are over. */
  loginAttemptsBefore: Date;
  /** Rate-limit windows that started before this are over. */
  rateLimitsBefore: Date;
}

export type PruneCounts = Record<'sessions' | 'loginAttempts' | 'rateLimits' | 'oauthStates' | 'setupTokens' | 'payMisses', number>;

/** Deletes rows nothing will read again: what anonymous visitors and floods leave behind. */
export function createHousekeepingStore(db: Db) {
  const n = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
  return {
    async prune(c: PruneCutoffs): Promise<PruneCounts> {
      return {
        sessions: n(await db.deleteFrom('sessions').where('expires_at', '<=', c.now).executeTakeFirst()),
        loginAttempts: n(await db.deleteFrom('login_attempts').where('window_start', '<', c.loginAttemptsBefore).executeTakeFirst()),
        rateLimits: n(await db.deleteFrom('rate_limits').where('window_start', '<', c.rateLimitsBefore).executeTakeFirst()),
        oauthStates: n(await db.deleteFrom('xero_oauth_states').where('expires_at', '<', c.now).executeTakeFirst()),
        // A used setup link is kept: it is what says "this link was already used".
        setupTokens: n(await db.deleteFrom('setup_tokens').where('expires_at', '<', c.now).where('used_at', 'is', null).executeTakeFirst()),
        payMisses: n(await db.deleteFrom('pay_misses').where('until', '<=', c.now).executeTakeFirst()),
      };
    },
  };
}
