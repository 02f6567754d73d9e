import { sql, type Kysely } from 'kysely';

/**
 * The refund and chargeback jobs marked as waiting for a payment to reach Xero (store/jobs.ts
 * requeueWaiting), found by the commit that records the payment without reading every job.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index jobs_waiting_for_payment on jobs (merchant_id, (payload->>'waitsFor')) where payload ? 'waitsFor'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index jobs_waiting_for_payment`.execute(db);
}
