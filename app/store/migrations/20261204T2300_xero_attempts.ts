import { sql, type Kysely } from 'kysely';

/**
 * payments.xero_attempt_at / fee_attempt_at: set (committed) before a create is sent to Xero, cleared
 * once Xero answered. Set means an earlier attempt's outcome is unknown (a crash after sending, a
 * lost response, a timeout), and only then is the payment (or its fee) looked up by Reference
 * before writing; the normal path sends the create alone.
 *
 * Rows written before this column existed were always looked up first, so an earlier attempt of a
 * payment not recorded yet (or of a fee not posted yet) may have reached Xero: they start as unknown.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('xero_attempt_at', 'timestamptz').addColumn('fee_attempt_at', 'timestamptz').execute();
  await sql`update payments set xero_attempt_at = updated_at where sync_state in ('pending', 'needs_review')`.execute(db);
  await sql`update payments set fee_attempt_at = updated_at where fee_state in ('pending', 'needs_review')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').dropColumn('xero_attempt_at').dropColumn('fee_attempt_at').execute();
}
