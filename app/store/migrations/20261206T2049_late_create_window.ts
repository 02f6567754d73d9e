import { sql, type Kysely } from 'kysely';

/**
 * checkouts.late_create_until: a checkout closed while its create had no answer (the click's
 * timeout, a second create after EMAIL_FORMAT_ERROR, a take-over) may still get an invoice from
 * Xendit, made late and payable for the invoice_duration we sent. Until this time reconcile keeps
 * asking Xendit by its external id, with back-off (store/checkouts.ts lateCreatesToAsk), and
 * expires what it finds payable. Checkouts already closed without an invoice get their window
 * counted from their close (updated_at), with the margin of checkout-model.ts LATE_CREATE_MARGIN_MS
 * (an hour); those whose window has passed are left as they are.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').addColumn('late_create_until', 'timestamptz').execute();
  await sql`update checkouts set late_create_until = updated_at + (expires_at - created_at) + interval '1 hour'
    where status = 'expired' and xendit_invoice_id is null`.execute(db);
  await sql`create index checkouts_late_creates on checkouts (late_create_until) where late_create_until is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists checkouts_late_creates`.execute(db);
  await db.schema.alterTable('checkouts').dropColumn('late_create_until').execute();
}
