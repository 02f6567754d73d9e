import { sql, type Kysely } from 'kysely';

/**
 * Xendit's id of the payment behind an invoice (payment_id: xendit-node invoice/models/Invoice.ts,
 * the invoice callback), kept when the payment is recorded. A refund may not name its invoice
 * (invoice_id is "To be deprecated", docs.xendit.co "Refund a payment request"), but carries the
 * payment's id (payment_id, RefundCallbackData): record-refund finds the payment by it. Payments
 * recorded before this have none; their refunds are found by invoice or reference, else reviewed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('xendit_payment_id', 'text').execute();
  await sql`create index payments_by_xendit_payment on payments (merchant_id, xendit_payment_id) where xendit_payment_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('payments_by_xendit_payment').execute();
  await db.schema.alterTable('payments').dropColumn('xendit_payment_id').execute();
}
