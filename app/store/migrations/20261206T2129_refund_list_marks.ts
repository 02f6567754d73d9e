import { sql, type Kysely } from 'kysely';

/**
 * refund_list_marks: how far back the scheduled refund listing (jobs/sync/list-refunds.ts) has read,
 * per merchant and key mode, when Xendit lists refunds newest first. Until now such a run read only
 * the newest 300 refunds: more made between two runs, and the older ones were never listed (a refund
 * whose webhook was lost never booked). Now each run walks back to the mark (`mark_id`,
 * `mark_created`: the newest refund a finished walk read), and a walk its page budget did not finish
 * is kept (`walk_*`: where it goes on, the newest refund it read, when it began) for the next run.
 * No row: no walk yet, or Xendit lists oldest first (refund_list_cursors).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('refund_list_marks')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('test', 'live')`))
    .addColumn('mark_id', 'text')
    .addColumn('mark_created', 'timestamptz')
    .addColumn('walk_after_id', 'text')
    .addColumn('walk_top_id', 'text')
    .addColumn('walk_top_created', 'timestamptz')
    .addColumn('walk_started_at', 'timestamptz')
    .addPrimaryKeyConstraint('refund_list_marks_pkey', ['merchant_id', 'mode'])
    .addCheckConstraint('refund_list_marks_walk', sql`(walk_after_id is null) = (walk_started_at is null)`)
    .addCheckConstraint('refund_list_marks_some', sql`mark_created is not null or walk_after_id is not null`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('refund_list_marks').execute();
}
