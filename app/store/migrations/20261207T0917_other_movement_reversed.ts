import type { Kysely } from 'kysely';

/**
 * One of Xendit's other balance movements listed REVERSED after it was found (a payout the bank
 * sent back: xendit-node TransactionStatuses REVERSED; jobs/sync/list-other-movements.ts):
 * - reversed_at: when the listing first saw it so (Xendit's `updated`, else then); its job is queued again.
 * - reversal_told_at: when its job sent the booked entries to review for a person to undo: once, so
 *   a Retry after they did ends it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('other_movements').addColumn('reversed_at', 'timestamptz').addColumn('reversal_told_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('other_movements').dropColumn('reversed_at').dropColumn('reversal_told_at').execute();
}
