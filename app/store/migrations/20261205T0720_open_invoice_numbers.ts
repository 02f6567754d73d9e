import type { Kysely } from 'kysely';

/**
 * The numbers of each merchant's open (AUTHORISED) sales invoices in Xero, read by a periodic job:
 * a first click on one of them counts as "known" at /pay, so a flood of invented numbers on the
 * merchant's public ShortCode cannot turn a real customer's first click away.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('open_invoice_numbers')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('invoice_number', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('open_invoice_numbers_pk', ['merchant_id', 'invoice_number'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('open_invoice_numbers').execute();
}
