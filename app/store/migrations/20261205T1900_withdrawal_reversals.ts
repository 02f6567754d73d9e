import { sql, type Kysely } from 'kysely';

/**
 * A withdrawal the receiving bank sent back after Xendit reported it sent (Xendit: transaction
 * status REVERSED, payout status REVERSED "rejected by processor after the payout succeeded", the
 * money back in the balance). reversed_at: when it came back (the transaction's updated time at
 * Xendit). The Bank Transfer that brings the money back into the clearing account in Xero is made
 * once like the first one: reversal_attempt_at is committed before it is sent,
 * xero_reversal_transfer_id once Xero took it.
 * State 'reversed': nothing is left to do (both transfers in Xero, or neither).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('withdrawals')
    .addColumn('reversed_at', 'timestamptz')
    .addColumn('reversal_attempt_at', 'timestamptz')
    .addColumn('xero_reversal_transfer_id', 'text')
    .execute();
  await db.schema.alterTable('withdrawals').dropConstraint('withdrawals_state').execute();
  await db.schema
    .alterTable('withdrawals')
    .addCheckConstraint('withdrawals_state', sql`state in ('pending', 'waiting', 'recorded', 'needs_review', 'test_mode', 'reversed')`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('withdrawals').dropConstraint('withdrawals_state').execute();
  await db.schema
    .alterTable('withdrawals')
    .addCheckConstraint('withdrawals_state', sql`state in ('pending', 'waiting', 'recorded', 'needs_review', 'test_mode')`)
    .execute();
  await db.schema.alterTable('withdrawals').dropColumn('reversed_at').dropColumn('reversal_attempt_at').dropColumn('xero_reversal_transfer_id').execute();
}
