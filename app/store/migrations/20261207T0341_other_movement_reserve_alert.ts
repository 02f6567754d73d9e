import type { Kysely } from 'kysely';

/**
 * When a person was told that this reserve hold or release, booked by a version before reserves
 * were left out (clients/xendit/movements.ts IN_BALANCE_TYPES), is to be voided in Xero: told once
 * (jobs/sync/list-other-movements.ts warnOfBookedReserves).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('other_movements').addColumn('reserve_alerted_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('other_movements').dropColumn('reserve_alerted_at').execute();
}
