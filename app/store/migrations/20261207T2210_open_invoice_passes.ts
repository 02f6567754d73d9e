import type { Kysely } from 'kysely';

/**
 * Where each merchant's reading of its open invoices from Xero stands, when a run read fewer pages
 * than the listing holds (jobs/sync/open-invoices.ts): when the pass began (the run that read page
 * 1: what a complete pass forgets before), the page the last run ended on, and the last rows it read
 * (JSON: id and UpdatedDateUTC), by which the next run finds that place again however the rows moved.
 * No row: the next run starts a pass.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('open_invoice_passes')
    .addColumn('merchant_id', 'uuid', (c) => c.primaryKey().references('merchants.id').onDelete('cascade'))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('page', 'integer', (c) => c.notNull())
    .addColumn('last_read', 'jsonb', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('open_invoice_passes').execute();
}
