import type { Kysely } from 'kysely';

/**
 * A reversed withdrawal's fee given back by Xendit, and the Receive Money that books it back into the
 * clearing account (jobs/sync/withdrawal-fee.ts), marked apart from the transfer back so a run that
 * dies between the two books each once.
 * - fee_returned: a listing showed the REVERSED transaction's fee status REVERSED or CANCELED
 *   (xendit-node FeeResponse.status); once true, never false again.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('withdrawals')
    .addColumn('fee_returned', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('fee_return_attempt_at', 'timestamptz')
    .addColumn('xero_fee_return_entry_id', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('withdrawals').dropColumn('fee_returned').dropColumn('fee_return_attempt_at').dropColumn('xero_fee_return_entry_id').execute();
}
