import { sql, type Kysely } from 'kysely';

/**
 * A payment's Xero overpayment without its Reference: Xero documents BankTransaction.Reference as
 * "Only supported for SPEND and RECEIVE transactions" (xero_accounting.yaml), so a retry can no
 * longer count on finding a RECEIVE-OVERPAYMENT by it.
 * - overpayment_attempt_at: set before the overpayment's create is sent, cleared once Xero answered
 *   (as xero_attempt_at for the payment): while set, a retry looks the overpayment up first.
 * - xero_overpayment_txn_id: its BankTransactionID. xero_overpayment_id now holds the overpayment's
 *   own id (BankTransaction.OverpaymentID), which its refunds name; rows from before held the bank
 *   transaction's there, so it moves, and their OverpaymentID is looked up when a refund needs it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').addColumn('overpayment_attempt_at', 'timestamptz').addColumn('xero_overpayment_txn_id', 'text').execute();
  await sql`update payments set xero_overpayment_txn_id = xero_overpayment_id, xero_overpayment_id = null where xero_overpayment_id is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update payments set xero_overpayment_id = coalesce(xero_overpayment_txn_id, xero_overpayment_id)`.execute(db);
  await db.schema.alterTable('payments').dropColumn('overpayment_attempt_at').dropColumn('xero_overpayment_txn_id').execute();
}
