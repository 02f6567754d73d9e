import { sql, type Kysely } from 'kysely';

/**
 * A Xero bank account has one currency and Xero refuses a payment whose account currency differs
 * from the invoice's, so a merchant invoicing in IDR and PHP needs a clearing account per currency.
 * merchants.clearing_account_id stays the default for currencies not listed here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('clearing_accounts')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('currency', 'text', (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('clearing_accounts_pk', ['merchant_id', 'currency'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('clearing_accounts').execute();
}
