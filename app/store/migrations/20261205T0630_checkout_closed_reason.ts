import { sql, type Kysely } from 'kysely';

/**
 * Open checkouts follow their Xero invoice (Xero webhooks, and a scheduled comparison for merchants
 * without them): a checkout whose invoice was voided, deleted, paid by other means or lowered is
 * expired at Xendit, and why is kept (closed_reason: a message key, shown in the admin).
 * xero_checked_at: when the scheduled comparison last looked, so each run takes the least recent.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').addColumn('closed_reason', 'text').addColumn('xero_checked_at', 'timestamptz').execute();
  await sql`create index checkouts_open_by_check on checkouts (merchant_id, xero_checked_at nulls first) where status in ('open', 'creating')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('checkouts_open_by_check').execute();
  await db.schema.alterTable('checkouts').dropColumn('closed_reason').dropColumn('xero_checked_at').execute();
}
