import { sql, type Kysely } from 'kysely';

/**
 * Refunds made at Xendit of payments the gateway recorded, and what they became in Xero: a credit
 * note and its cash refund out of the clearing account. The *_attempt_at marks are committed before
 * each create is sent, so a retry after an unknown outcome looks the document up by Reference first.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('refunds')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('payment_id', 'uuid', (c) => c.notNull().references('payments.id').onDelete('cascade'))
    .addColumn('xendit_refund_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('xero_credit_note_id', 'text')
    .addColumn('xero_refund_payment_id', 'text')
    .addColumn('credit_attempt_at', 'timestamptz')
    .addColumn('refund_attempt_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('refunded_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('refunds_xendit_unique', ['merchant_id', 'xendit_refund_id'])
    .addCheckConstraint('refunds_state', sql`state in ('pending', 'recorded', 'needs_review', 'test_mode')`)
    .addCheckConstraint('refunds_amount', sql`amount > 0`)
    .execute();
  await db.schema.createIndex('refunds_by_payment').on('refunds').columns(['payment_id', 'refunded_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('refunds').execute();
}
