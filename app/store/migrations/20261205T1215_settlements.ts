import { sql, type Kysely } from 'kysely';

/**
 * Settlements: money Xendit withdrew from the merchant's balance to their bank, and the Bank
 * Transfer each became in Xero (clearing account → the merchant's settlement bank account).
 * settlement_accounts: the Xero bank account the merchant picked per currency. withdrawals: one
 * row per Xendit WITHDRAWAL transaction; transfer_attempt_at is committed before the transfer is
 * sent, so a retry after an unknown outcome looks it up by Reference first.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('settlement_accounts')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('currency', 'text', (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('settlement_accounts_pk', ['merchant_id', 'currency'])
    .execute();
  await db.schema
    .createTable('withdrawals')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('xendit_transaction_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('xero_bank_transfer_id', 'text')
    .addColumn('transfer_attempt_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('withdrawn_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('withdrawals_xendit_unique', ['merchant_id', 'xendit_transaction_id'])
    .addCheckConstraint('withdrawals_state', sql`state in ('pending', 'waiting', 'recorded', 'needs_review', 'test_mode')`)
    .addCheckConstraint('withdrawals_amount', sql`amount > 0`)
    .execute();
  await db.schema.createIndex('withdrawals_by_merchant').on('withdrawals').columns(['merchant_id', 'withdrawn_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('withdrawals').execute();
  await db.schema.dropTable('settlement_accounts').execute();
}
