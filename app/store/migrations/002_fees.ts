import { sql, type Kysely } from 'kysely';

/**
 * Fees and what the gateway could not record.
 * - merchants.fee_posting: how Xendit's fee reaches Xero ('bank_transaction' = Spend Money from the
 *   clearing account; 'off' = not posted). Manual journals are not offered: Xero refuses manual
 *   journals on bank accounts, and the clearing account is one.
 * - payments.fee_state: null until the payment is in Xero, then pending → posted, or not_needed
 *   (no fee, or posting off), or needs_review (Xero refused it).
 * - payments.amount_recorded: what went into Xero, when less than Xendit collected (over-payment).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('merchants')
    .addColumn('fee_posting', 'text', (c) =>
      c
        .notNull()
        .defaultTo('bank_transaction')
        .check(sql`fee_posting in ('bank_transaction', 'off')`),
    )
    .execute();
  await db.schema
    .alterTable('payments')
    .addColumn('fee_state', 'text', (c) => c.check(sql`fee_state in ('pending', 'posted', 'not_needed', 'needs_review')`))
    .execute();
  await db.schema.alterTable('payments').addColumn('xero_fee_txn_id', 'text').execute();
  await db.schema.alterTable('payments').addColumn('fee_error', 'text').execute();
  await db.schema.alterTable('payments').addColumn('amount_recorded', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const c of ['fee_state', 'xero_fee_txn_id', 'fee_error', 'amount_recorded']) await db.schema.alterTable('payments').dropColumn(c).execute();
  await db.schema.alterTable('merchants').dropColumn('fee_posting').execute();
}
