import { sql, type Kysely } from 'kysely';

/**
 * withdrawal_list_cursors: where the scheduled withdrawal listing (jobs/sync/list-withdrawals.ts)
 * continues, per merchant, currency and listing (made since / sent back since), when a run read
 * its whole page budget before Xendit said has_more false. The next run asks the same question
 * (`since`, kept from when that listing began) with after_id, instead of starting again from the
 * newest: read from the start every time, the oldest withdrawals of a busy account would never be
 * reached and would age out of the listing unbooked. No row: the listing starts from the newest.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('withdrawal_list_cursors')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('listing', 'text', (c) => c.notNull().check(sql`listing in ('created', 'reversed')`))
    .addColumn('since', 'timestamptz', (c) => c.notNull())
    .addColumn('after_id', 'text', (c) => c.notNull())
    /** When the listing began: how long it has been behind. */
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('withdrawal_list_cursors_pkey', ['merchant_id', 'currency', 'listing'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('withdrawal_list_cursors').execute();
}
