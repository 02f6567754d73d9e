/**
 * The scheduled side of refunds: a refund whose webhook never came (not configured at Xendit, lost,
 * refused) is found here. Each run reads up to MAX_PAGES pages of PAGE_SIZE of every active or
 * disabled merchant's Xendit refunds (see listMerchantRefunds for where it starts) and queues a record-refund job for
 * each succeeded refund of a payment the gateway recorded that is not in Xero yet, and of each
 * that names no invoice and matches no payment (refund-payment.ts), which its job puts in review;
 * with the backend flow on, also of each invoice the gateway did not make (queueRefund).
 * The job's dedupe key makes the webhook and the listing one job, whichever comes first; a job that
 * ended before it could book (runAgain) is run again. A refund read PENDING is kept and read again
 * by id at each run until it ends, for up to PENDING_HOLD_MS: either order, the listing reads each
 * refund once, and a slow channel's refund would be left behind before its SUCCEEDED, whose
 * webhook may be lost (lookAgainAtPending). GET /refunds has no date filter: a cursor Xendit lets
 * lapse before every run would keep it to its first pages, so the same run also finds refunds by
 * time, by the REFUND transactions of the Transactions API (list-refund-transactions.ts), each
 * refund found there handled as this listing's are (seenOnPage).
 *
 * It also looks again, once a day, at payments refunded in full whose fee Xendit has not said it
 * gave back: when Xendit marks that is not documented, and the refund's own job looks only for the
 * first hours (fee-return.ts). Each look is a return-fee job of that day, for LATE_LOOK_DAYS.
 *
 * And it reads again, once a day, each dispute that was open when last read (open_disputes): Xendit
 * lists no disputes, so a lost chargeback whose LOST webhook never came is found this way, as long
 * as an earlier webhook of it came. One none of whose webhooks came is found by the money it took:
 * its CHARGEBACK transaction, listed in the same run (list-chargebacks.ts).
 *
 * Every stored key's account is read (listingKeys), not only the one in use: a refund or dispute of
 * a payment made in the other mode moves money all the same, and test money stays test money by
 * the key that found it (record-refund.ts). Except an account another merchant's key holds, as the
 * withdrawals and paid invoices are (key-business.ts): its refunds and disputes are that merchant's.
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
import { listNewestFirst, type Listing } from './refund-walk.js';
import { keptCursorRefused } from './budgeted-listing.js';
import { RECHECK_FOR_MS } from './fee-return.js';
import { nextDisputeLook, queueLost } from './record-dispute.js';
import { listChargebacks } from './list-chargebacks.js';
import { listRefundTransactions } from './list-refund-transactions.js';
import { failureText } from './refund-refusal.js';
import { paymentOfRefund } from './refund-payment.js';
import { readWithPaymentKey } from './checkout-key.js';
import { listedSince, skipListing } from './key-business.js';
import { raiseAlert } from '../../alerts/raise.js';
import { message } from '../../i18n/index.js';
import type { CrashHook } from './crash-points.js';
import { UpstreamError } from '../../clients/types.js';

const PAGE_SIZE = 100;
const MAX_PAGES = 3;
/** How long after a full refund a fee given back is still looked for, and how many payments one run looks at. */
export const LATE_LOOK_DAYS = 30;
const LATE_LOOKS_PER_RUN = 1000;
const DISPUTE_LOOKS_PER_RUN = 200;

export function listRefundsJob(deps: ListDeps & { onJobEnqueued?: () => void }) {
  return async (): Promise<void> => {
    const runStart = deps.clock();
    const byTime: (Omit<Parameters<typeof listRefundTransactions>[2], 'seen'> & { merchant: Merchant })[] = [];
    for (const merchant of await deps.stores.merchants.list()) {
      if (!listsMovements(merchant)) continue;
      // Every stored key's account, each with its own cursor: a refund in the account of the mode
      // not in use moves money all the same. Its job reads it where it is (readWithPaymentKey) and
      // judges test or live money by that key.
      for (const { mode, key } of listingKeys(merchant)) {
        try {
          // Another merchant's key holds this account: each of its refunds naming no invoice would be
          // a review item here. Or which business it is is not known yet: no refund yet either.
          const since = await listedSince(deps, merchant, mode, key);
          if (!since) continue;
          const k: (typeof byTime)[number] = { merchant, mode, key, keySince: since, begin: false };
          try {
            await listMerchantRefunds(deps, merchant, { mode, key, since, unreached: (at) => void ((k.begin = true), at && (k.listingBehindSince = at)) });
          } catch (err) {
            k.begin = true;
            throw err;
          } finally {
            byTime.push(k);
            // Its own cursors, each currency on its own (failures logged there): refunds that could not be listed hold up no chargeback.
            await listChargebacks(deps, merchant, { mode, key, keySince: since });
          }
        } catch (err) {
          deps.logger.warn({ err: String(err), merchantId: merchant.id, mode }, 'could not list refunds at Xendit');
        }
      }
    }
    try {
      await lookAgainAtPending(deps, runStart);
    } catch (err) {
      deps.logger.warn({ err: String(err) }, 'could not read again the refunds listed PENDING');
    }
    // By time, what GET /refunds may not reach (list-refund-transactions.ts): after the looks by id, its reads spend no call they need.
    for (const k of byTime) {
      const seen = (refunds: readonly XenditRefund[]) => seenOnPage(deps, k.merchant, k.mode, refunds);
      await listRefundTransactions(deps, k.merchant, { ...k, seen }).catch((err: unknown) =>
        deps.logger.warn({ err: String(err), merchantId: k.merchant.id, mode: k.mode }, 'could not list refund transactions at Xendit'),
      );
    }
    await lookAgainAtFees(deps);
    await lookAgainAtDisputes(deps);
  };
}

/** `crash`, tests only: dies at a named point (CRASH_AT). */
type ListDeps = { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger; crash?: CrashHook };

/**
 * GET /refunds does not document its order (list-order.ts), so it is judged from the pages read.
 * Each stored key's account is read on its own, with its own cursor (the mode's).
 * Newest first, the start holds the newest refunds: each run walks back to the newest refund an
 * earlier walk read (listNewestFirst). Oldest first, the start holds the oldest: past MAX_PAGES x
 * PAGE_SIZE refunds a run from the start would never reach a new one, so the run continues after
 * the merchant's cursor (after_id, kept in our DB), moved past each page once its jobs are queued.
 * Until the order is known (one refund, or all made at one time), no cursor is kept.
 * Either way a refund read PENDING may leave the pages later runs read (behind the mark, or behind
 * the cursor) before it ends, its SUCCEEDED webhook lost: it is kept (pending_refunds) and read
 * again by id at each run (lookAgainAtPending) for up to PENDING_HOLD_MS after it was made.
 */
async function listMerchantRefunds(
  deps: ListDeps,
  merchant: Merchant,
  { mode, key, since, unreached }: { mode: XenditMode; key: string; since: Date; unreached: Listing['unreached'] },
  pages = MAX_PAGES,
): Promise<void> {
  const l: Listing = { merchant, mode, key, since, pageSize: PAGE_SIZE, seen: (refunds) => seenOnPage(deps, merchant, mode, refunds), unreached };
  const newest = await deps.stores.refundListing.newestFirst(merchant.id, mode);
  if (newest) return listNewestFirst(deps, l, newest, pages);
  const cursor = await deps.stores.refundListing.cursor(merchant.id, mode);
  const read: XenditRefund[] = [];
  let afterId = cursor ?? undefined;
  for (let page = 0; page < pages; page++) {
    const listed = await deps.xendit
      .listRefunds(key, { limit: PAGE_SIZE, ...(afterId ? { afterId } : {}) })
      .catch((err: unknown) => keptCursorRefused(err, page === 0 && Boolean(cursor)));
    const { refunds, hasMore, lastId } = listed ?? { refunds: [], hasMore: false, lastId: undefined };
    // Nothing after the kept cursor: no refund made since, or a cursor Xendit no longer holds (its
    // answer to one is documented nowhere: clients/xendit/paging.ts), the refunds after it never shown.
    if (page === 0 && cursor && (!listed || (!lastId && !(await cursorHeld(deps, key, cursor))))) {
      await deps.stores.refundListing.setCursor(merchant.id, mode, null);
      deps.logger.warn(
        { merchantId: merchant.id, mode, afterId: cursor },
        'refund listing: Xendit no longer holds its cursor: it reads from the start again (each refund read again is queued once)',
      );
      unreached();
      return listMerchantRefunds(deps, merchant, { mode, key, since, unreached }, pages - 1);
    }
    read.push(...refunds);
    const judged = listOrder(read);
    if (judged === 'newest_first' && cursor) {
      // Read after a cursor kept because Xendit listed oldest first, it now lists newest first: from
      // the start again, next run.
      await deps.stores.refundListing.setCursor(merchant.id, mode, null);
      deps.logger.warn({ merchantId: merchant.id }, 'Xendit now lists refunds newest first: the refund listing reads from the start again');
      return;
    }
    // From the start, newest first: the walk back begins here (this page read again as its first).
    if (judged === 'newest_first') return listNewestFirst(deps, l, { mark: null, walk: null }, MAX_PAGES - page);
    const passed = await seenOnPage(deps, merchant, mode, refunds);
    // A cursor already kept means Xendit listed oldest first; a page of one refund (or none) does not say otherwise.
    if (judged === 'oldest_first' || (cursor && judged === 'undecided')) {
      await deps.stores.refundListing.setCursor(merchant.id, mode, lastId ?? refunds.at(-1)?.id ?? afterId ?? null);
      if (passed.length) {
        deps.logger.warn(
          { merchantId: merchant.id, xenditRefundIds: passed },
          'refunds PENDING at Xendit for days: the refund listing moves past them (their webhook must book them)',
        );
      }
    }
    if (!hasMore || !lastId) return;
    afterId = lastId;
  }
  // More than the pages read (a backlog, or a cursor Xendit answers with the first page again): looked for by time too.
  unreached();
}

/**
 * Whether Xendit still holds a refund listing's cursor, the page after it being empty: the page
 * before it (before_id, xendit-node GetAllRefundsRequest) shows the refund before it. The listing
 * keeps a cursor once two refunds were seen, but that Xendit's list keeps every refund is not
 * documented: with nothing shown before it, the first page (two refunds) tells whether the list
 * ends at the cursor (nothing after it to miss: held, or as good as) or goes past it (lost). The
 * first page again (the other answer to a cursor it does not hold) never reaches here, read as the
 * page after the cursor.
 */
async function cursorHeld(deps: ListDeps, key: string, cursor: string): Promise<boolean> {
  try {
    if ((await deps.xendit.listRefunds(key, { limit: 1, beforeId: cursor })).lastId !== undefined) return true;
  } catch (err) {
    // A revision refusing before_id: no way to tell, the cursor is kept as it always was.
    if (err instanceof UpstreamError && err.kind === 'rejected') return true;
    throw err;
  }
  const start = await deps.xendit.listRefunds(key, { limit: 2 });
  return start.lastId === cursor && !start.hasMore;
}

/** What one page held: each refund queued (or watched while PENDING); those PENDING too long to wait for. */
async function seenOnPage(deps: ListDeps, merchant: Merchant, mode: XenditMode, refunds: readonly XenditRefund[]): Promise<string[]> {
  const passed: string[] = [];
  const ended: string[] = [];
  for (const r of refunds) {
    const created = waitedFor(deps, r);
    if (created) await deps.stores.pendingRefunds.watch({ merchantId: merchant.id, mode, xenditRefundId: r.id, created }, deps.clock());
    else if (r.status === 'PENDING') passed.push(r.id);
    else ended.push(r.id);
    await queueRefund(deps, merchant, r);
  }
  await deps.stores.pendingRefunds.ended(merchant.id, mode, ended);
  return passed;
}

/**
 * How long after it was made a refund read PENDING is read again (some channels take days); then
 * it is passed, with a warning, and only its webhook books it.
 */
const PENDING_HOLD_MS = 7 * 86_400_000;
/** Refunds read again by id in one run, across merchants: Xendit calls stay bounded. */
const PENDING_LOOKS_PER_RUN = 200;

/** When it was made, for a refund PENDING and younger than PENDING_HOLD_MS (one whose created time is unknown cannot be waited for). */
function waitedFor(deps: { clock: Clock }, r: XenditRefund): Date | null {
  const created = r.created ? new Date(r.created) : null;
  if (r.status !== 'PENDING' || !created || Number.isNaN(created.getTime())) return null;
  return deps.clock().getTime() - created.getTime() < PENDING_HOLD_MS ? created : null;
}

/**
 * Each refund read PENDING and not read since the run began is read by id with its mode's key: one
 * that ended is queued as the listing would (the job's dedupe key keeps webhook and look one job)
 * and no longer kept; one still PENDING past the hold, or that Xendit no longer has, is dropped.
 */
async function lookAgainAtPending(deps: ListDeps, runStart: Date): Promise<void> {
  for (const p of await deps.stores.pendingRefunds.due(runStart, PENDING_LOOKS_PER_RUN)) {
    const at = { merchantId: p.merchantId, xenditRefundId: p.xenditRefundId, mode: p.mode };
    const over = deps.clock().getTime() - p.created.getTime() >= PENDING_HOLD_MS;
    try {
      const merchant = await deps.stores.merchants.byId(p.merchantId);
      const key = merchant && listingKeys(merchant).find((k) => k.mode === p.mode)?.key;
      const r = key ? await deps.xendit.getRefund(key, p.xenditRefundId) : undefined;
      if (merchant && r && r.status !== 'PENDING') {
        await queueRefund(deps, merchant, r);
      } else if (r === null) {
        deps.logger.warn(at, 'Xendit no longer has a refund it listed PENDING');
      } else if (!over) {
        // Still PENDING, or its mode's key is gone for now: read again next run.
        await deps.stores.pendingRefunds.looked(p, deps.clock());
        continue;
      } else {
        deps.logger.warn(at, 'refund PENDING at Xendit for days: no longer read again (its webhook must book it)');
        // Money may still leave the balance for it: a person must watch it from here on.
        await raiseAlert(deps, {
          merchantId: p.merchantId,
          kind: 'refundPendingTooLong',
          message: message('alerts:refundPendingTooLong', { refund: p.xenditRefundId, days: PENDING_HOLD_MS / 86_400_000 }),
          dedupeKey: `refundPendingTooLong:${p.merchantId}:${p.xenditRefundId}`,
        });
      }
      await deps.stores.pendingRefunds.ended(p.merchantId, p.mode, [p.xenditRefundId]);
    } catch (err) {
      await deps.stores.pendingRefunds.looked(p, deps.clock()).catch(() => undefined);
      deps.logger.warn({ err: String(err), ...at }, 'could not read a PENDING refund at Xendit');
    }
  }
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
    await deps.stores.refundRequests.failedAtXendit(merchant.id, failure, failureText(r), deps.clock());
  }
  await deps.stores.refundRequests.madeAtXendit(merchant.id, r, deps.clock());
  if (r.status !== 'SUCCEEDED') return;
  const known = await deps.stores.refunds.byXenditId(merchant.id, r.id);
  if (known && known.state !== 'pending') return;
  const tie = await paymentOfRefund(deps.stores, merchant.id, r);
  // Of an invoice the gateway did not make, with the backend flow on: a sale whose callback and
  // paid listing are still to come looks the same, and this walk reads the refund only once. Its
  // job, as its webhook's, ends at its first run marked as waiting for that invoice, and runs again
  // only in the commit that records it (record-refund.ts): another system's refund costs one job
  // that ends. Without the backend flow no sale of such an invoice can come: nothing to queue.
  if (tie.payment === null && tie.notOurs && !merchant.backendFlow) return;
  // One that names no invoice and matches nothing still gets its job, once (the dedupe
  // key): the job puts it in review, where a person sees it.
  const { payment } = tie;
  const row = jobRow('record-refund', { merchantId: merchant.id, xenditRefundId: r.id }, deps.clock());
  const inserted = await deps.stores.jobs.insert(row);
  deps.crash?.('refund-listing-job-queued');
  if (inserted) {
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

async function lookAgainAtDisputes(deps: ListDeps & { onJobEnqueued?: () => void }): Promise<void> {
  for (const d of await deps.stores.openDisputes.due(deps.clock(), DISPUTE_LOOKS_PER_RUN)) {
    try {
      const merchant = await deps.stores.merchants.byId(d.merchantId);
      if (!merchant?.xenditSecretKey) {
        await deps.stores.openDisputes.watch(d.merchantId, d.xenditDisputeId, d.status, nextDisputeLook(deps.clock()), deps.clock());
        continue;
      }
      // Not read with a key whose account another merchant holds (or not known yet): what it finds
      // there is that merchant's. Read where its payment is, else with either stored key (as its job
      // reads it): a dispute in the account of the mode not in use is found all the same, and its
      // job judges its money by that key.
      const skipped = new Set<string>();
      for (const { mode, key } of listingKeys(merchant)) if (await skipListing(deps, merchant, mode, key)) skipped.add(key);
      const known = await deps.stores.refunds.byXenditId(d.merchantId, d.xenditDisputeId);
      const { found: dispute } = await readWithPaymentKey(deps, deps.xendit, merchant, known?.paymentId, (k) =>
        skipped.has(k) ? Promise.resolve(null) : deps.xendit.getDispute(k, d.xenditDisputeId),
      );
      if (!dispute && skipped.size) {
        // Not gone: not looked for where it may be. Looked at again tomorrow.
        await deps.stores.openDisputes.watch(d.merchantId, d.xenditDisputeId, d.status, nextDisputeLook(deps.clock()), deps.clock());
        deps.logger.info(
          { merchantId: d.merchantId, xenditDisputeId: d.xenditDisputeId },
          "dispute not read: a stored key's account is not this merchant's to list",
        );
      } else if (!dispute) {
        // No stored key's account has it (a key replaced since?): a job that says so in needs review,
        // for a person (a status of its own: an OTHER job of the same dispute may be done already).
        await enqueue(deps.stores.jobs, 'record-dispute', { merchantId: d.merchantId, xenditDisputeId: d.xenditDisputeId, status: 'GONE' }, deps.clock());
        await deps.stores.openDisputes.settled(d.merchantId, d.xenditDisputeId);
        deps.logger.warn({ merchantId: d.merchantId, xenditDisputeId: d.xenditDisputeId }, 'Xendit no longer has this dispute');
      } else if (dispute.status === 'LOST') {
        // Queued first, the looks stopped after: a run that dies between the two reads it again next
        // run, and the job's dedupe key (or its refunds row, once booked) keeps that one job.
        const queued = await queueLost(deps, d.merchantId, d.xenditDisputeId, { readLost: false });
        deps.crash?.('dispute-look-lost-queued');
        await deps.stores.openDisputes.settled(d.merchantId, d.xenditDisputeId);
        if (queued) {
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

async function lookAgainAtFees(deps: Pick<ListDeps, 'stores' | 'clock' | 'logger' | 'crash'>): Promise<void> {
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
    // One job per payment and day (its dedupe key): a run that dies part way queues the rest next run, and none twice.
    for (const d of due) {
      if (await enqueue(deps.stores.jobs, 'return-fee', { ...d, look }, now)) queued++;
      deps.crash?.('fee-look-queued');
    }
    if (queued) deps.logger.info({ queued, look }, 'fees of payments refunded in full looked at again');
  } catch (err) {
    deps.logger.warn({ err: String(err) }, 'could not look again at fees Xendit may have given back');
  }
}
