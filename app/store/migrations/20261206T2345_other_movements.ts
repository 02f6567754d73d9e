import { sql, type Kysely } from 'kysely';

/**
 * Xendit's other balance movements booked in Xero (jobs/sync/list-other-movements.ts): a payout,
 * a transfer to the Billing Balance, a top-up, … — every Transactions API type the gateway does not
 * book otherwise — as Spend or Receive Money on the clearing account, when the merchant picked an
 * account for their other side.
 * - merchants.other_movements_account_code: that account (by code); null: off (the default: a
 *   merchant who books them by hand would get them twice).
 * - merchants.other_movements_since: when it was turned on. Nothing that moved before is booked.
 * - other_movements: one row per movement found, like withdrawals: its entry in Xero, the attempt
 *   mark set before the create is sent, the clearing account it went to (the report reads it).
 * - withdrawal_list_cursors.listing 'other': that listing's cursor, kept as the withdrawals' are.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('other_movements_account_code', 'text').addColumn('other_movements_since', 'timestamptz').execute();
  await db.schema
    .createTable('other_movements')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('xendit_transaction_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    /** Minor units, signed: negative left the balance (MONEY_OUT). */
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('moved_at', 'timestamptz', (c) => c.notNull())
    .addColumn('state', 'text', (c) =>
      c
        .notNull()
        .defaultTo('pending')
        .check(sql`state in ('pending', 'recorded', 'needs_review', 'test_mode', 'off')`),
    )
    .addColumn('xero_bank_transaction_id', 'text')
    .addColumn('attempt_at', 'timestamptz')
    .addColumn('clearing_account', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('other_movements_merchant_xendit_id', ['merchant_id', 'xendit_transaction_id'])
    .execute();
  await sql`alter table withdrawal_list_cursors drop constraint if exists withdrawal_list_cursors_listing_check`.execute(db);
  await sql`alter table withdrawal_list_cursors add constraint withdrawal_list_cursors_listing_check check (listing in ('created', 'reversed', 'other'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from withdrawal_list_cursors where listing = 'other'`.execute(db);
  await sql`alter table withdrawal_list_cursors drop constraint if exists withdrawal_list_cursors_listing_check`.execute(db);
  await sql`alter table withdrawal_list_cursors add constraint withdrawal_list_cursors_listing_check check (listing in ('created', 'reversed'))`.execute(db);
  await db.schema.dropTable('other_movements').execute();
  await db.schema.alterTable('merchants').dropColumn('other_movements_account_code').dropColumn('other_movements_since').execute();
}
