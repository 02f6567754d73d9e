/**
 * The scheduled side of refunds: a refund whose webhook never came (not configured at Xendit, lost,
 * refused) is found here. Each run reads up to MAX_PAGES pages of PAGE_SIZE of every active or
 * disabled merchant's Xendit refunds (see listMerchantRefunds for where it starts) and queues a record-refund job for
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
 *
 * Every stored key's account is read (listingKeys), not only the one in use: a refund or dispute of
 * a payment made in the other mode moves money all the same, and test money stays test money by
 * the key that found it (record-refund.ts).
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { listingKeys, listsMovements, type XenditMode } from '../../store/merchant-model.js';
import { enqueue, jobRow } from '../enqueue.js';
import type { Refund } from '../../store/refunds.js';
import type { Merchant } from '../../store/merchants.js';
import type { XenditRefund } from '../../clients/xendit/types.js';
import { listOrder } from './list-order.js';
import { RECHECK_FOR_MS } from './fee-return.js';
import { nextDisputeLook, queueLost } from './record-dispute.js';
import { refundFailedReason } from './record-refund.js';
import { paymentOfRefund } from './refund-payment.js';
import { readWithPaymentKey } from './checkout-key.js';

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
      // Every stored key's account, each with its own cursor: a refund in the account of the mode
      // not in use moves money all the same. Its job reads it where it is (readWithPaymentKey) and
      // judges test or live money by that key.
      for (const { mode, key } of listingKeys(merchant)) {
        try {
          await listMerchantRefunds(deps, merchant, { mode, key });
        } catch (err) {
          deps.logger.warn({ err: String(err), merchantId: merchant.id, mode }, 'could not list refunds at Xendit');
        }
      }
    }
    await lookAgainAtFees(deps);
    await lookAgainAtDisputes(deps);
  };
}

type ListDeps = { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger };

/**
 * GET /refunds does not document its order (list-order.ts), so it is judged from the pages read.
 * Each stored key's account is read on its own, with its own cursor (the mode's).
 * Newest first: every run reads from the start, which holds the newest refunds. Oldest first, the
 * start holds the oldest: past MAX_PAGES x PAGE_SIZE refunds a run from the start would never reach
 * a new one, so the run continues after the merchant's cursor (after_id, kept in our DB), moved past
 * each page once its jobs are queued. A refund still PENDING holds the cursor before it (its
 * SUCCEEDED may come with no webhook, and the listing would not pass it again), for up to
 * PENDING_HOLD_MS after it was created. Until the order is known, no cursor is kept.
 */
async function listMerchantRefunds(deps: ListDeps, merchant: Merchant, { mode, key }: { mode: XenditMode; key: string }): Promise<void> {
  const cursor = await deps.stores.refundListing.cursor(merchant.id, mode);
  const read: XenditRefund[] = [];
  let afterId = cursor ?? undefined;
  /** The last row read before the first PENDING refund that holds the cursor (undefined: none held). */
  let heldAt: string | null | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { refunds, hasMore, lastId } = await deps.xendit.listRefunds(key, { limit: PAGE_SIZE, ...(afterId ? { afterId } : {}) });
    read.push(...refunds);
    const judged = listOrder(read);
    if (cursor && judged === 'newest_first') {
      // Read after a cursor kept because Xendit listed oldest first, it now lists newest first: from
      // the start again, next run.
      await deps.stores.refundListing.setCursor(merchant.id, mode, null);
      deps.logger.warn({ merchantId: merchant.id }, 'Xendit now lists refunds newest first: the refund listing reads from the start again');
      return;
    }
    let before = afterId ?? null;
    const passed: string[] = [];
    for (const r of refunds) {
      if (heldAt === undefined && holdsCursor(deps, r)) heldAt = before;
      else if (heldAt === undefined && r.status === 'PENDING') passed.push(r.id);
      before = r.id;
      await queueRefund(deps, merchant, r);
    }
    // A cursor already kept means Xendit listed oldest first; a page of one refund (or none) does not say otherwise.
    if (judged === 'oldest_first' || (cursor && judged === 'undecided')) {
      await deps.stores.refundListing.setCursor(merchant.id, mode, heldAt !== undefined ? heldAt : (lastId ?? before));
      if (passed.length) {
        deps.logger.warn(
          { merchantId: merchant.id, xenditRefundIds: passed },
          'refunds PENDING at Xendit for days: the refund listing moves past them (their webhook must book them)',
        );
      }
    }
    if (!hasMore || !lastId) break;
    afterId = lastId;
  }
}

/** How long a PENDING refund holds the cursor before it (oldest-first listing); then it is passed, with a warning. */
const PENDING_HOLD_MS = 7 * 86_400_000;

/** PENDING and younger than PENDING_HOLD_MS (one whose created time is unknown cannot be waited for). */
function holdsCursor(deps: ListDeps, r: XenditRefund): boolean {
  const created = r.created ? Date.parse(r.created) : NaN;
  return r.status === 'PENDING' && !Number.isNaN(created) && deps.clock().getTime() - created < PENDING_HOLD_MS;
}

/**
 * One listed refund: a failed one frees the admin request it was asked by; a succeeded one of ours
 * not booked yet gets its record-refund job, once (or run again, runAgain).
 */
async function queueRefund(deps: ListDeps, merchant: Merchant, r: XenditRefund): Promise<void> {
  // A refund asked from the admin that failed whose webhook was lost (or came after its job gave up
  // waiting): its request no longer holds the amount.
  if (r.status === 'FAILED' || r.status === 'CANCELLED') {
    const failure = { xenditRefundId: r.id, referenceId: r.referenceId, failureCode: r.failureCode };
    await deps.stores.refundRequests.failedAtXendit(merchant.id, failure, refundFailedReason(r), deps.clock());
  }
  await deps.stores.refundRequests.madeAtXendit(merchant.id, r, deps.clock());
  if (r.status !== 'SUCCEEDED') return;
  const known = await deps.stores.refunds.byXenditId(merchant.id, r.id);
  if (known && known.state !== 'pending') return;
  const tie = await paymentOfRefund(deps.stores, merchant.id, r);
  if (tie.payment === null && tie.notOurs) return;
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
      // Read where its payment is, else with either stored key (as its job reads it): a dispute in
      // the account of the mode not in use is found all the same, and its job judges its money by that key.
      const known = await deps.stores.refunds.byXenditId(d.merchantId, d.xenditDisputeId);
      const { found: dispute } = await readWithPaymentKey(deps, deps.xendit, merchant, known?.paymentId, (k) => deps.xendit.getDispute(k, d.xenditDisputeId));
      if (!dispute) {
        // No stored key's account has it (a key replaced since?): a job that says so in needs review,
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
