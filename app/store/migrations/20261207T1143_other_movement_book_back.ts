import type { Kysely } from 'kysely';

/**
 * One of Xendit's other balance movements REVERSED after its entry was booked is booked back by its
 * job, once (jobs/sync/movement-reversal.ts), as a withdrawal is (20261207T0808):
 * - xero_reversal_entry_id / reversal_attempt_at: the opposite Spend or Receive Money on the
 *   clearing account (Reference `Xendit movement reversed <id>`) and its attempt mark.
 * - fee_returned: the reversed transaction's fee status REVERSED or CANCELED (xendit-node
 *   FeeResponse.status): Xendit gave its fee back; false: kept (COMPLETED) or none.
 * - xero_fee_return_entry_id / fee_return_attempt_at: the Receive Money of that fee back, and its mark.
 * Rows sent to review by the release before (reversal_told_at) are left as they were: a person may
 * have undone them by hand.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('other_movements')
    .addColumn('xero_reversal_entry_id', 'text')
    .addColumn('reversal_attempt_at', 'timestamptz')
    .addColumn('fee_returned', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('xero_fee_return_entry_id', 'text')
    .addColumn('fee_return_attempt_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('other_movements')
    .dropColumn('xero_reversal_entry_id')
    .dropColumn('reversal_attempt_at')
    .dropColumn('fee_returned')
    .dropColumn('xero_fee_return_entry_id')
    .dropColumn('fee_return_attempt_at')
    .execute();
}
