import type { Kysely } from 'kysely';

/**
 * merchants.xero_base_currency: the organisation's BaseCurrency, noted when the organisation is
 * read (jobs/sync/org-date.ts). A manual journal has no CurrencyCode (xero_accounting.yaml
 * ManualJournal), so it is always in this currency: fees and fees given back are journalled only
 * for payments in it (post-fee.ts journalClearingCode).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('xero_base_currency', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('xero_base_currency').execute();
}
