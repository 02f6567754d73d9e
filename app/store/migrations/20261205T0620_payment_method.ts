import { sql, type Kysely } from 'kysely';

/**
 * The customer's receipt names how they paid: Xendit's invoice gives payment_method (BANK_TRANSFER,
 * EWALLET, ...) and payment_channel (BCA, OVO, ...) once it is paid (docs.xendit.co, Invoice object).
 * Kept with the payment when it is first recorded, so the receipt needs no Xendit call. The
 * receipt finds the payment by its checkout on a public page that refreshes itself: indexed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('payment_method', 'text').addColumn('payment_channel', 'text').execute();
  await sql`create index payments_by_checkout on payments (checkout_id) where checkout_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('payments_by_checkout').execute();
  await db.schema.alterTable('payments').dropColumn('payment_method').dropColumn('payment_channel').execute();
}
