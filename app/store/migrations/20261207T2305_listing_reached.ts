import type { Kysely } from 'kysely';

/**
 * withdrawal_list_cursors.reached: the oldest `created` an unfinished walk of a listing Xendit
 * filters by creation time read (withdrawals, other movements, chargebacks). The next run goes on
 * from it by that filter rather than after the kept after_id, which Xendit may have let lapse
 * (jobs/sync/budgeted-listing.ts walkByTime). Null (cursors kept before): after after_id, as before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('withdrawal_list_cursors').addColumn('reached', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('withdrawal_list_cursors').dropColumn('reached').execute();
}
