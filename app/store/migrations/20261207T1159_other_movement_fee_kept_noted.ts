import type { Kysely } from 'kysely';

/**
 * fee_kept_noted_at: when the listing found one of Xendit's other balance movements marked `off`,
 * sent back (REVERSED) before it was booked, with the fee Xendit kept (fee status COMPLETED) known
 * and unbooked, and queued its job again to book that fee alone (jobs/sync/list-other-movements.ts,
 * movement-reversal.ts), as a withdrawal's (20261207T1119). The release before marked such a row off
 * with nothing booked, its kept fee too, leaving the clearing account above Xendit's balance by it:
 * noted once, so the job is queued once, not by every listing run (fees billed monthly, say, leave
 * nothing to book).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('other_movements').addColumn('fee_kept_noted_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('other_movements').dropColumn('fee_kept_noted_at').execute();
}
