import { sql, type Kysely } from 'kysely';

/**
 * A refund of a payment that was partly booked as a Xero overpayment goes back on that overpayment
 * first (jobs/sync/refund-overpayment.ts):
 * - refunds.overpayment_part: the part of the refund paid out of the overpayment, decided once
 *   before anything is sent so that every retry sends the same split (0: none; null: not decided).
 *   Refunds booked, or begun, before this migration went the credit-note way whole: 0.
 * - refunds.xero_overpayment_refund_id / overpayment_refund_attempt_at: that refund payment in Xero,
 *   and the mark committed before it is sent.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('refunds')
    .addColumn('overpayment_part', 'bigint')
    .addColumn('xero_overpayment_refund_id', 'text')
    .addColumn('overpayment_refund_attempt_at', 'timestamptz')
    .execute();
  await sql`update refunds set overpayment_part = 0
    where state in ('recorded', 'test_mode') or xero_credit_note_id is not null or credit_attempt_at is not null or refund_attempt_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const c of ['overpayment_part', 'xero_overpayment_refund_id', 'overpayment_refund_attempt_at'])
    await db.schema.alterTable('refunds').dropColumn(c).execute();
}
