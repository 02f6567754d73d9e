import { sql, type Kysely } from 'kysely';

/**
 * pending_refunds: refunds the scheduled listing (jobs/sync/list-refunds.ts) saw PENDING, read again
 * by id (GET /refunds/{id}) at each run until they end or outlast the hold. GET /refunds documents
 * no order (list-order.ts): newest first, a refund some channel keeps PENDING for days leaves the
 * pages one run reads once the merchant makes a few hundred newer ones, and a SUCCEEDED whose
 * webhook is lost would never be seen. `created`: Xendit's, which the hold counts from.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pending_refunds')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('test', 'live')`))
    .addColumn('xendit_refund_id', 'text', (c) => c.notNull())
    .addColumn('created', 'timestamptz', (c) => c.notNull())
    .addColumn('looked_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('pending_refunds_pkey', ['merchant_id', 'mode', 'xendit_refund_id'])
    .execute();
  await db.schema.createIndex('pending_refunds_due').on('pending_refunds').column('looked_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('pending_refunds').execute();
}
