import { sql, type Kysely } from 'kysely';

/**
 * The refund and chargeback jobs marked as waiting for a payment to learn its Xendit payment_id
 * (store/jobs.ts waitForPaymentIds), found by the commit that gives a payment one without reading
 * every job of the merchant.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index jobs_waiting_for_payment_id on jobs (merchant_id) where payload ? 'waitsForPaymentIds'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index jobs_waiting_for_payment_id`.execute(db);
}
