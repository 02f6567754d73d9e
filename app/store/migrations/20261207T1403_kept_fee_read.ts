import { sql, type Kysely } from 'kysely';

/**
 * kept_fee_read_at: when the withdrawals' listing read a row it no longer lists (over its 45 days)
 * again from Xendit by its transaction id, because it may still need its job queued: a withdrawal
 * reversed with nothing booked, or a movement marked off after it was sent back, whose fee Xendit
 * kept is unbooked (20261207T1119, 20261207T1159). Read once: the listing picks a few such rows
 * from our own database each run, those not read yet (jobs/sync/unlisted-rows.ts), on an index
 * that holds only the rows still to read (none, once all are read).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('withdrawals').addColumn('kept_fee_read_at', 'timestamptz').execute();
  await db.schema.alterTable('other_movements').addColumn('kept_fee_read_at', 'timestamptz').execute();
  await db.schema
    .createIndex('withdrawals_kept_fee_to_read')
    .on('withdrawals')
    .columns(['merchant_id', 'reversed_at'])
    .where(sql<boolean>`state = 'reversed' and kept_fee_read_at is null and fee_kept_noted_at is null and xero_fee_entry_id is null`)
    .execute();
  await db.schema
    .createIndex('other_movements_kept_fee_to_read')
    .on('other_movements')
    .columns(['merchant_id', 'moved_at'])
    .where(sql<boolean>`state = 'off' and reversed_at is not null and kept_fee_read_at is null and fee_kept_noted_at is null`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('other_movements_kept_fee_to_read').execute();
  await db.schema.dropIndex('withdrawals_kept_fee_to_read').execute();
  await db.schema.alterTable('withdrawals').dropColumn('kept_fee_read_at').execute();
  await db.schema.alterTable('other_movements').dropColumn('kept_fee_read_at').execute();
}
