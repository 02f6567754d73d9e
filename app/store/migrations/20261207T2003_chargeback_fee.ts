import type { Kysely } from 'kysely';

/**
 * The fee Xendit charged on a lost dispute (its CHARGEBACK transaction's `fee` object), on the
 * chargeback's refunds row: the transaction it was read from (chargeback_txn_id, which the fee's
 * Reference `Xendit chargeback fee <id>` names), the figures read (fee with its VAT, the VAT, the
 * taxes withheld; null: not read yet), the attempt mark of its Spend Money and the entry Xero made.
 * Rows booked before this migration have none read: the chargeback listing reads it (list-chargebacks.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('refunds')
    .addColumn('chargeback_txn_id', 'text')
    .addColumn('fee', 'int8')
    .addColumn('fee_tax', 'int8')
    .addColumn('fee_withheld', 'int8')
    .addColumn('fee_attempt_at', 'timestamptz')
    .addColumn('xero_fee_txn_id', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('refunds')
    .dropColumn('chargeback_txn_id')
    .dropColumn('fee')
    .dropColumn('fee_tax')
    .dropColumn('fee_withheld')
    .dropColumn('fee_attempt_at')
    .dropColumn('xero_fee_txn_id')
    .execute();
}
