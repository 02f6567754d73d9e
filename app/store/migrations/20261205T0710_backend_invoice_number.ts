import type { Kysely } from 'kysely';

/**
 * The Xero invoice number of a sale made outside Xero (backend flow), as Xero numbered it: the
 * admin and the reconciliation report show it instead of raw ids.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('backend_sales').addColumn('xero_invoice_number', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('backend_sales').dropColumn('xero_invoice_number').execute();
}
