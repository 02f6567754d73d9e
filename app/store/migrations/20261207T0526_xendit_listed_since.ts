import { sql, type Kysely } from 'kysely';

/**
 * xendit_listed_since: from when the gateway takes the money of a Xendit account (a business, in one
 * key mode) into a merchant's clearing account: when a key of that business was first stored for the
 * merchant and mode. The withdrawal and other-movement listings read nothing older (the later of it
 * and their look-back): before it, the account's withdrawals took money the gateway never booked in
 * (a merchant's existing live business, its key saved weeks after going live in test mode; another
 * business's key), and booked out of the clearing account they would leave it short by their sum.
 * Never moved by a later key of the same business (a rotation), so a row is kept per business: a key
 * of a business the merchant had before finds its own.
 *
 * Existing businesses get the merchant's creation, what the listings read from until now: nothing
 * already listed or booked changes, and no withdrawal they would have listed is left out. A key
 * whose business is not known yet gets its row when it is found (store/xendit-businesses.ts found).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('xendit_listed_since')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('test', 'live')`))
    .addColumn('business_id', 'text', (c) => c.notNull())
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('xendit_listed_since_pkey', ['merchant_id', 'mode', 'business_id'])
    .execute();
  await sql`
    insert into xendit_listed_since (merchant_id, mode, business_id, since)
    select b.merchant_id, b.mode, b.business_id, m.created_at
      from xendit_key_businesses b join merchants m on m.id = b.merchant_id
     where b.business_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('xendit_listed_since').execute();
}
