import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('merchants')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('short_code', 'text', (c) => c.notNull().unique())
    .addColumn('xero_connection', 'text', (c) => c.notNull().check(sql`xero_connection in ('custom')`))
    .addColumn('xero_tenant_id', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('xero_client_id', 'text', (c) => c.notNull())
    .addColumn('xero_client_secret_enc', 'text', (c) => c.notNull())
    .addColumn('xendit_secret_key_enc', 'text', (c) => c.notNull())
    .addColumn('callback_token_enc', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('test', 'live')`))
    .addColumn('clearing_account_id', 'text', (c) => c.notNull())
    .addColumn('fee_account_code', 'text')
    .addColumn('sales_account_code', 'text')
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('active')
        .check(sql`status in ('active', 'disconnected', 'disabled')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('checkouts')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id'))
    .addColumn('xero_invoice_id', 'text', (c) => c.notNull())
    .addColumn('invoice_number', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull().check(sql`amount > 0`))
    .addColumn('external_id', 'text', (c) => c.notNull().unique())
    .addColumn('xendit_invoice_id', 'text', (c) => c.unique())
    .addColumn('invoice_url', 'text')
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('creating', 'open', 'paid', 'expired', 'superseded')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  // The guarantee behind "20 clicks → one Xendit invoice": one live checkout per invoice and amount.
  await sql`create unique index checkouts_one_live on checkouts (merchant_id, xero_invoice_id, amount)
            where status in ('creating', 'open')`.execute(db);
  await db.schema.createIndex('checkouts_by_invoice').on('checkouts').columns(['merchant_id', 'xero_invoice_id']).execute();

  await db.schema
    .createTable('callback_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id'))
    .addColumn('xendit_invoice_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('raw', 'jsonb', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('callback_events_once', ['merchant_id', 'xendit_invoice_id', 'status'])
    .execute();

  await db.schema
    .createTable('payments')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id'))
    .addColumn('checkout_id', 'uuid', (c) => c.references('checkouts.id'))
    .addColumn('xendit_invoice_id', 'text', (c) => c.notNull())
    .addColumn('xero_invoice_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'bigint', (c) => c.notNull())
    .addColumn('fee', 'bigint')
    .addColumn('paid_at', 'timestamptz', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('xero_payment_id', 'text')
    .addColumn('sync_state', 'text', (c) => c.notNull().check(sql`sync_state in ('pending', 'recorded', 'needs_review')`))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addUniqueConstraint('payments_once', ['merchant_id', 'xendit_invoice_id'])
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('merchant_id', 'uuid', (c) => c.references('merchants.id'))
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.unique())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('queued', 'running', 'done', 'needs_review')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'timestamptz', (c) => c.notNull())
    .addColumn('locked_until', 'timestamptz')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await sql`create index jobs_runnable on jobs (run_at) where state in ('queued', 'running')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['jobs', 'payments', 'callback_events', 'checkouts', 'merchants']) await db.schema.dropTable(t).execute();
}
