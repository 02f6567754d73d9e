import { sql, type Kysely } from 'kysely';

/**
 * A merchant's jobs waiting for review, the latest to stop first: the admin's review page, and the
 * dashboard's count of them on every load (few rows among every job ever run).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index jobs_in_review on jobs (merchant_id, updated_at) where state = 'needs_review'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index jobs_in_review`.execute(db);
}
