import { sql, type Kysely } from 'kysely';

/**
 * fee_bills: Xendit's monthly invoice of a merchant whose fees are billed, not deducted, one per
 * billing month and currency, and the bill (ACCPAY invoice) it became in Xero. The row is written
 * before anything is sent; attempt_at is committed before the bill is sent, so a retry after an
 * unknown outcome looks it up by Reference first.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('fee_bills')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('period', 'text', (c) => c.notNull().check(sql`period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`))
    .addColumn('currency', 'text', (c) => c.notNull().check(sql`currency ~ '^[A-Z]{3}$'`))
    .addColumn('fees', 'bigint', (c) => c.notNull())
    .addColumn('vat', 'bigint', (c) => c.notNull())
    .addColumn('transactions', 'integer', (c) => c.notNull())
    .addColumn('xendit_invoice_number', 'text')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('pending'))
    .addColumn('xero_invoice_id', 'text')
    .addColumn('attempt_at', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('fee_bills_period_unique', ['merchant_id', 'period', 'currency'])
    .addCheckConstraint('fee_bills_state', sql`state in ('pending', 'recorded', 'needs_review', 'test_mode')`)
    .addCheckConstraint('fee_bills_total', sql`fees + vat > 0`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('fee_bills').execute();
}
