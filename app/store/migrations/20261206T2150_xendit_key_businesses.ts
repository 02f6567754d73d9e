import { sql, type Kysely } from 'kysely';

/**
 * xendit_key_businesses: the Xendit business (its invoices' user_id) of each stored key, per merchant
 * and key mode. Nothing stopped two merchants from saving keys of one Xendit account: each booked
 * every withdrawal of it into its own clearing account, and a backend-flow listing took the other's
 * checkout invoices for sales of its own. The unique index lets one merchant hold an account (a
 * business in one mode: test and live data are apart at Xendit) at a time, whoever saves first,
 * however many save at once.
 * - business_id: recorded when the key is saved, or at a later listing run when the account could
 *   not tell yet (no invoice or transaction) or the key was stored before this migration (no row).
 * - shared_business: a key stored before this check whose account another merchant's key already
 *   holds: its listings of withdrawals and paid invoices are skipped, and a person is told.
 * - looked_at: when the business was last asked (an unknown one is asked again a day later).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('xendit_key_businesses')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('test', 'live')`))
    .addColumn('business_id', 'text')
    .addColumn('shared_business', 'text')
    .addColumn('looked_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('xendit_key_businesses_pkey', ['merchant_id', 'mode'])
    .addCheckConstraint('xendit_key_businesses_one', sql`business_id is null or shared_business is null`)
    .execute();
  await db.schema.createIndex('xendit_key_businesses_one_merchant').unique().on('xendit_key_businesses').columns(['business_id', 'mode']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('xendit_key_businesses').execute();
}
