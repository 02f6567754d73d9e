import { sql, type Kysely } from 'kysely';

/**
 * Alerts by e-mail (issue: being told). An alert is stored first (in the transaction of what raised
 * it, or its own) with the digest job that will mail it; the job groups the alerts not yet mailed
 * into one message per recipient (alert_mails: the outbox), then sends each and marks it sent only
 * once the SMTP server accepted it. users.alerts_opt_out: a user who wants none.
 * dedupe_key: an alert of the same key not yet mailed absorbs a repeat (30 parked jobs of one
 * disconnected merchant make one line, not thirty).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('alerts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.references('merchants.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('except_user_id', 'uuid')
    .addColumn('dedupe_key', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('mailed_at', 'timestamptz')
    .execute();
  await sql`create index alerts_unmailed on alerts (id) where mailed_at is null`.execute(db);
  await sql`create unique index alerts_dedupe_unmailed on alerts (dedupe_key) where mailed_at is null and dedupe_key is not null`.execute(db);
  await sql`create index alerts_by_dedupe on alerts (dedupe_key, created_at) where dedupe_key is not null`.execute(db);
  await db.schema
    .createTable('alert_mails')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .addColumn('locked_until', 'timestamptz')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .execute();
  await sql`create index alert_mails_unsent on alert_mails (id) where sent_at is null`.execute(db);
  await db.schema
    .alterTable('users')
    .addColumn('alerts_opt_out', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('alerts_opt_out').execute();
  await db.schema.dropTable('alert_mails').execute();
  await db.schema.dropTable('alerts').execute();
}
