import { sql, type Kysely } from 'kysely';

/**
 * Checkout options per merchant, passed to each new Xendit invoice:
 * - checkout_hours: how long a checkout stays payable (null: XENDIT_INVOICE_DURATION_SECONDS);
 * - xendit_receipts: Xendit e-mails the customer its own receipt when paid
 *   (customer_notification_preference.invoice_paid = ["email"]).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('merchants')
    .addColumn('checkout_hours', 'integer', (c) => c.check(sql`checkout_hours between 1 and 8760`))
    .addColumn('xendit_receipts', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('checkout_hours').dropColumn('xendit_receipts').execute();
}
