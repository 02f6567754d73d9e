import { sql, type Kysely } from 'kysely';

/**
 * Accounting depth (issue 6, second part).
 * - merchants.fee_posting may also be 'manual_journal' (Xendit's own integration posts journals;
 *   Xero refuses manual-journal lines on BANK accounts, so it needs a non-bank clearing account
 *   with payments enabled).
 * - merchants.overpayments: opt-in; money Xendit collected beyond the Xero invoice's AmountDue
 *   becomes a Xero overpayment (RECEIVE-OVERPAYMENT) instead of waiting in needs_review.
 * - merchants.xero_timezone: the organisation's Timezone (Xero's Windows-style name), read once,
 *   so payment dates are the organisation's local date.
 * - merchants.listing_*: the backend flow's periodic listing of paid Xendit invoices. paid_after is
 *   the cursor; a window [paid_after, window_end] is walked page by page (last_invoice_id) and the
 *   cursor moves to window_end only once every page of it was queued.
 * - payments.fee_tax: VAT Xendit charged on its fee (minor units); payments.fee_raw: Xendit's fee
 *   figure when it does not fit the currency's minor unit (then the fee waits for a person).
 * - payments.overpaid / xero_overpayment_id: the part recorded as a Xero overpayment.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table merchants drop constraint if exists merchants_fee_posting_check`.execute(db);
  await sql`alter table merchants add constraint merchants_fee_posting_check check (fee_posting in ('bank_transaction', 'manual_journal', 'off'))`.execute(db);
  await db.schema
    .alterTable('merchants')
    .addColumn('overpayments', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.alterTable('merchants').addColumn('xero_timezone', 'text').execute();
  await db.schema.alterTable('merchants').addColumn('listing_paid_after', 'timestamptz').execute();
  await db.schema.alterTable('merchants').addColumn('listing_window_end', 'timestamptz').execute();
  await db.schema.alterTable('merchants').addColumn('listing_last_invoice_id', 'text').execute();
  await db.schema.alterTable('payments').addColumn('fee_tax', 'bigint').execute();
  await db.schema.alterTable('payments').addColumn('fee_raw', 'text').execute();
  await db.schema.alterTable('payments').addColumn('overpaid', 'bigint').execute();
  await db.schema.alterTable('payments').addColumn('xero_overpayment_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const c of ['fee_tax', 'fee_raw', 'overpaid', 'xero_overpayment_id']) await db.schema.alterTable('payments').dropColumn(c).execute();
  for (const c of ['overpayments', 'xero_timezone', 'listing_paid_after', 'listing_window_end', 'listing_last_invoice_id']) {
    await db.schema.alterTable('merchants').dropColumn(c).execute();
  }
  await sql`alter table merchants drop constraint if exists merchants_fee_posting_check`.execute(db);
  await sql`alter table merchants add constraint merchants_fee_posting_check check (fee_posting in ('bank_transaction', 'off'))`.execute(db);
}
