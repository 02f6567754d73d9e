/**
 * The stores one run of a job writes through (registry.ts gives every run its own): the writes a
 * worker that lost its job (stalled past its lease, the job taken over) could undo the newer run's
 * work with are fenced on its claim, as its verdict is (store/jobs.ts).
 *
 * - Each attempt mark committed before a create (send-once.ts): not written, the run sends nothing,
 *   and it never clears the mark of the run that took over.
 * - A payment's recording (markInXero): it would put back the Xero ids and state a later run wrote
 *   (an overpayment booked on a Retry, wiped to none) and queue the fee's job from its own outcome.
 *
 * Left unfenced, on purpose: what a run stores once Xero took its create (an entry's id, "recorded"):
 * that entry exists, and a run that took over finds the same one by its Reference, since the mark
 * was set; dropping it could leave an entry nobody knows of. Error notes (last_error): text only.
 * A withdrawal set waiting is fenced by its own store (settlements.waiting takes the claim).
 *
 * A mark not written with the claim still held means its row is gone (deleted while the job ran):
 * that is no lost claim (ClaimLost writes no verdict, leaving the job running until its lease ends,
 * on every attempt), so the run fails as any other error does.
 */
import type { Stores } from '../store/index.js';
import type { Claim } from '../store/jobs.js';

/**
 * An attempt mark under `claim`: `written`, or throws when the claim still holds: the row is gone.
 * A clear (at null) answers as it is, keeping the refusal it follows. Also the group path's (registry.ts).
 */
export function claimedMark(stores: Pick<Stores, 'jobs'>, claim: Claim) {
  return async (at: Date | null, what: string, written: Promise<boolean>): Promise<boolean> => {
    if ((await written) || at === null) return written;
    const job = await stores.jobs.byId(claim.id);
    if (job?.state === 'running' && job.claimNo === claim.claimNo)
      throw new Error(`nothing sent: the ${what} this job is for is gone, so its attempt could not be marked`);
    return false;
  };
}

export function claimedStores(stores: Stores, claim: Claim): Stores {
  const { payments: p, refunds: r, settlements: s, otherMovements: o, feeBills: f, feeReturns: fr } = stores;
  const mark = claimedMark(stores, claim);
  return {
    ...stores,
    payments: {
      ...p,
      markInXero: (payment, x, now, feeJob) => p.markInXero(payment, x, now, feeJob, claim),
      noteXeroAttempt: (id, at, account) => mark(at, 'payment', p.noteXeroAttempt(id, at, account, claim)),
      noteOverpaymentAttempt: (id, at) => mark(at, 'payment', p.noteOverpaymentAttempt(id, at, claim)),
      noteFeeAttempt: (id, entry, at) => mark(at, 'payment', p.noteFeeAttempt(id, entry, at, claim)),
    },
    refunds: {
      ...r,
      noteCreditAttempt: (id, at, now, moved) => mark(at, 'refund', r.noteCreditAttempt(id, at, now, moved, claim)),
      noteRefundAttempt: (id, at, now, account) => mark(at, 'refund', r.noteRefundAttempt(id, at, now, account, claim)),
      noteOverpaymentRefundAttempt: (id, at, now, account) => mark(at, 'refund', r.noteOverpaymentRefundAttempt(id, at, now, account, claim)),
      overpaymentRefundRefused: (id, now) => r.overpaymentRefundRefused(id, now, claim),
      noteFeeAttempt: (id, at, now) => mark(at, 'chargeback fee', r.noteFeeAttempt(id, at, now, claim)),
    },
    settlements: {
      ...s,
      noteAttempt: (id, kind, at, now, account) => mark(at, 'withdrawal', s.noteAttempt(id, kind, at, now, account, claim)),
      noteReversalAttempt: (id, at, now) => mark(at, 'withdrawal', s.noteReversalAttempt(id, at, now, claim)),
      noteFeeAttempt: (id, at, now) => mark(at, 'withdrawal fee', s.noteFeeAttempt(id, at, now, claim)),
      noteFeeReturnAttempt: (id, at, now) => mark(at, 'withdrawal fee', s.noteFeeReturnAttempt(id, at, now, claim)),
    },
    otherMovements: {
      ...o,
      noteAttempt: (id, at, now, sent) => mark(at, 'movement', o.noteAttempt(id, at, now, sent, claim)),
      noteFeeAttempt: (id, at, now) => mark(at, 'movement fee', o.noteFeeAttempt(id, at, now, claim)),
      noteReversalAttempt: (id, at, now) => mark(at, 'movement', o.noteReversalAttempt(id, at, now, claim)),
      noteFeeReturnAttempt: (id, at, now) => mark(at, 'movement fee', o.noteFeeReturnAttempt(id, at, now, claim)),
    },
    feeBills: { ...f, noteAttempt: (id, at, now) => mark(at, 'fee bill', f.noteAttempt(id, at, now, claim)) },
    feeReturns: { ...fr, noteAttempt: (paymentId, entry, at, now, seen) => mark(at, 'fee return', fr.noteAttempt(paymentId, entry, at, now, seen, claim)) },
  };
}
