import { sql, type Kysely } from 'kysely';

/**
 * known_disputes: each dispute as its record-dispute job last read it at Xendit, with the payment it
 * names (payment_id). Xendit lists no disputes (docs.xendit.co "Manage Disputes via API"), and which
 * id a CHARGEBACK transaction's product_id holds, the dispute's or the disputed payment's, is not
 * documented: the chargeback listing ties one listed under a payment's id to that payment's dispute
 * through these rows (jobs/sync/chargeback-dispute.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('known_disputes')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('xendit_dispute_id', 'text', (c) => c.notNull())
    .addColumn('xendit_payment_id', 'text')
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'int8', (c) => c.notNull().check(sql`amount >= 0`))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('known_disputes_pk', ['merchant_id', 'xendit_dispute_id'])
    .execute();
  await db.schema.createIndex('known_disputes_payment').on('known_disputes').columns(['merchant_id', 'xendit_payment_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('known_disputes').execute();
}
