import { sql, type Kysely } from 'kysely';

/**
 * Where each withdrawal went, and a Xero bank account per destination. A merchant who withdraws to
 * two banks in one currency had both booked to the one settlement bank account of that currency.
 * withdrawals.account_identifier and channel_code: what Xendit's transaction names (xendit-node
 * TransactionResponse: "Account identifier of transaction. The format will be different from each
 * channel", string | null), kept as sent; null when Xendit sent none, and for rows from before this.
 * settlement_destinations: the Xero bank account a destination's withdrawals go to, by the exact
 * identifier (Xendit's own search on it is "exact match case sensitive",
 * docs.xendit.co/apidocs/list-transactions); a destination without one takes settlement_accounts'.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('withdrawals').addColumn('account_identifier', 'text').addColumn('channel_code', 'text').execute();
  await db.schema
    .createTable('settlement_destinations')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('currency', 'text', (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
    .addColumn('account_identifier', 'text', (c) => c.notNull().check(sql`length(account_identifier) between 1 and 255`))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('settlement_destinations_pk', ['merchant_id', 'currency', 'account_identifier'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('settlement_destinations').execute();
  await db.schema.alterTable('withdrawals').dropColumn('account_identifier').dropColumn('channel_code').execute();
}
