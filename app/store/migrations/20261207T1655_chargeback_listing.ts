import { sql, type Kysely } from 'kysely';

/**
 * - withdrawal_list_cursors.listing 'chargeback': where an unfinished listing of Xendit's CHARGEBACK
 *   transactions (jobs/sync/list-chargebacks.ts) continues, kept per key mode and currency as the
 *   withdrawals' and other movements' are.
 * - listing_floors: from when a listing added by an upgrade may book. A chargeback lost before this
 *   version, none of whose webhooks came, was booked by hand if at all, under no Reference the job
 *   can find: listing it would book it twice. On a new installation the floor is older than any merchant.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table withdrawal_list_cursors drop constraint if exists withdrawal_list_cursors_listing_check`.execute(db);
  await sql`alter table withdrawal_list_cursors add constraint withdrawal_list_cursors_listing_check check (listing in ('created', 'reversed', 'other', 'other_updated', 'chargeback'))`.execute(
    db,
  );
  await db.schema
    .createTable('listing_floors')
    .addColumn('listing', 'text', (c) => c.primaryKey())
    .addColumn('since', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`insert into listing_floors (listing) values ('chargeback')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('listing_floors').execute();
  await sql`delete from withdrawal_list_cursors where listing = 'chargeback'`.execute(db);
  await sql`alter table withdrawal_list_cursors drop constraint if exists withdrawal_list_cursors_listing_check`.execute(db);
  await sql`alter table withdrawal_list_cursors add constraint withdrawal_list_cursors_listing_check check (listing in ('created', 'reversed', 'other', 'other_updated'))`.execute(
    db,
  );
}
