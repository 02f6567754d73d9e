import { sql, type Kysely } from 'kysely';

/**
 * Refunds asked of Xendit from the admin's payment page. The row is written before Xendit is
 * asked (its id is the form's one-time id, the Idempotency-Key and, as reference_id, how the refund
 * is found at Xendit when an answer was lost); attempt_at marks a request that may have reached
 * Xendit. What Xendit then refunds goes into Xero through the refunds table, like any refund.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('refund_requests')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('payment_id', 'uuid', (c) => c.notNull().references('payments.id').onDelete('cascade'))
    .addColumn('requested_by', 'uuid')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('sending'))
    .addColumn('xendit_refund_id', 'text')
    .addColumn('attempt_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addCheckConstraint('refund_requests_state', sql`state in ('sending', 'sent', 'refused')`)
    .addCheckConstraint('refund_requests_amount', sql`amount > 0`)
    .execute();
  await db.schema.createIndex('refund_requests_by_payment').on('refund_requests').columns(['payment_id', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('refund_requests').execute();
}
