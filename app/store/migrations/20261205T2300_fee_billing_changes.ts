import { sql, type Kysely } from 'kysely';

/**
 * fee_billing_changes: each change of a merchant's Xendit fee billing (taken from each payment or
 * billed monthly), with the setting before and after, so that a month's fee bill is judged by the
 * setting in force in that month, not by today's. A merchant never changed has no rows: its
 * current setting has always applied.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('fee_billing_changes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('billing_before', 'text', (c) => c.notNull().check(sql`billing_before in ('deducted', 'invoiced')`))
    .addColumn('billing_after', 'text', (c) => c.notNull().check(sql`billing_after in ('deducted', 'invoiced')`))
    .execute();
  await db.schema.createIndex('fee_billing_changes_merchant').on('fee_billing_changes').columns(['merchant_id', 'changed_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('fee_billing_changes').execute();
}
