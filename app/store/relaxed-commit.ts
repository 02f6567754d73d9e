import { sql } from 'kysely';

/**
 * Put in a statement's select list (or RETURNING), this lets its transaction commit without
 * waiting for the WAL flush (synchronous_commit off for that transaction only). Only for
 * bookkeeping whose last few hundred milliseconds may be lost in a database crash without harm
 * (rate-limit hits, Xero budget counters: Xero's own 429 is the backstop); never for money state.
 */
export const relaxedCommit = sql<string>`set_config('synchronous_commit', 'off', true)`;
