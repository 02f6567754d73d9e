/**
 * The refunds found by time. GET /refunds has no date filter (xendit-node GetAllRefundsRequest:
 * limit, after_id, before_id, and filters by payment), so the refund listing (list-refunds.ts)
 * can go on only after a cursor it keeps; a cursor Xendit lets lapse before every run leaves it,
 * oldest first, reading the first pages again and again, and newest first, walking back no further
 * than its page budget from the newest: the refunds past those pages were never listed. The money
 * each refund takes is listed by time, though: one REFUND transaction (docs.xendit.co/apidocs/
 * list-transactions `types`; xendit-node TransactionTypes REFUND), filtered by created[gte] and
 * created[lte] like the withdrawals, other movements and chargebacks. So a run of the refund listing
 * in which GET /refunds may have left refunds unreached (list-refunds.ts `unreached`: a kept cursor
 * lost, a walk behind, pages left over, the listing failed) also reads these, after the looks at
 * PENDING refunds (their reads come first), per stored key and currency, made in the last LOOK_BACK_DAYS and since
 * the key's business was the merchant's, within a page budget, a walk left unfinished continued by
 * the next run from the time it reached however often its cursor lapses (budgeted-listing.ts
 * walkByTime; kept in withdrawal_list_cursors, listing 'refund').
 *
 * Each transaction is tied to its refund by product_id ("You can use this id to match the
 * transaction from this API to each product API", xendit-node TransactionResponse.product_id).
 * Whether that is the refund's id or the refunded payment's is documented nowhere, so both are
 * taken (refundsOf): a payment the gateway recorded under that id (its Xendit payment_id) has its
 * refunds listed by its invoice (GET /refunds?invoice_id=); else the refund is read by that id. Each
 * refund found goes the way the GET /refunds listing's go (seenOnPage there): queued under the one
 * dedupe key its webhook and that listing use, so a refund found both ways is one job; one PENDING
 * is watched until it ends. Nothing is booked here: the job reads the refund and books what it reads.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Merchant } from '../../store/merchants.js';
import type { XenditMode } from '../../store/merchant-model.js';
import type { ListCursor, ListingAt } from '../../store/settlements.js';
import type { XenditGateway, XenditRefund } from '../../clients/xendit/types.js';
import type { XenditRefundTransaction } from '../../clients/xendit/refunds.js';
import { UpstreamError } from '../../clients/types.js';
import { SUPPORTED_CURRENCIES, type Currency } from '../../money.js';
import { jobRow } from '../enqueue.js';
import { refundsBehindCheck } from './refunds-behind.js';
import { readFrom, readWithinBudget, walkByTime, type PageReader, type Walked } from './budgeted-listing.js';

/** A page: no more than the refunds one run reads by id (READS_PER_RUN), so each run gets at least a page further. */
const PAGE_SIZE = 20;
/** Pages one run reads per key and currency (a backlog is continued by the next run, from the time it reached). */
const PAGE_BUDGET = 5;
/** Refunds (or payments' refunds) read at Xendit a run per key: its rate limit is shared with every other call. */
const READS_PER_RUN = 20;

/** The run's reads are spent: the walk stops before the page it was on (saved after the one before) and the next run goes on from there. */
class ReadsSpent extends Error {}
/** As the withdrawals' and chargebacks' listings: a refund whose listing failed for weeks is still found. */
const LOOK_BACK_DAYS = 45;
/** The refunds of one payment listed by its invoice: pages of 100, a payment is refunded a few times at most. */
const REFUNDS_OF_PAYMENT = 100;
const PAYMENT_PAGES = 5;

type Deps = { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger };

/** What the refund listing does with the refunds it reads (list-refunds.ts seenOnPage): each queued once, one PENDING watched. */
export type SeenRefunds = (refunds: readonly XenditRefund[]) => Promise<unknown>;

/** One stored key's account (`key`, of `mode`), its business the merchant's since `keySince` (key-business.ts listedSince). */
export async function listRefundTransactions(
  deps: Deps,
  merchant: Merchant,
  {
    mode,
    key,
    keySince: ownSince,
    seen,
    begin,
    listingBehindSince,
  }: {
    mode: XenditMode;
    key: string;
    keySince: Date;
    seen: SeenRefunds;
    begin: boolean;
    /** The GET /refunds walk this run found behind, begun then (refund-walk.ts): told once this listing cannot make up for it (refunds-behind.ts). */
    listingBehindSince?: Date;
  },
): Promise<void> {
  // Not before the upgrade that added this listing: a refund the GET /refunds listing missed before may have been booked by hand (migration 20261208T0050).
  const floor = await deps.stores.listingFloors.since('refund');
  const keySince = floor && floor > ownSince ? floor : ownSince;
  // Payments whose refunds this run listed already: each of a payment's REFUND transactions may name it.
  const listed = new Set<string>();
  const reads = { left: READS_PER_RUN };
  // One currency at a time (an account holding several must name one); one Xendit will not list holds up no other.
  for (const currency of SUPPORTED_CURRENCIES) {
    const at: ListingAt & { currency: Currency } = { merchantId: merchant.id, mode, currency, listing: 'refund' };
    const since = readFrom(deps.clock(), LOOK_BACK_DAYS, keySince);
    const page: PageReader = async (since, afterId, before) => {
      // Xendit asks for both ends of the window: up to a day ahead covers a clock behind Xendit's.
      const ahead = new Date(deps.clock().getTime() + 86_400_000);
      const createdBefore = before && before < ahead ? before : ahead;
      const txns = await deps.xendit.listRefundTransactions(key, { currency, limit: PAGE_SIZE, afterId, createdAfter: since, createdBefore });
      for (const t of txns.refunds) await refundsOf(deps, { merchant, key, keySince, seen, listed, reads }, t);
      return { hasMore: txns.hasMore, ...(txns.lastId ? { lastId: txns.lastId } : {}), rows: txns.refunds };
    };
    const walk = (from: Omit<ListCursor, 'afterId'> & { afterId?: string }, budget: number): Promise<Walked> =>
      walkByTime(budget, from, page, (cursor) => deps.stores.settlements.setListCursor(at, cursor));
    const kept = await deps.stores.settlements.listCursor(at);
    // Nothing this run says the GET /refunds listing missed: only a walk already begun goes on.
    if (!begin && !kept) continue;
    let failed = false;
    try {
      await readWithinBudget(deps, PAGE_BUDGET, {
        kept,
        resume: (cursor, budget) => walk(cursor, budget),
        again: ({ since, startedAt }, budget) => walk({ since, startedAt }, budget),
        lost: async (cursor) =>
          deps.logger.warn({ ...at, afterId: cursor.afterId }, 'refund transaction listing: Xendit showed nothing after its kept cursor: read again by time'),
        begin: (startedAt, budget) => (begin ? walk({ since, startedAt }, budget) : Promise.resolve({ pages: 0, done: true })),
        restart: async (err) => {
          await deps.stores.settlements.setListCursor(at, null);
          deps.logger.warn({ err: String(err), ...at }, 'Xendit refused to continue the refund transaction listing: it starts again');
        },
        behind: async (startedAt) =>
          deps.logger.warn(
            { ...at, behindMs: deps.clock().getTime() - startedAt.getTime() },
            'refund transaction listing not read to its end this run: the next run continues from the time it reached',
          ),
      });
    } catch (err) {
      if (err instanceof ReadsSpent) {
        deps.logger.info(at, 'refund transaction listing: reads spent this run, the next run goes on');
        return refundsBehindCheck(deps, at, { failed: false });
      }
      failed = true;
      const refused = err instanceof UpstreamError && err.kind === 'rejected';
      deps.logger[refused ? 'debug' : 'warn']({ err: String(err), ...at }, 'could not list refund transactions at Xendit');
    }
    // Refunds really missed only when this listing cannot make up for GET /refunds either: then a person is told.
    await refundsBehindCheck(deps, at, { failed, listingBehindSince });
  }
}

/**
 * The refunds one REFUND transaction `t` stands for, handed to `seen`. Its product_id names the
 * refund or the refunded payment (see above). A refund already booked, or whose job is waiting to
 * run, is not read again (its job reads it). A payment the gateway recorded under that id: its
 * refunds, by its invoice, once a run. Else the refund by that id. Neither: said, and left to the
 * webhook and the GET /refunds listing.
 */
async function refundsOf(
  deps: Deps,
  {
    merchant,
    key,
    keySince,
    seen,
    listed,
    reads,
  }: { merchant: Merchant; key: string; keySince: Date; seen: SeenRefunds; listed: Set<string>; reads: { left: number } },
  t: XenditRefundTransaction,
): Promise<void> {
  const made = Date.parse(t.created);
  if (Number.isNaN(made) || made < keySince.getTime()) return;
  const id = t.productId;
  const booked = await deps.stores.refunds.byXenditId(merchant.id, id);
  if (booked?.kind === 'refund' && booked.state !== 'pending') return;
  const dedupe = jobRow('record-refund', { merchantId: merchant.id, xenditRefundId: id }, deps.clock()).dedupe_key;
  const job = dedupe ? await deps.stores.jobs.byDedupeKey(dedupe) : null;
  if (job && (job.state === 'queued' || job.state === 'running')) return;
  if (listed.has(id)) return;
  if (reads.left-- <= 0) throw new ReadsSpent();
  try {
    await readRefundsOf(deps, { merchant, key, keySince, seen, listed }, t);
  } catch (err) {
    // One transaction Xendit will not answer for (a 400 for an id it does not take, a body that
    // cannot be read) would fail its page on every run and hold the walk there: it is left to the
    // refund's webhook and the GET /refunds listing, said; Xendit down or a key refused still fails
    // the page (the walk resumes from it next run).
    if (err instanceof UpstreamError && err.kind !== 'rejected') throw err;
    deps.logger.warn(
      { merchantId: merchant.id, xenditTransactionId: t.id, productId: id, err: String(err) },
      'a REFUND transaction could not be read: left to the refund webhook and the GET /refunds listing',
    );
  }
}

async function readRefundsOf(
  deps: Deps,
  { merchant, key, keySince, seen, listed }: { merchant: Merchant; key: string; keySince: Date; seen: SeenRefunds; listed: Set<string> },
  t: XenditRefundTransaction,
): Promise<void> {
  const id = t.productId;
  const paid = await deps.stores.payments.byXenditPaymentId(merchant.id, [id]);
  if (paid) {
    let found = 0;
    let afterId: string | undefined;
    for (let n = 0; n < PAYMENT_PAGES; n++) {
      const page = await deps.xendit.listRefunds(key, { invoiceId: paid.xenditInvoiceId, limit: REFUNDS_OF_PAYMENT, ...(afterId ? { afterId } : {}) });
      // Xendit lists the payment's refunds of every time: those made before the key's floor are left out (booked by hand, maybe).
      const since = page.refunds.filter((r) => madeSince(r, keySince, false));
      await seen(since);
      found += since.length;
      if (!page.hasMore || !page.lastId) break;
      afterId = page.lastId;
    }
    listed.add(id);
    if (found) return;
  } else {
    const refund = await deps.xendit.getRefund(key, id);
    if (refund && !madeSince(refund, keySince, true)) return;
    if (refund) return void (await seen([refund]));
  }
  deps.logger.warn(
    { merchantId: merchant.id, xenditTransactionId: t.id, productId: id, paymentId: paid?.id },
    paid
      ? "a REFUND transaction names a payment of ours whose refunds Xendit does not list by its invoice: left to the refund's webhook and the GET /refunds listing"
      : "a REFUND transaction names neither a refund Xendit has nor a payment the gateway recorded: left to the refund's webhook and the GET /refunds listing",
  );
}

/**
 * Whether refund `r` was made at or after `keySince` (the key's first listing, or the listing's floor:
 * refunds before it may have been booked by hand). One whose time Xendit did not send: `unknown`
 * (read by the id of a transaction made since then, it is taken; found among a payment's refunds, not).
 */
function madeSince(r: XenditRefund, keySince: Date, unknown: boolean): boolean {
  const made = r.created ? Date.parse(r.created) : NaN;
  return Number.isNaN(made) ? unknown : made >= keySince.getTime();
}
