/**
 * The refund listing when Xendit lists refunds newest first (list-refunds.ts judges the order): a
 * walk from the newest refund back to the mark, the newest an earlier walk read, kept per merchant
 * and key mode (refund_list_marks). Read only from the start, a run would see only the newest few
 * pages: more refunds made between two runs than that, and the older ones were never listed.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { XenditGateway, XenditRefund } from '../../clients/xendit/types.js';
import type { Merchant, XenditMode } from '../../store/merchant-model.js';
import type { NewestFirstListing, RefundMark } from '../../store/refund-listing.js';
import { listOrder } from './list-order.js';
import { readWithinBudget, walkPages, type Walked } from './budgeted-listing.js';

type ListDeps = { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger };
/** One stored key's account, listed on its own; `pageSize` refunds a page; `seen` queues (or watches) a page's refunds. */
export type Listing = {
  merchant: Merchant;
  mode: XenditMode;
  key: string;
  /** From when the key's business is the merchant's (key-business.ts listedSince): no refund of a payment it booked is older. */
  since: Date;
  pageSize: number;
  seen: (refunds: readonly XenditRefund[]) => Promise<unknown>;
  /**
   * Said when refunds past what this run read may never be reached this way (a kept cursor lost, a
   * walk behind since `since`): they are looked for by time, which tells a person if it cannot (refunds-behind.ts).
   */
  unreached: (since?: Date) => void;
};

/** Xendit listed this page oldest first, in a walk begun newest first. */
class OrderChanged extends Error {}

/**
 * Newest first, a run walks from the newest refund back to the mark (the newest an earlier walk
 * read), within the run's page budget; one the budget does not finish is continued by the next run before a
 * new one begins (readWithinBudget, as the withdrawal listing does). Refunds made in the same
 * instant as the mark are listed in no documented order, and one may appear after the walk that
 * set the mark: a walk ends only at a refund made strictly before the mark, so those are read
 * again (their jobs' dedupe keys keep that harmless). No mark yet: back to FIRST_LOOK_BACK_MS.
 */
export async function listNewestFirst(deps: ListDeps, l: Listing, kept: NewestFirstListing, budget: number): Promise<void> {
  const state = { ...kept };
  const at = { merchantId: l.merchant.id, mode: l.mode };
  try {
    await readWithinBudget(deps, budget, {
      kept: state.walk,
      resume: (walk, pages) => walkBack(deps, l, state, walk, pages),
      // From the newest back to the mark covers what the lost walk had left: its newest is this walk's.
      again: (walk, pages) => walkBack(deps, l, state, { top: null, startedAt: walk.startedAt }, pages),
      lost: async (walk) => {
        l.unreached();
        deps.logger.warn({ ...at, afterId: walk.afterId }, 'refund listing: Xendit showed nothing after its kept cursor: read again from the newest');
      },
      begin: (startedAt, pages) => walkBack(deps, l, state, { top: null, startedAt }, pages),
      restart: async (err) => {
        await deps.stores.refundListing.setNewestFirst(l.merchant.id, l.mode, { mark: state.mark, walk: null });
        deps.logger.warn({ err: String(err), ...at }, 'Xendit refused to continue the refund listing: it starts again from the newest');
      },
      behind: async (startedAt) => (l.unreached(startedAt), logBehind(deps, l, startedAt)),
    });
  } catch (err) {
    if (!(err instanceof OrderChanged)) throw err;
    await deps.stores.refundListing.setNewestFirst(l.merchant.id, l.mode, null);
    deps.logger.warn(at, 'Xendit now lists refunds oldest first: the refund listing reads from the start again');
  }
}

/** A first walk reads back a week at most, and not before the key's business was the merchant's (no refund of its payments is older). */
const FIRST_LOOK_BACK_MS = 7 * 86_400_000;

/**
 * One walk from the newest (or after `afterId`, where an earlier run stopped) back to the mark, at
 * most `budget` pages: each page's jobs are queued before the walk's place is saved, and the mark
 * moves to the walk's newest refund only once the walk reaches the old one.
 */
async function walkBack(
  deps: ListDeps,
  l: Listing,
  state: NewestFirstListing,
  from: { afterId?: string; top: RefundMark | null; startedAt: Date },
  budget: number,
): Promise<Walked> {
  const since = Math.max(l.since.getTime(), from.startedAt.getTime() - FIRST_LOOK_BACK_MS);
  const stop: RefundMark = state.mark ?? { id: null, created: new Date(since) };
  let top = from.top;
  return walkPages(
    budget,
    from.afterId,
    async (afterId) => {
      const { refunds, hasMore, lastId } = await deps.xendit.listRefunds(l.key, { limit: l.pageSize, ...(afterId ? { afterId } : {}) });
      if (listOrder(refunds) === 'oldest_first') throw new OrderChanged();
      const end = refunds.findIndex((r) => madeBefore(r, stop));
      const fresh = end < 0 ? refunds : refunds.slice(0, end);
      await l.seen(fresh);
      top ??= markOf(fresh);
      return { done: end >= 0 || !hasMore, ...(lastId ? { lastId } : {}) };
    },
    async ({ done, lastId }) => {
      state.mark = done ? (top ?? stop) : state.mark;
      state.walk = done ? null : { afterId: lastId!, top, startedAt: from.startedAt };
      await deps.stores.refundListing.setNewestFirst(l.merchant.id, l.mode, state);
    },
  );
}

/** Made strictly before the mark (one whose time Xendit did not send: the mark itself). */
function madeBefore(r: XenditRefund, stop: RefundMark): boolean {
  const t = r.created ? Date.parse(r.created) : NaN;
  return Number.isNaN(t) ? r.id === stop.id : t < stop.created.getTime();
}

/** The newest of a page read newest first whose time is known. */
function markOf(refunds: readonly XenditRefund[]): RefundMark | null {
  for (const r of refunds) {
    const t = r.created ? Date.parse(r.created) : NaN;
    if (!Number.isNaN(t)) return { id: r.id, created: new Date(t) };
  }
  return null;
}

/**
 * More refunds made between runs than a run reads, or a lapsed cursor read again from the newest:
 * said each run. No alert from here: the same run reads the refunds by time, which raises
 * refundsBehind only when it cannot make up for this walk either (refunds-behind.ts).
 */
function logBehind(deps: ListDeps, l: Listing, startedAt: Date): void {
  deps.logger.warn(
    { merchantId: l.merchant.id, mode: l.mode, behindMs: deps.clock().getTime() - startedAt.getTime() },
    'refund listing not read back to the last refund read this run: the next run continues, and this run looks for refunds by time',
  );
}
