import { sql, type Kysely } from 'kysely';

/**
 * For the daily look at fees Xendit may still give back (store/refunds.ts
 * refundedInFullWithoutFeeReturn): refunds recorded in the last days found without reading them
 * all, and the return-fee jobs of a payment not done yet found without reading every job.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index refunds_recorded_at on refunds (refunded_at) where kind = 'refund' and state = 'recorded'`.execute(db);
  await sql`create index jobs_open_return_fee on jobs ((payload->>'paymentId')) where kind = 'return-fee' and state <> 'done'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index jobs_open_return_fee`.execute(db);
  await sql`drop index refunds_recorded_at`.execute(db);
}
