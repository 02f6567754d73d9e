import type { Kysely } from 'kysely';

/**
 * Xendit's fee on one of its other balance movements (a payout's: its transaction's fee object,
 * xendit_fee + value_added_tax, minor units), booked out of the clearing account as Spend Money of
 * its own, apart from the movement's entry, so a run that dies between the two books each once
 * (jobs/sync/movement-fee.ts), as a withdrawal's fee is (20261207T0626).
 * - fee_in_amount: money out whose net_amount says the fee came out of `amount`; false: on top.
 * - entry_amount: what the movement's entry carried (minor units, a size), set with its attempt mark:
 *   a fee inside the amount is booked only when the entry carried the rest.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('other_movements')
    .addColumn('fee', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('fee_in_amount', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('fee_attempt_at', 'timestamptz')
    .addColumn('xero_fee_entry_id', 'text')
    .addColumn('entry_amount', 'bigint')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('other_movements')
    .dropColumn('fee')
    .dropColumn('fee_in_amount')
    .dropColumn('fee_attempt_at')
    .dropColumn('xero_fee_entry_id')
    .dropColumn('entry_amount')
    .execute();
}
