import { sql, type Kysely } from 'kysely';

/** A merchant's due jobs of one kind, oldest first: what the runner claims together to batch their Xero calls. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index jobs_queued_by_merchant on jobs (merchant_id, kind, run_at) where state = 'queued'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index jobs_queued_by_merchant`.execute(db);
}
