/**
 * The scheduled side of refunds: a refund whose webhook never came (not configured at Xendit, lost,
 * refused) is found here. Each run reads the newest refunds of every active or disabled merchant's Xendit
 * account (up to MAX_PAGES pages of PAGE_SIZE, newest first) and queues a record-refund job for
 * each succeeded refund of a payment the gateway recorded that is not in Xero yet, and of each
 * that names no invoice and matches no payment (refund-payment.ts), which its job puts in review.
 * The job's dedupe key makes the webhook and the listing one job, whichever comes first; a job that
 * ended before it could book (runAgain) is run again.
 *
 * It also looks again, once a day, at payments refunded in full whose fee Xendit has not said it
 * gave back: when Xendit marks that is not documented, and the refund's own job looks only for the
 * first hours (fee-return.ts). Each look is a return-fee job of that day, for LATE_LOOK_DAYS.
 *
 * And it reads again, once a day, each dispute that was open when last read (open_disputes): Xendit
 * lists no disputes, so a lost chargeback whose LOST webhook never came is found this way, as long
 * as an earlier webhook of it came.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { listsMovements } from '../../store/merchant-model.js';
import { enqueue, jobRow } from '../enqueue.js';
import type { Refund } from '../../store/refunds.js';
import { RECHECK_FOR_MS } from './fee-return.js';
import { nextDisputeLook, queueLost } from './record-dispute.js';
import { refundFailedReason } from './record-refund.js';
import { paymentOfRefund } from './refund-payment.js';

const PAGE_SIZE = 100;
const MAX_PAGES = 3;
/** How long after a full refund a fee given back is still looked for, and how many payments one run looks at. */
export const LATE_LOOK_DAYS = 30;
const LATE_LOOKS_PER_RUN = 1000;
const DISPUTE_LOOKS_PER_RUN = 200;

export function listRefundsJob(deps: { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger; onJobEnqueued?: () => void }) {
  return async (): Promise<void> => {
    for (const merchant of await deps.stores.merchants.list()) {
      if (!listsMovements(merchant)) continue;
      try {
        let afterId: string | undefined;
        for (let page = 0; page < MAX_PAGES; page++) {
          const { refunds, hasMore, lastId } = await deps.xendit.listRefunds(merchant.xenditSecretKey, { limit: PAGE_SIZE, afterId });
          for (const r of refunds) {
            // A refund asked from the admin that failed whose webhook was lost (or came after its job
            // gave up waiting): its request no longer holds the amount.
            if (r.status === 'FAILED' || r.status === 'CANCELLED') {
              const failure = { xenditRefundId: r.id, referenceId: r.referenceId, failureCode: r.failureCode };
              await deps.stores.refundRequests.failedAtXendit(merchant.id, failure, refundFailedReason(r), deps.clock());
            }
            if (r.status !== 'SUCCEEDED') continue;
            const known = await deps.stores.refunds.byXenditId(merchant.id, r.id);
            if (known && known.state !== 'pending') continue;
            const tie = await paymentOfRefund(deps.stores, merchant.id, r);
            if (tie.payment === null && tie.notOurs) continue;
            // One that names no invoice and matches nothing still gets its job, once (the dedupe
            // key): the job puts it in review, where a person sees it.
            const { payment } = tie;
            const row = jobRow('record-refund', { merchantId: merchant.id, xenditRefundId: r.id }, deps.clock());
            if (await deps.stores.jobs.insert(row)) {
              deps.logger.info({ merchantId: merchant.id, xenditRefundId: r.id }, 'refund found by the listing (no webhook yet)');
            } else if (payment?.syncState === 'recorded' && (await runAgain(deps, row.dedupe_key!, known))) {
              deps.logger.info({ merchantId: merchant.id, xenditRefundId: r.id }, 'refund whose job ended before it could book: run again');
            }
          }
          if (!hasMore || !lastId) break;
          afterId = lastId;
        }
      } catch (err) {
        deps.logger.warn({ err: String(err), merchantId: merchant.id }, 'could not list refunds at Xendit');
      }
    }
    await lookAgainAtFees(deps);
    await lookAgainAtDisputes(deps);
  };
}

/**
 * The refund's job exists (the dedupe key outlives it) but ended without booking: it ran before the
 * payment was recorded ("not ours": done), or gave up while Xendit still said PENDING (in review,
 * before it made the refund's row). Xendit now lists the refund SUCCEEDED and its payment is in
 * Xero, so it runs again, once: a job that ends the same way again (or that a person already ran
 * again: the payload counts retries) is a person's, not re-run at every listing. A job in review
 * after it made the row stays a person's. A job run again looks for the credit note by Reference
 * before making one (record-refund.ts), in case the refund was booked by hand meanwhile.
 */
async function runAgain(deps: { stores: Stores; clock: Clock }, dedupeKey: string, known: Refund | null): Promise<boolean> {
  const earlier = await deps.stores.jobs.byDedupeKey(dedupeKey);
  if (!earlier || Number(earlier.payload.retry ?? 0) > 0) return false;
  if (!(earlier.state === 'done' || (earlier.state === 'needs_review' && !known))) return false;
  return deps.stores.jobs.replay(earlier.id, deps.clock());
}

async function lookAgainAtDisputes(deps: { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger; onJobEnqueued?: () => void }): Promise<void> {
  for (const d of await deps.stores.openDisputes.due(deps.clock(), DISPUTE_LOOKS_PER_RUN)) {
    try {
      const merchant = await deps.stores.merchants.byId(d.merchantId);
      if (!merchant?.xenditSecretKey) {
        await deps.stores.openDisputes.watch(d.merchantId, d.xenditDisputeId, d.status, nextDisputeLook(deps.clock()), deps.clock());
        continue;
      }
      const dispute = await deps.xendit.getDispute(merchant.xenditSecretKey, d.xenditDisputeId);
      if (!dispute) {
        // Xendit no longer has it with this key (another key since?): a job that says so in needs review,
        // for a person (a status of its own: an OTHER job of the same dispute may be done already).
        await enqueue(deps.stores.jobs, 'record-dispute', { merchantId: d.merchantId, xenditDisputeId: d.xenditDisputeId, status: 'GONE' }, deps.clock());
        await deps.stores.openDisputes.settled(d.merchantId, d.xenditDisputeId);
        deps.logger.warn({ merchantId: d.merchantId, xenditDisputeId: d.xenditDisputeId }, 'Xendit no longer has this dispute');
      } else if (dispute.status === 'LOST') {
        if (await queueLost(deps, d.merchantId, d.xenditDisputeId, { readLost: true })) {
          deps.logger.info({ merchantId: d.merchantId, xenditDisputeId: d.xenditDisputeId }, 'lost dispute found by the daily look (no LOST webhook yet)');
          deps.onJobEnqueued?.();
        }
      } else if (dispute.status === 'WON') await deps.stores.openDisputes.settled(d.merchantId, d.xenditDisputeId);
      else await deps.stores.openDisputes.watch(d.merchantId, d.xenditDisputeId, dispute.status, nextDisputeLook(deps.clock()), deps.clock());
    } catch (err) {
      // Looked at again in an hour, not at every run.
      const later = new Date(deps.clock().getTime() + 3600_000);
      await deps.stores.openDisputes.watch(d.merchantId, d.xenditDisputeId, d.status, later, deps.clock()).catch(() => undefined);
      deps.logger.warn({ err: String(err), merchantId: d.merchantId, xenditDisputeId: d.xenditDisputeId }, 'could not read a dispute at Xendit');
    }
  }
}

async function lookAgainAtFees(deps: { stores: Stores; clock: Clock; logger: Logger }): Promise<void> {
  const now = deps.clock();
  const look = now.toISOString().slice(0, 10); // a UTC day
  try {
    const due = await deps.stores.refunds.refundedInFullWithoutFeeReturn({
      from: new Date(now.getTime() - LATE_LOOK_DAYS * 86_400_000),
      to: new Date(now.getTime() - RECHECK_FOR_MS),
      look,
      limit: LATE_LOOKS_PER_RUN,
    });
    let queued = 0;
    for (const d of due) if (await enqueue(deps.stores.jobs, 'return-fee', { ...d, look }, now)) queued++;
    if (queued) deps.logger.info({ queued, look }, 'fees of payments refunded in full looked at again');
  } catch (err) {
    deps.logger.warn({ err: String(err) }, 'could not look again at fees Xendit may have given back');
  }
}
