import type { Kysely } from 'kysely';

/**
 * A withdrawal's fee as a payment's is booked (jobs/sync/withdrawal-fee.ts):
 * - fee_tax: the VAT part of `fee` (the transaction's fee.value_added_tax, minor units), booked on a
 *   line of its own as post-fee books a payment fee's.
 * - transfer_amount: what the entry out (the Bank Transfer, or the Receive Money) carried into the
 *   settlement bank, as sent or as found in Xero (null: not booked yet, or booked before this). A fee
 *   inside the amount is booked only when that entry carried the rest (amount − fee).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('withdrawals')
    .addColumn('fee_tax', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transfer_amount', 'bigint')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('withdrawals').dropColumn('fee_tax').dropColumn('transfer_amount').execute();
}
