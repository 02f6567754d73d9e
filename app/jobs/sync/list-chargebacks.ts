/**
 * The scheduled side of chargebacks: Xendit reports disputes by webhook only and lists none
 * (docs.xendit.co "Manage Disputes via API"), so a dispute none of whose webhooks came was never
 * found (the daily look in list-refunds.ts reads again only disputes a webhook or the Dispute Report
 * made known). The money a lost dispute takes is listed, though: one CHARGEBACK transaction
 * (docs.xendit.co/apidocs/list-transactions `types`), whose product_id is the dispute's id or,
 * undocumented which, the disputed payment's (chargeback-dispute.ts ties it to its dispute either way). Each run of the refunds listing reads them per stored key and
 * currency, made in the last LOOK_BACK_DAYS and since the key's business was the merchant's, within
 * a page budget, a walk left unfinished continued by the next run from the time it reached
 * (budgeted-listing.ts, kept as the withdrawals' are: withdrawal_list_cursors, listing 'chargeback').
 *
 * Each one found queues the job its LOST webhook would queue (record-dispute, status LOST): one
 * dedupe key, so the webhook, the daily look, the Dispute Report and this listing make one job
 * whichever comes first, and it books once. Nothing is booked from the listing itself: the job reads
 * the dispute at Xendit and books only what it reads LOST, against the one payment it fits; a
 * chargeback of a payment the gateway never recorded (another integration's) ends in review there,
 * once, as its webhook's would.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Merchant } from '../../store/merchants.js';
import type { XenditMode } from '../../store/merchant-model.js';
import type { ListCursor, ListingAt } from '../../store/settlements.js';
import type { XenditChargeback, XenditGateway } from '../../clients/xendit/types.js';
import { UpstreamError } from '../../clients/types.js';
import { SUPPORTED_CURRENCIES, type Currency } from '../../money.js';
import { jobRow } from '../enqueue.js';
import { readFrom, readWithinBudget, walkByTime, type PageReader, type Walked } from './budgeted-listing.js';
import type { CrashHook } from './crash-points.js';
import { feeRead } from './chargeback-fee.js';
import { disputeOfChargeback } from './chargeback-dispute.js';

const PAGE_SIZE = 50;
/** Pages one run reads per key and currency: chargebacks are few; a backlog is continued by the next run. */
const PAGE_BUDGET = 5;
/** As the withdrawals' listing: a chargeback whose listing failed for weeks is still found. */
const LOOK_BACK_DAYS = 45;

type Deps = {
  stores: Stores;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  /** Tests only: dies at a named point (CRASH_AT). */
  crash?: CrashHook;
};

/** One stored key's account (`key`, of `mode`), its business the merchant's since `keySince` (key-business.ts listedSince). */
export async function listChargebacks(
  deps: Deps,
  merchant: Merchant,
  { mode, key, keySince: ownSince }: { mode: XenditMode; key: string; keySince: Date },
): Promise<void> {
  // Nothing lost before the upgrade that added this listing: it may have been booked by hand (migration 20261207T1655).
  const floor = await deps.stores.listingFloors.since('chargeback');
  const keySince = floor && floor > ownSince ? floor : ownSince;
  // One currency at a time (an account holding several must name one); one Xendit will not list (never held) holds up no other.
  for (const currency of SUPPORTED_CURRENCIES) {
    const at: ListingAt & { currency: Currency } = { merchantId: merchant.id, mode, currency, listing: 'chargeback' };
    const since = readFrom(deps.clock(), LOOK_BACK_DAYS, keySince);
    const page: PageReader = (since, afterId, before) => readPage(deps, merchant, key, keySince, currency, since, afterId, before);
    try {
      await readWithinBudget(deps, PAGE_BUDGET, {
        kept: await deps.stores.settlements.listCursor(at),
        resume: (cursor, budget) => walk(deps, at, cursor, budget, page),
        again: ({ since, startedAt }, budget) => walk(deps, at, { since, startedAt }, budget, page),
        lost: async (cursor) =>
          deps.logger.warn({ ...at, afterId: cursor.afterId }, 'chargeback listing: Xendit showed nothing after its kept cursor: read again from the newest'),
        begin: (startedAt, budget) => walk(deps, at, { since, startedAt }, budget, page),
        restart: async (err) => {
          await deps.stores.settlements.setListCursor(at, null);
          deps.logger.warn({ err: String(err), ...at }, 'Xendit refused to continue the chargeback listing: it starts again');
        },
        behind: async (startedAt) =>
          deps.logger.warn(
            { ...at, behindMs: deps.clock().getTime() - startedAt.getTime() },
            'chargeback listing not read to its end this run: the next run continues where it stopped',
          ),
      });
    } catch (err) {
      const refused = err instanceof UpstreamError && err.kind === 'rejected';
      deps.logger[refused ? 'debug' : 'warn']({ err: String(err), ...at }, 'could not list chargebacks at Xendit');
    }
  }
}

/** Pages (from where a kept walk reached, or the newest), at most `budget`: each chargeback's job queued before the cursor moves past its page. */
async function walk(deps: Deps, at: ListingAt, from: Omit<ListCursor, 'afterId'> & { afterId?: string }, budget: number, page: PageReader): Promise<Walked> {
  return walkByTime(budget, from, page, (cursor) => deps.stores.settlements.setListCursor(at, cursor));
}

async function readPage(
  deps: Deps,
  merchant: Merchant,
  key: string,
  keySince: Date,
  currency: Currency,
  since: Date,
  afterId: string | undefined,
  before: Date | undefined,
): ReturnType<PageReader> {
  // Xendit asks for both ends of the window: up to a day ahead covers a clock behind Xendit's.
  const ahead = new Date(deps.clock().getTime() + 86_400_000);
  const createdBefore = before && before < ahead ? before : ahead;
  const { chargebacks, hasMore, lastId } = await deps.xendit.listChargebacks(key, { currency, limit: PAGE_SIZE, afterId, createdAfter: since, createdBefore });
  for (const c of chargebacks) await seen(deps, merchant, key, keySince, c);
  return { hasMore, ...(lastId ? { lastId } : {}), rows: chargebacks };
}

/**
 * One chargeback listed: the record-dispute LOST job of its dispute (chargeback-dispute.ts: its
 * product_id, or the dispute of the payment it names), queued once (absorbed by its dedupe key after
 * that, whoever queued it). A job of that key that ended without booking (its LOST webhook came
 * while Xendit still showed the dispute open) is not run again here: that job left the dispute
 * watched, and the daily look runs it again once it reads it lost (list-refunds.ts). One tied to no
 * dispute (or to several) is a match-chargeback job of its own, which waits a day for a late
 * webhook to make the dispute known, then tells a person. One made before the key's business was
 * the merchant's is not: a cursor kept from before asks from further back.
 */
async function seen(deps: Deps, merchant: Merchant, key: string, keySince: Date, c: XenditChargeback): Promise<void> {
  const made = Date.parse(c.created);
  if (Number.isNaN(made) || made < keySince.getTime()) return;
  const now = deps.clock();
  const matchJob = jobRow('match-chargeback', { merchantId: merchant.id, xenditTransactionId: c.id }, now);
  // Being tied by its own job (waiting for the dispute to be known): left to it. In review, it is
  // run again once the dispute is known (a late webhook's job read it), so the person's item goes.
  const matching = matchJob.dedupe_key ? await deps.stores.jobs.byDedupeKey(matchJob.dedupe_key) : null;
  if (matching && matching.state !== 'done' && matching.state !== 'needs_review') return;
  const tied = await disputeOfChargeback(deps, merchant, key, c);
  if ('unmatched' in tied) {
    if (await deps.stores.jobs.insert(matchJob))
      deps.logger.warn({ merchantId: merchant.id, xenditTransactionId: c.id, productId: c.disputeId }, `chargeback found by the listing: ${tied.unmatched}`);
    return;
  }
  if (matching?.state === 'needs_review') await deps.stores.jobs.replay(matching.id, now, ['needs_review']);
  const disputeId = tied.disputeId;
  const lostJob = jobRow('record-dispute', { merchantId: merchant.id, xenditDisputeId: disputeId, status: 'LOST' }, now);
  const queued = await deps.stores.jobs.insert(lostJob);
  deps.crash?.('chargeback-listing-job-queued');
  if (!queued) await feeLearnt(deps, merchant, { ...c, disputeId }, lostJob.dedupe_key);
  if (queued)
    deps.logger.info(
      { merchantId: merchant.id, xenditDisputeId: disputeId, xenditTransactionId: c.id, productId: c.disputeId },
      'chargeback found by the listing (no LOST webhook yet)',
    );
}

/**
 * A chargeback booked without its fee (its job found no CHARGEBACK transaction listed yet, or ran
 * before fees were booked): the fee listed now is kept on its row and that job, done, runs again to
 * book it (chargeback-fee.ts). Once only: the figures are written once, so a later run finds them
 * and leaves the job be. A fee still PENDING without figures is left to a later run.
 */
async function feeLearnt(deps: Deps, merchant: Merchant, c: XenditChargeback, dedupeKey: string | null | undefined): Promise<void> {
  const read = feeRead(c);
  if (!read || read.fee + read.withheld === 0 || !dedupeKey) return;
  const row = await deps.stores.refunds.byXenditId(merchant.id, c.disputeId);
  if (row?.kind !== 'chargeback' || row.state !== 'recorded' || row.chargebackFee) return;
  if (!(await deps.stores.refunds.noteChargebackFee(row.id, read, deps.clock()))) return;
  await deps.stores.jobs.replayOrRunAgain(dedupeKey, deps.clock());
  deps.logger.info(
    { merchantId: merchant.id, xenditDisputeId: c.disputeId, xenditTransactionId: c.id },
    'chargeback fee found by the listing: its job books it',
  );
}
