import { sql, type Kysely } from 'kysely';

/**
 * fee_returns: a payment's fee (and its VAT) that Xendit gave back, found when one of its refunds
 * is booked, and the entry that brings it back into the clearing account in Xero. One per payment
 * (Xendit gives a fee back once), dated by its latest refund. The row is written before anything
 * is sent; entry_kind (Receive Money or manual journal) and attempt_at are committed before the
 * entry is sent, so a retry after an unknown outcome looks for that kind by Reference.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('fee_returns')
    .addColumn('payment_id', 'uuid', (c) => c.primaryKey().references('payments.id').onDelete('cascade'))
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('refund_id', 'uuid', (c) => c.notNull().references('refunds.id').onDelete('cascade'))
    .addColumn('returned_at', 'timestamptz', (c) => c.notNull())
    .addColumn('fee', 'bigint', (c) => c.notNull())
    .addColumn('tax', 'bigint', (c) => c.notNull())
    .addColumn('entry_kind', 'text', (c) => c.check(sql`entry_kind in ('receive', 'journal')`))
    .addColumn('attempt_at', 'timestamptz')
    .addColumn('xero_entry_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('fee_returns').execute();
}
