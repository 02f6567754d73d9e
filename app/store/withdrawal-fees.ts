/**
 * Xendit's fee on a withdrawal (migrations 20261207T0626, 20261207T0808): learnt once COMPLETED, its
 * Spend Money out of the clearing account, and, the withdrawal reversed with its fee given back, the
 * Receive Money that books it back. Written through the settlement store (settlements.ts).
 */
import { sql, type Updateable } from 'kysely';
import type { Db } from './db.js';
import type { Claim, NewJobRow } from './jobs.js';
import { keptFeeReadDue, noteFeeOn, requeueFor, type KeptFeeToRead } from './fee-notes.js';
import type { WithdrawalState, WithdrawalsTable } from './schema.js';

type Update = (id: string, set: Updateable<WithdrawalsTable>, now: Date, claim?: Claim) => Promise<boolean>;

export function createWithdrawalFeeWrites(db: Db, update: Update) {
  return {
    /**
     * The transfer out as Xero holds it now (jobs/sync/withdrawal-out.ts transferOutHeld: made again by
     * a person for what reached the bank once Xendit's fee inside the amount was known), stored before
     * the transfer back that moves what it moves is sent; in the same commit, Xendit having given back a
     * fee the row never learnt, the fee that person booked by hand (its Spend Money, its amount) as the
     * row's fee, inside the amount (the alert's case), so it is given back once (withdrawal-fee.ts feeReturnToBook).
     */
    outAsHeld: (id: string, transferId: string, amount: number, now: Date, fee?: { entryId: string; amount: number }) =>
      update(
        id,
        {
          xero_bank_transfer_id: transferId,
          transfer_amount: amount,
          ...(fee ? { xero_fee_entry_id: fee.entryId, fee: fee.amount, fee_in_amount: true } : {}),
        },
        now,
      ),
    /** Xendit's fee and its VAT part, once known (fee-notes.ts). */
    noteFee: noteFeeOn(db, 'withdrawals'),
    /**
     * Xendit gave the reversed withdrawal's fee back (its fee status REVERSED or CANCELED): noted (never
     * unnoted), and its job queued again in the same commit, as noteFee's (one that booked the transfer
     * back while the fee was still listed COMPLETED is done); also when noted before, as noteReversed
     * does: a job that ran meanwhile may have missed it. Whether a job was queued. Noted on a row already
     * reversed (the fee kept then), `at` is kept as when it came back (fee_returned_at), the day its
     * return is dated by, written in this commit before any job books it.
     */
    noteFeeReturned: (id: string, job: NewJobRow, now: Date, at: Date): Promise<boolean> =>
      db.transaction().execute(async (trx) => {
        await trx
          .updateTable('withdrawals')
          .set({ fee_returned: true, fee_returned_at: sql<Date | null>`case when reversed_at is not null then ${at}::timestamptz end`, updated_at: now })
          .where('id', '=', id)
          .where('fee_returned', '=', false)
          .execute();
        return requeueFor(trx, job, now);
      }),
    /**
     * A row reversed already, listed REVERSED with the fee Xendit kept: its job queued again in the same
     * commit to book that fee, once ever (fee_kept_noted_at); false when noted before or none was queued.
     */
    noteFeeKept: (id: string, job: NewJobRow, now: Date): Promise<boolean> =>
      db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('withdrawals')
          .set({ fee_kept_noted_at: now, updated_at: now })
          .where('id', '=', id)
          .where('fee_kept_noted_at', 'is', null)
          .executeTakeFirst();
        return Number(r.numUpdatedRows) > 0 && (await requeueFor(trx, job, now));
      }),
    /**
     * Up to `limit` of the merchant's rows reversed before `before` (made before it too), no listing
     * shows any more, that may still have a fee Xendit kept to book (none booked, none given back,
     * never queued for it) and are due a read by their id (keptFeeReadDue; jobs/sync/unlisted-rows.ts).
     */
    keptFeeToRead: async (merchantId: string, before: Date, limit: number, now: Date, maxReads: number): Promise<KeptFeeToRead[]> =>
      (
        await db
          .selectFrom('withdrawals')
          .select(['id', 'xendit_transaction_id', 'kept_fee_reads'])
          .where('merchant_id', '=', merchantId)
          .where('state', '=', 'reversed')
          .where('reversed_at', '<', before)
          .where('withdrawn_at', '<', before)
          .where('fee_returned', '=', false)
          .where('xero_fee_entry_id', 'is', null)
          .where('fee_attempt_at', 'is', null)
          .where('fee_kept_noted_at', 'is', null)
          .where(keptFeeReadDue(now, maxReads))
          // A row whose read failed was touched (keptFeeReadLater): it goes behind the rest.
          .orderBy('updated_at')
          .orderBy('reversed_at')
          .orderBy('id')
          .limit(limit)
          .execute()
      ).map((r) => ({ id: r.id, xenditTransactionId: r.xendit_transaction_id, reads: r.kept_fee_reads })),
    /** Read again by its id (keptFeeToRead) for the `reads`th time: picked again after its wait only while fewer than the most reads. */
    keptFeeRead: (id: string, now: Date, reads: number) => update(id, { kept_fee_read_at: now, kept_fee_reads: reads }, now),
    /** Its read failed: picked again after the others (keptFeeToRead), so rows that keep failing hold none back. */
    keptFeeReadLater: (id: string, now: Date) => update(id, {}, now),
    /** Committed before the fee's Spend Money is sent; null once Xero answered that it did not take it. */
    noteFeeAttempt: (id: string, at: Date | null, now: Date, claim?: Claim) => update(id, { fee_attempt_at: at }, now, claim),
    /**
     * Booked: a row in review for its fee (a Retry booked it, or found one a person booked) leaves it,
     * recorded, or reversed once its transfer back is in Xero too (a job left to run books the rest).
     */
    feeRecorded: async (id: string, entryId: string, now: Date) =>
      Number(
        (
          await db
            .updateTable('withdrawals')
            .set({
              xero_fee_entry_id: entryId,
              fee_attempt_at: null,
              last_error: null,
              state: sql<WithdrawalState>`case when state <> 'needs_review' then state when xero_reversal_transfer_id is null then 'recorded' else 'reversed' end`,
              updated_at: now,
            })
            .where('id', '=', id)
            .executeTakeFirst()
        ).numUpdatedRows,
      ) > 0,
    /** Committed before the fee's Receive Money back is sent; null once Xero answered that it did not take it. */
    noteFeeReturnAttempt: (id: string, at: Date | null, now: Date, claim?: Claim) => update(id, { fee_return_attempt_at: at }, now, claim),
    /** Booked after the transfer back: nothing left, a row put in review by a failed attempt at it too. */
    feeReturnRecorded: (id: string, entryId: string, now: Date) =>
      update(id, { xero_fee_return_entry_id: entryId, fee_return_attempt_at: null, state: 'reversed', last_error: null }, now),
  };
}
