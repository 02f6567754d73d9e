import { sql, type Kysely } from 'kysely';

/**
 * withdrawal_list_cursors.listing 'chargeback': where an unfinished listing of Xendit's CHARGEBACK
 * transactions (jobs/sync/list-chargebacks.ts) continues, kept per key mode and currency as the
 * withdrawals' and other movements' are.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table withdrawal_list_cursors drop constraint if exists withdrawal_list_cursors_listing_check`.execute(db);
  await sql`alter table withdrawal_list_cursors add constraint withdrawal_list_cursors_listing_check check (listing in ('created', 'reversed', 'other', 'other_updated', 'chargeback'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from withdrawal_list_cursors where listing = 'chargeback'`.execute(db);
  await sql`alter table withdrawal_list_cursors drop constraint if exists withdrawal_list_cursors_listing_check`.execute(db);
  await sql`alter table withdrawal_list_cursors add constraint withdrawal_list_cursors_listing_check check (listing in ('created', 'reversed', 'other', 'other_updated'))`.execute(
    db,
  );
}
