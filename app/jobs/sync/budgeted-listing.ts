/**
 * A Xendit listing read newest first, a page budget a run (the withdrawals, list-withdrawals.ts;
 * the refunds when Xendit lists them newest first, list-refunds.ts). A run that stopped at a fixed
 * count and started again from the newest next time would never reach the older rows of a busy
 * account. So a walk the budget did not finish is kept (by the caller, with when it began), and the
 * next run first continues it, then, budget left, begins a new one from the newest.
 *
 * How long Xendit holds a cursor (after_id) is documented nowhere, nor what it answers after one it
 * no longer holds (its row gone from the list, or a cursor it let lapse between two runs;
 * clients/xendit/paging.ts): the first page again, or an empty page (or a 400, taken as one). A listing Xendit filters by
 * creation time (the Transactions API's created[lte], xendit-node GetAllTransactionsRequest
 * `created`: withdrawals, other movements, chargebacks) therefore keeps where its walk reached as a
 * time, the oldest `created` it read while rows came newest first (walkByTime; else none, and it
 * goes on after its cursor as below), and the next run asks only what was made by then (a second
 * later: a time Xendit shows may be cut finer than it keeps it), after the kept cursor: whatever
 * Xendit answers to one it let lapse (the first page again, or an empty page, then asked by time
 * alone), the rows it reads are older than those the walk read, and each run gets a budget further
 * however often its cursors lapse. Rows met again are absorbed by their jobs' dedupe keys.
 *
 * GET /refunds has no date filter (xendit-node GetAllRefundsRequest: limit, after_id, before_id),
 * so the refunds' walk (refund-walk.ts), and a walk kept with no time, go on after the kept cursor.
 * The first page again is harmless there (read as the kept walk's next page, each row's job
 * absorbed by its dedupe key). An empty first page after a kept cursor is not taken for the walk's
 * end: its rows after the cursor were never shown. The kept walk reads again from the newest in the
 * same run, back to the same point and with the same start (so one behind stays behind, and is
 * told, however often its cursor lapses); the rows it meets again are absorbed by their jobs'
 * dedupe keys. One whose cursor was in fact the last row costs a read again. The refunds past it
 * are found by time all the same, by their REFUND transactions (list-refund-transactions.ts).
 */
import type { Clock } from '../../clock.js';
import { UpstreamError } from '../../clients/types.js';

/**
 * One page of a listing from `afterId` (none: the newest) of what moved since `since` (and, with
 * `before`, was made at or before it), each row recorded (and its job queued) before it answers;
 * `rows`: the page's rows as listed, by their `created`.
 */
export type PageReader = (
  since: Date,
  afterId: string | undefined,
  before?: Date,
) => Promise<{ hasMore: boolean; lastId?: string; rows?: readonly { created?: string }[] }>;

/** Where an unfinished walk of a listing filtered by creation time stands (store/settlements.ts ListCursor). */
export interface TimedCursor {
  since: Date;
  afterId: string;
  startedAt: Date;
  /** The oldest `created` the walk read (null: none read with a time, or rows not newest first; it goes on after `afterId`). */
  reached?: Date | null;
}

/** A time Xendit shows may be cut to the second of one it keeps finer: a walk goes on from a second later. */
const REACHED_MARGIN_MS = 1000;

/**
 * At most `budget` pages of one walk of a listing Xendit filters by creation time. A kept walk with
 * the time it reached (`reached`) asks, for the whole run, what was made at or before that time (a
 * second later, see above), first after its kept cursor: held, that is the rest of the walk (rows
 * made in the same second as others are never read twice); let lapse, Xendit answers the first
 * page of what was made by then, the same rows by time; or an empty page, and the walk asks again
 * by time alone (an empty page after a cursor held, at the walk's end, costs that one read). Without
 * a time it goes on after its cursor, else from the newest. `save` keeps where it stands (null: at
 * its end) once each page's rows are recorded, as walkPages does. The time it reached is a point
 * to go on from only while every row read came newest first, as Xendit says it lists
 * (clients/xendit/balance.ts): one newer than a row before it, and the walk keeps no time.
 */
export async function walkByTime(
  budget: number,
  from: Omit<TimedCursor, 'afterId'> & { afterId?: string },
  read: PageReader,
  save: (cursor: TimedCursor | null) => Promise<void>,
): Promise<Walked> {
  const before = from.reached ? new Date(from.reached.getTime() + REACHED_MARGIN_MS) : undefined;
  let reached = from.reached ?? null;
  // The `created` of the last row read (none yet: the most the walk asked for); a row newer than it: not newest first.
  let last = before?.getTime() ?? Infinity;
  let ordered = true;
  const step = async (afterId: string | undefined): Promise<Step> => {
    const { hasMore, lastId, rows = [] } = await read(from.since, afterId, before);
    for (const r of rows) {
      const t = r.created ? Date.parse(r.created) : NaN;
      if (Number.isNaN(t)) continue;
      if (t > last) ordered = false;
      last = t;
      if (!reached || t < reached.getTime()) reached = new Date(t);
    }
    return { done: !hasMore, ...(lastId ? { lastId } : {}) };
  };
  const keep = ({ done, lastId }: Step) =>
    save(done ? null : { since: from.since, afterId: lastId!, startedAt: from.startedAt, reached: ordered ? reached : null });
  const walked = await walkPages(budget, from.afterId, step, keep);
  if (!walked.lost || !before) return walked;
  // Nothing after the kept cursor: the walk's end, or a cursor Xendit let lapse. By time alone (budget left; else next run).
  const byTime = budget > 1 ? await walkPages(budget - 1, undefined, step, keep) : { pages: 0, done: false };
  return { pages: byTime.pages + 1, done: byTime.done };
}

/**
 * From when a listing of Xendit's balance reads: the latest of `from` (each a point before which
 * nothing that moved is the gateway's to book: the key's business first stored, a setting turned
 * on) and `lookBackDays` ago. What a kept cursor still brings from before `from` is left out by the
 * caller (its `since` was asked earlier, under other bounds).
 */
export function readFrom(now: Date, lookBackDays: number, ...from: Date[]): Date {
  return new Date(Math.max(now.getTime() - lookBackDays * 86_400_000, ...from.map((d) => d.getTime())));
}

/**
 * Pages a walk read, and whether it reached its end (the listing's, or the point it reads back to);
 * `lost`: the first page after the cursor it began at was empty (see above), nothing saved.
 */
export type Walked = { pages: number; done: boolean; lost?: boolean };

export interface BudgetedListing<Kept extends { startedAt: Date }> {
  /** The walk an earlier run left unfinished, if any. */
  kept: Kept | null;
  /** Goes on with it, at most `budget` pages. */
  resume(kept: Kept, budget: number): Promise<Walked>;
  /** The kept walk again from the newest (its cursor lost: see above), as far back and begun when it was, at most `budget` pages. */
  again(kept: Kept, budget: number): Promise<Walked>;
  /** Said when a kept walk's cursor brought an empty page (it is read again from the newest). */
  lost(kept: Kept): Promise<void>;
  /** A new walk from the newest, begun at `startedAt`, at most `budget` pages. */
  begin(startedAt: Date, budget: number): Promise<Walked>;
  /** Xendit refused to continue the kept walk (an after_id it no longer takes): forget it, or it would hold the listing forever. */
  restart(err: UpstreamError): Promise<void>;
  /** The budget ran out before the walk's end (begun at `startedAt`): the next run continues. */
  behind(startedAt: Date): Promise<void>;
}

export async function readWithinBudget<Kept extends { startedAt: Date }>(deps: { clock: Clock }, budget: number, l: BudgetedListing<Kept>): Promise<void> {
  if (l.kept) {
    let walked: Walked;
    try {
      walked = await l.resume(l.kept, budget);
    } catch (err) {
      if (!(err instanceof UpstreamError && err.kind === 'rejected')) throw err;
      return l.restart(err);
    }
    budget -= walked.pages;
    if (walked.lost) {
      await l.lost(l.kept);
      // Read from the newest, it is the whole listing: no new walk after it. Nothing left: still behind, the cursor kept.
      const over = budget > 0 ? await l.again(l.kept, budget) : walked;
      if (!over.done) await l.behind(l.kept.startedAt);
      return;
    }
    if (!walked.done) return l.behind(l.kept.startedAt);
  }
  if (budget <= 0) return;
  const now = deps.clock();
  const walked = await l.begin(now, budget);
  if (!walked.done) await l.behind(now);
}

/** One page read (each row recorded, its job queued): whether it ended the walk, and its last row's id (none: an empty page). */
export type Step = { done: boolean; lastId?: string };

/**
 * At most `budget` pages from `afterId` (none: the newest). `read` reads one and records its rows;
 * `save` then keeps where the walk goes on (or that it ended) before the next is read, so a run
 * that dies loses nothing. An empty first page after `afterId` saves nothing: `lost` (see above).
 */
/** null for a kept cursor refused (a 400, the third answer Xendit may give to one it no longer holds: taken as an empty page); else throws `err`. */
export function keptCursorRefused(err: unknown, kept: boolean): null {
  if (kept && err instanceof UpstreamError && err.kind === 'rejected') return null;
  throw err;
}

export async function walkPages(
  budget: number,
  afterId: string | undefined,
  read: (afterId: string | undefined) => Promise<Step>,
  save: (step: Step) => Promise<void>,
): Promise<Walked> {
  for (let n = 0; n < budget; n++) {
    const kept = n === 0 && afterId !== undefined;
    const step = await read(afterId).catch((err: unknown) => keptCursorRefused(err, kept));
    if (!step || (kept && !step.lastId)) return { pages: 1, done: false, lost: true };
    const done = step.done || !step.lastId;
    await save({ ...step, done });
    if (done) return { pages: n + 1, done: true };
    afterId = step.lastId;
  }
  return { pages: budget, done: false };
}
