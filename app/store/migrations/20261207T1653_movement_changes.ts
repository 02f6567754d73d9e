import { sql, type Kysely } from 'kysely';

/**
 * - withdrawal_list_cursors.listing 'other_updated': the cursor of the listing of Xendit's other
 *   balance movements made before the created listing's window and changed since (Xendit's
 *   `updated`: a payout sent back months later), kept as the others are (jobs/sync/list-withdrawals.ts).
 * - kept_fee_reads: how often a row no listing shows was read again by its id (jobs/sync/unlisted-rows.ts).
 *   One read once was never read again, though its fee was still PENDING then: it is now read again
 *   after a back-off from kept_fee_read_at while its fee is not final, a bounded number of times. Rows
 *   read before count one read. The partial indexes no longer leave read rows out.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table withdrawal_list_cursors drop constraint if exists withdrawal_list_cursors_listing_check`.execute(db);
  await sql`alter table withdrawal_list_cursors add constraint withdrawal_list_cursors_listing_check check (listing in ('created', 'reversed', 'other', 'other_updated'))`.execute(
    db,
  );
  for (const table of ['withdrawals', 'other_movements']) {
    await db.schema
      .alterTable(table)
      .addColumn('kept_fee_reads', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await sql`update ${sql.table(table)} set kept_fee_reads = 1 where kept_fee_read_at is not null`.execute(db);
  }
  await db.schema.dropIndex('withdrawals_kept_fee_to_read').execute();
  await db.schema.dropIndex('other_movements_kept_fee_to_read').execute();
  await db.schema
    .createIndex('withdrawals_kept_fee_to_read')
    .on('withdrawals')
    .columns(['merchant_id', 'reversed_at'])
    .where(sql<boolean>`state = 'reversed' and fee_kept_noted_at is null and xero_fee_entry_id is null`)
    .execute();
  await db.schema
    .createIndex('other_movements_kept_fee_to_read')
    .on('other_movements')
    .columns(['merchant_id', 'moved_at'])
    .where(sql<boolean>`state = 'off' and reversed_at is not null and fee_kept_noted_at is null`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('withdrawals_kept_fee_to_read').execute();
  await db.schema.dropIndex('other_movements_kept_fee_to_read').execute();
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
  for (const table of ['withdrawals', 'other_movements']) await db.schema.alterTable(table).dropColumn('kept_fee_reads').execute();
  await sql`delete from withdrawal_list_cursors where listing = 'other_updated'`.execute(db);
  await sql`alter table withdrawal_list_cursors drop constraint if exists withdrawal_list_cursors_listing_check`.execute(db);
  await sql`alter table withdrawal_list_cursors add constraint withdrawal_list_cursors_listing_check check (listing in ('created', 'reversed', 'other'))`.execute(
    db,
  );
}
