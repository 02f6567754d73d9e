import { sql, type Kysely } from 'kysely';

/**
 * Backend flow: Xendit invoices paid that this gateway did not create (dashboard, payment links,
 * the merchant's own system) are recorded in Xero as contact + invoice + payment + fee.
 * - merchants.backend_flow: the per-merchant switch (off by default: an unknown invoice in a
 *   callback is then ignored, as Xendit's dashboard "test callback" expects).
 * - merchants.sales_account_code (from 001) gets the default '200' (Sales in Xero's default chart)
 *   for new merchants; existing rows keep null and such a sale goes to needs_review.
 * - backend_sales: one row per such Xendit invoice, holding each Xero id as soon as it exists, so
 *   a re-run after a crash at any step creates nothing twice. The payment itself is a `payments`
 *   row with checkout_id null, made once the Xero invoice exists.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('merchants')
    .addColumn('backend_flow', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema
    .createTable('backend_sales')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('xendit_invoice_id', 'text', (c) => c.notNull())
    .addColumn('xero_contact_id', 'text')
    .addColumn('xero_invoice_id', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('backend_sales_pk', ['merchant_id', 'xendit_invoice_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('backend_sales').execute();
  await db.schema.alterTable('merchants').dropColumn('backend_flow').execute();
}
