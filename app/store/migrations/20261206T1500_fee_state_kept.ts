import { sql, type Kysely } from 'kysely';

/**
 * Before payments.markInXero kept a fee's state once set, pressing Retry on a payment recorded in
 * part (an over-payment) set its fee back to 'pending', with no job left to post it (the post-fee
 * job's dedupe key outlives it). Those fees are put back: one posted (it has its Xero id) is
 * 'posted' again, so its fee returns are booked; one whose job waits in review is 'needs_review'
 * again, with its reason, so it is counted and shown for its job's replay. The same holds for a
 * fee whose job gave up (its attempts used) while the fee still read 'pending'.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`update payments set fee_state = 'posted', fee_error = null where fee_state = 'pending' and xero_fee_txn_id is not null`.execute(db);
  await sql`update payments p set fee_state = 'needs_review', fee_error = coalesce(p.fee_error, j.last_error)
            from jobs j
            where p.fee_state = 'pending' and j.dedupe_key = 'post-fee:' || p.id::text and j.state = 'needs_review'`.execute(db);
}

/** A repair of data: nothing to undo. */
export async function down(): Promise<void> {}
