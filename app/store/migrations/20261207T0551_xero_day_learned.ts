import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/**
 * Each organisation's real day limit, learned from Xero's answers (store/xero-budget.ts): since
 * 2 March 2026 an app on Xero's free Starter tier may make 1 000 calls a day per organisation, not
 * the 5 000 the gateway assumed, and every day share taken off the larger figure let one kind of
 * click spend what the others needed.
 * - own_hours: the gateway's own calls to the organisation per hour, newest first, own_hours[1]
 *   counting the hour that starts at own_hour (25 at most): Xero's X-DayLimit-Remaining plus them
 *   is at least the limit Xero applies.
 * - own_from: when that count began. Rows made before this migration learn nothing until it covers
 *   a whole day (Xero counts the calls made before it); null for rows made after, whose first call
 *   is counted.
 * - day_learned: the limit learned while clearly below the configured one; null: the configured one.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('xero_calls')
    .addColumn('own_hours', sql`int[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('own_hour', 'timestamptz')
    .addColumn('own_from', 'timestamptz')
    .addColumn('day_learned', 'integer')
    .execute();
  await sql`update xero_calls set own_from = now()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('xero_calls').dropColumn('own_hours').dropColumn('own_hour').dropColumn('own_from').dropColumn('day_learned').execute();
}
