import type { Kysely } from 'kysely';

/**
 * Invented invoice numbers on a public ShortCode (issue: denial of service with a public ShortCode):
 * - pay_misses: numbers Xero just said it does not have, per merchant, remembered until `until`, so
 *   the same invented number is answered without asking Xero again. Bounded: a row exists only for
 *   a Xero call that unknown numbers were allowed to spend, and housekeeping drops expired rows.
 * - checkouts_by_invoice_number: a click is "known" (counted apart from invented numbers) when a
 *   checkout exists for its number; that is looked up on every click.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pay_misses')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('invoice_number', 'text', (c) => c.notNull())
    .addColumn('until', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('pay_misses_pk', ['merchant_id', 'invoice_number'])
    .execute();
  await db.schema.createIndex('pay_misses_by_until').on('pay_misses').column('until').execute();
  await db.schema.createIndex('checkouts_by_invoice_number').on('checkouts').columns(['merchant_id', 'invoice_number']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('checkouts_by_invoice_number').execute();
  await db.schema.dropTable('pay_misses').execute();
}
