import { sql, type Kysely } from 'kysely';

/**
 * The external id of a backend-flow sale's Xendit invoice, as the job that recorded it read it. A
 * dispute names its payment by payment_id and reference_id (docs.xendit.co "Manage Disputes via
 * API"); a sale found by the paid listing has no payment_id (Xendit's GET invoice has none, only
 * the PAID callback), so a lost chargeback of it is tied by this, as a checkout's is by its own
 * external id (store/payments.ts byExternalId). Sales made before: null, tied by payment_id only.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('backend_sales').addColumn('external_id', 'text').execute();
  await sql`create index backend_sales_external_id on backend_sales (merchant_id, external_id) where external_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index backend_sales_external_id`.execute(db);
  await db.schema.alterTable('backend_sales').dropColumn('external_id').execute();
}
