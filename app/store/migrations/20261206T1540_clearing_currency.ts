import type { Kysely } from 'kysely';

/**
 * merchants.clearing_currency: the currency of the default clearing account (clearing_account_id),
 * so /pay can refuse an invoice whose currency has no clearing account before the customer pays
 * (a payment Xero would refuse to record) without asking Xero on every click. Null until known:
 * set when the account is chosen, else learned from Xero on the first click that needs it
 * (pay/clearing.ts). An account's currency never changes in Xero, so it is kept until the
 * default account does.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('clearing_currency', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('clearing_currency').execute();
}
