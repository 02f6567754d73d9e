import { sql, type Kysely } from 'kysely';

/**
 * - withdrawal_list_cursors.listing 'refund': where an unfinished listing of Xendit's REFUND
 *   transactions by time (jobs/sync/list-refund-transactions.ts) continues, kept per key mode and
 *   currency as the chargebacks' are. GET /refunds has no date filter: a refund listing whose kept
 *   cursor lapses before every run never got past its page budget.
 * - listing_floors 'refund': a refund made before this version that the GET /refunds listing missed
 *   was booked by hand if at all, under no Reference its job can find: listing it would book it
 *   twice. On a new installation the floor is older than any merchant.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table withdrawal_list_cursors drop constraint if exists withdrawal_list_cursors_listing_check`.execute(db);
  await sql`alter table withdrawal_list_cursors add constraint withdrawal_list_cursors_listing_check check (listing in ('created', 'reversed', 'other', 'other_updated', 'chargeback', 'refund'))`.execute(
    db,
  );
  await sql`insert into listing_floors (listing) values ('refund') on conflict do nothing`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from listing_floors where listing = 'refund'`.execute(db);
  await sql`delete from withdrawal_list_cursors where listing = 'refund'`.execute(db);
  await sql`alter table withdrawal_list_cursors drop constraint if exists withdrawal_list_cursors_listing_check`.execute(db);
  await sql`alter table withdrawal_list_cursors add constraint withdrawal_list_cursors_listing_check check (listing in ('created', 'reversed', 'other', 'other_updated', 'chargeback'))`.execute(
    db,
  );
}
