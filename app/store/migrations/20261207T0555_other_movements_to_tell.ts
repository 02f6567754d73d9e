import { sql, type Kysely } from 'kysely';

/**
 * The reserve movements an earlier version booked that no one was told of yet (other-movements.ts
 * merchantsWithBookedToTell): every withdrawals listing asks, and the answer is nearly always none.
 * The types are clients/xendit/movements.ts IN_BALANCE_TYPES as this is written; the query names
 * them all, so the index serves it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index other_movements_reserves_to_tell on other_movements (merchant_id)
    where state = 'recorded' and reserve_alerted_at is null and type in ('RESERVES_HOLD', 'RESERVES_RELEASE')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index other_movements_reserves_to_tell`.execute(db);
}
