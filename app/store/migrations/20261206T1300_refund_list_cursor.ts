import type { Kysely } from 'kysely';

/**
 * merchants.refund_list_after_id: where the scheduled refund listing (jobs/sync/list-refunds.ts)
 * continues, with after_id, when Xendit lists the account's refunds oldest first (GET /refunds
 * does not document its order): the last refund it read whose job is durably queued. Null: none
 * yet, or Xendit lists newest first (then every run reads from the start, as before).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('refund_list_after_id', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('refund_list_after_id').execute();
}
