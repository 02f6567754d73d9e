import type { Kysely } from 'kysely';

/**
 * The account (by code) that tax Xendit withholds from a payment is booked to (a creditable
 * withholding tax, an asset the merchant claims; or an expense). Null: not set, and a fee with tax
 * withheld goes to needs_review as before. payments.fee_withheld: that tax as read from the payment's
 * transaction with the fee and VAT (minor units), kept so a retry books the same figures; null when
 * none was read.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('withholding_account_code', 'text').execute();
  await db.schema.alterTable('payments').addColumn('fee_withheld', 'bigint').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('withholding_account_code').execute();
  await db.schema.alterTable('payments').dropColumn('fee_withheld').execute();
}
