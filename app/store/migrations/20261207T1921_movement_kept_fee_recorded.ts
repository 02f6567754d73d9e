import { sql, type Kysely } from 'kysely';

/**
 * other_movements_kept_fee_to_read also holds rows booked and booked back (`recorded`, sent back),
 * not only those marked off: one whose fee was still PENDING when it came back may have its fee
 * COMPLETED (kept) after no listing shows it any more, and is read again by its id for it
 * (store/other-movements.ts keptFeeToRead), as a withdrawal's `reversed` rows are.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('other_movements_kept_fee_to_read').execute();
  await db.schema
    .createIndex('other_movements_kept_fee_to_read')
    .on('other_movements')
    .columns(['merchant_id', 'moved_at'])
    .where(sql<boolean>`state in ('off', 'recorded') and reversed_at is not null and fee_kept_noted_at is null and xero_fee_entry_id is null`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('other_movements_kept_fee_to_read').execute();
  await db.schema
    .createIndex('other_movements_kept_fee_to_read')
    .on('other_movements')
    .columns(['merchant_id', 'moved_at'])
    .where(sql<boolean>`state = 'off' and reversed_at is not null and fee_kept_noted_at is null`)
    .execute();
}
