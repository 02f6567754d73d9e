/**
 * A dispute (chargeback) at Xendit: when it is LOST the money went back to the payer, and it goes
 * into Xero as a refund does (credit note + cash refund out of the clearing account, Reference
 * `Xendit chargeback <dispute id>`). Raised, under review or won, it moved nothing we book: the
 * outcome is recorded, not the money Xendit may hold while it lasts (see docs/money.md).
 * The webhook is only a hint: the dispute is read from Xendit. It names the payment by payment_id
 * and reference_id ("to match the dispute to your own order records", docs.xendit.co "Manage
 * Disputes via API"): the payment whose invoice gave that payment_id, else the one payment whose
 * Xendit invoice (a checkout's, or a backend-flow sale's) has the reference_id as external id.
 */
import { randomUUID } from 'node:crypto';
import type { Job } from '../../store/jobs.js';
import type { Payment } from '../../store/payments.js';
import type { XenditDispute } from '../../clients/xendit/types.js';
import { toDecimal } from '../../money.js';
import { NeedsReview } from '../runner.js';
import { DisputePayload } from '../kinds.js';
import { jobRow } from '../enqueue.js';
import { bookRefund, ranBefore, type RecordRefundDeps } from './record-refund.js';
import { readWithPaymentKey } from './checkout-key.js';
import { bookChargebackFee } from './chargeback-fee.js';

export function recordDisputeJob(deps: RecordRefundDeps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, xenditDisputeId, status } = DisputePayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);
    // Read where its payment is: with that payment's key once booked (a run again), else either stored key.
    const known = await deps.stores.refunds.byXenditId(merchantId, xenditDisputeId);
    const { found: dispute, key } = await readWithPaymentKey(deps, deps.xendit, merchant, known?.paymentId, (k) => deps.xendit.getDispute(k, xenditDisputeId));
    if (!dispute) throw new NeedsReview(`Xendit has no dispute ${xenditDisputeId}`);
    // Which payment it takes back, kept: a CHARGEBACK listed under that payment's id is tied to it (chargeback-dispute.ts).
    await deps.stores.knownDisputes.seen(
      merchantId,
      {
        xenditDisputeId: dispute.id,
        xenditPaymentId: dispute.paymentId,
        currency: dispute.currency,
        amount: dispute.finalAmount ?? dispute.amount,
        status: dispute.status,
      },
      deps.clock(),
    );
    if (dispute.status !== 'LOST') {
      // Still open: looked at again daily (list-refunds.ts), in case its LOST webhook never comes.
      if (dispute.status === 'WON') await deps.stores.openDisputes.settled(merchantId, xenditDisputeId);
      else await deps.stores.openDisputes.watch(merchantId, xenditDisputeId, dispute.status, nextDisputeLook(deps.clock()), deps.clock());
      deps.logger.info({ merchantId, xenditDisputeId, status: dispute.status }, 'dispute not lost: nothing to record');
      return;
    }
    // Only the LOST job books, so two events of one dispute never book side by side; an earlier
    // event that finds the dispute lost already (its LOST webhook late or lost) queues that job.
    if (status !== 'LOST') {
      await queueLost(deps, merchantId, xenditDisputeId, { readLost: true });
      return;
    }
    await deps.stores.openDisputes.settled(merchantId, xenditDisputeId);
    const taken = dispute.finalAmount ?? dispute.amount;
    if (taken <= 0) {
      deps.logger.info({ merchantId, xenditDisputeId }, 'dispute lost for nothing: nothing to record');
      return;
    }
    const fits = (await candidatesOf(deps, merchantId, dispute)).filter((p) => p.currency === dispute.currency && p.amount >= taken);
    if (fits.length !== 1) {
      // Its payment_id may be of a payment recorded before its PAID callback came: it runs again once that callback gives it (jobs.waitForPaymentIds).
      if (!fits.length && dispute.paymentId) await deps.stores.jobs.waitForPaymentIds(job, [dispute.paymentId]);
      throw new NeedsReview(
        `chargeback ${dispute.id} of ${toDecimal(taken, dispute.currency)} ${dispute.currency} (reference ${dispute.referenceId ?? 'none'}) ` +
          (fits.length
            ? `fits ${fits.length} payments: record it by hand`
            : `fits no payment the gateway recorded: record it by hand${dispute.paymentId ? ` (it runs again should a payment with payment_id ${dispute.paymentId} be recorded)` : ''}`),
      );
    }
    const [payment] = fits;
    // A job run again (a Retry after booking by hand, say) looks under the Reference before it makes anything.
    await bookRefund(
      deps,
      merchant,
      payment,
      {
        id: randomUUID(),
        kind: 'chargeback',
        merchantId,
        paymentId: payment.id,
        xenditRefundId: dispute.id,
        currency: dispute.currency,
        amount: taken,
        reason: 'chargeback',
        refundedAt: dispute.updatedAt ? new Date(dispute.updatedAt) : deps.clock(),
      },
      { lookFirst: ranBefore(job), key, job },
    );
    // Then what Xendit charged on it, marked apart: a run again after a death between the two books only what is left.
    const booked = await deps.stores.refunds.byXenditId(merchantId, dispute.id);
    if (booked) await bookChargebackFee(deps, merchant, booked, key, { lookFirst: ranBefore(job), paymentId: dispute.paymentId ?? payment.xenditPaymentId });
  };
}

/**
 * The payments a dispute may take back: by payment_id when a recorded payment has it (which
 * reference_id holds is not documented: the external id, or the merchant's own order id), else
 * those of the merchant's checkouts and backend-flow sales with the reference_id as external id (a
 * sale recorded by the paid listing, its PAID callback lost, has no payment_id to be found by)
 * and no payment_id other than the dispute's.
 */
async function candidatesOf(deps: RecordRefundDeps, merchantId: string, dispute: XenditDispute): Promise<Payment[]> {
  const byPaymentId = dispute.paymentId ? await deps.stores.payments.byXenditPaymentId(merchantId, [dispute.paymentId]) : null;
  if (byPaymentId) return [byPaymentId];
  if (!dispute.referenceId) return [];
  // Xendit does not require external ids to be unique: a payment known by another payment_id is
  // another sale of the same external id, never this one (this one may not be recorded yet).
  const byReference = await deps.stores.payments.byExternalId(merchantId, dispute.referenceId);
  return byReference.filter((p) => !dispute.paymentId || p.xenditPaymentId === null || p.xenditPaymentId === dispute.paymentId);
}

/** A dispute read open is read again a day later. */
export const nextDisputeLook = (now: Date) => new Date(now.getTime() + 86_400_000);

/**
 * The job that books a lost dispute (one per dispute, whoever finds it lost first). That job may
 * exist and be done without booking: its LOST webhook came while Xendit still showed the dispute
 * open (the body is only a hint). Then it is run again. `readLost`: the caller read the dispute LOST
 * at Xendit just now, so the daily looks stop here; on a mere hint (a Dispute Report's status) they
 * go on until the job itself reads it lost.
 */
export async function queueLost(
  deps: Pick<RecordRefundDeps, 'stores' | 'clock'>,
  merchantId: string,
  xenditDisputeId: string,
  opts: { readLost: boolean; runAt?: Date },
): Promise<boolean> {
  const row = jobRow('record-dispute', { merchantId, xenditDisputeId, status: 'LOST' }, deps.clock(), { runAt: opts.runAt });
  let queued = await deps.stores.jobs.insert(row);
  if (!queued && !(await deps.stores.refunds.byXenditId(merchantId, xenditDisputeId))) {
    // One running now may have read the dispute open: it runs again once it ends.
    if (row.dedupe_key) queued = await deps.stores.jobs.replayOrRunAgain(row.dedupe_key, deps.clock());
  }
  if (opts.readLost) await deps.stores.openDisputes.settled(merchantId, xenditDisputeId);
  return queued;
}
