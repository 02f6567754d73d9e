import type { Kysely } from 'kysely';

/**
 * fee_kept_noted_at: when the withdrawals' listing found a row already reversed, with its fee known
 * and unbooked, listed REVERSED with its fee kept (fee status COMPLETED), and queued its job again to
 * book that fee (jobs/sync/list-withdrawals.ts). The previous release marked a withdrawal sent back
 * before anything was booked reversed with nothing in Xero, its kept fee too, and no later listing
 * queued it: noted once, so the job is queued once, not by every listing run (fees billed monthly,
 * say, leave nothing to book).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('withdrawals').addColumn('fee_kept_noted_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('withdrawals').dropColumn('fee_kept_noted_at').execute();
}
