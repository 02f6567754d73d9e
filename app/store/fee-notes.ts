/**
 * Xendit's fee on a payout of the balance, learnt once COMPLETED after its row was made: a
 * withdrawal's (withdrawal-fees.ts) and an other balance movement's (other-movements.ts) are noted
 * alike, on columns of the same names (migrations 20261207T0902, 20261207T0916, 20261207T1100).
 */
import { sql } from 'kysely';
import type { Db } from './db.js';
import { insertJob, requeueOrRunAgain, type NewJobRow } from './job-rows.js';

/**
 * Queues its job (`job`, or the finished one with that dedupe key) in the caller's commit, or marks
 * one running to run again once it ends (requeueOrRunAgain: it may have read the row before): whether one was.
 */
export async function requeueFor(trx: Db, job: NewJobRow, now: Date): Promise<boolean> {
  return (await insertJob(trx, job)) || (await requeueOrRunAgain(trx, [job.dedupe_key!], now, { clearError: false })) > 0;
}

/**
 * The fee and its VAT part (`tax`), once known (PENDING, or unread, when the row was made); false
 * when the row had one already. Its job queued again in the same commit: one that had booked the
 * payout is done, and a crash between two commits would leave the fee unbooked.
 */
export function noteFeeOn(
  db: Db,
  table: 'withdrawals' | 'other_movements',
): (id: string, fee: number, inAmount: boolean, job: NewJobRow, now: Date, tax?: number) => Promise<boolean> {
  return (id, fee, inAmount, job, now, tax = 0) =>
    db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable(table)
        .set({ fee, fee_tax: tax, fee_in_amount: inAmount, updated_at: now })
        .where('id', '=', id)
        .where('fee', '=', 0)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await requeueFor(trx, job, now);
      return true;
    });
}

/** A row no listing shows read again by its id (jobs/sync/unlisted-rows.ts): `reads` so far. */
export interface KeptFeeToRead {
  id: string;
  xenditTransactionId: string;
  reads: number;
}

/**
 * A row no listing shows whose kept fee is to be read again by its id: not read yet, or read while its
 * fee was not final and due again, a wait that doubles with each read (1, 2, 4, … days), at most `maxReads`.
 */
export function keptFeeReadDue(now: Date, maxReads: number) {
  return sql<boolean>`(kept_fee_read_at is null or (kept_fee_reads < ${maxReads} and kept_fee_read_at + make_interval(days => power(2, greatest(kept_fee_reads, 1) - 1)::int) <= ${now}))`;
}
