import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/**
 * The sale's Xero accounts a refund's credit note could not use (archived since) and the sales
 * account its lines went to instead (jobs/sync/refund-accounts.ts), written with the attempt that
 * sends those lines, so the admin's payment page can say so. Null: every line on its sale's account,
 * or a row from before this was kept.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('refunds')
    .addColumn('credit_archived_accounts', sql`text[]`)
    .addColumn('credit_moved_to', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('refunds').dropColumn('credit_archived_accounts').dropColumn('credit_moved_to').execute();
}
