import type { Kysely } from 'kysely';

/**
 * What Xendit charged for a withdrawal (its transaction's fee: xendit_fee + value_added_tax, minor
 * units) and the Spend Money that books it out of the clearing account, kept apart from the transfer
 * so a run that dies between the two books each once (jobs/sync/withdrawal-fee.ts).
 * - fee_in_amount: the transaction's net_amount says the fee came out of `amount` (the bank got
 *   amount − fee); false: charged on top (the balance fell by amount + fee).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('withdrawals')
    .addColumn('fee', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('fee_in_amount', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('fee_attempt_at', 'timestamptz')
    .addColumn('xero_fee_entry_id', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('withdrawals')
    .dropColumn('fee')
    .dropColumn('fee_in_amount')
    .dropColumn('fee_attempt_at')
    .dropColumn('xero_fee_entry_id')
    .execute();
}
