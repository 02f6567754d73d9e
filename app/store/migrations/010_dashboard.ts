import { sql, type Kysely } from 'kysely';

/**
 * Dashboard and Xendit keys:
 * - checkouts.customer_name/_email: the Xero invoice's contact, kept at the click so the payments
 *   list can show who paid without asking Xero; backend_sales.customer_name/_email: the payer
 *   Xendit knew (the contact the backend flow found or created in Xero).
 * - merchants.xendit_test_key_enc / xendit_live_key_enc: both keys may be stored (sealed);
 *   merchants.mode says which one is active, and xendit_secret_key_enc keeps holding the active
 *   key, so /pay, callbacks and jobs read one column as before. Existing keys are copied into the
 *   column of their mode (sealed values are copied as they are).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').addColumn('customer_name', 'text').addColumn('customer_email', 'text').execute();
  await db.schema.alterTable('backend_sales').addColumn('customer_name', 'text').addColumn('customer_email', 'text').execute();
  await db.schema.alterTable('merchants').addColumn('xendit_test_key_enc', 'text').addColumn('xendit_live_key_enc', 'text').execute();
  await sql`update merchants set xendit_live_key_enc = xendit_secret_key_enc where mode = 'live' and xendit_secret_key_enc is not null`.execute(db);
  await sql`update merchants set xendit_test_key_enc = xendit_secret_key_enc where mode = 'test' and xendit_secret_key_enc is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('xendit_test_key_enc').dropColumn('xendit_live_key_enc').execute();
  await db.schema.alterTable('backend_sales').dropColumn('customer_name').dropColumn('customer_email').execute();
  await db.schema.alterTable('checkouts').dropColumn('customer_name').dropColumn('customer_email').execute();
}
