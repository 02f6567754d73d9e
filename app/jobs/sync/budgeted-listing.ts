/**
 * A Xendit listing read newest first, a page budget a run (the withdrawals, list-withdrawals.ts;
 * the refunds when Xendit lists them newest first, list-refunds.ts). A run that stopped at a fixed
 * count and started again from the newest next time would never reach the older rows of a busy
 * account. So a walk the budget did not finish is kept (by the caller, with when it began), and the
 * next run first continues it (after_id where it stopped), then, budget left, begins a new one from
 * the newest.
 *
 * What Xendit answers after a cursor it no longer holds (its row gone from the list, or a cursor it
 * let lapse between two runs) is documented nowhere (clients/xendit/paging.ts): the first page
 * again, or an empty page. The first page again is harmless here (read as the kept walk's next
 * page, each row's job absorbed by its dedupe key). An empty first page after a kept cursor is not
 * taken for the walk's end: its rows after the cursor were never shown. The kept walk reads again
 * from the newest in the same run, back to the same point and with the same start (so one behind
 * stays behind, and is told, however often its cursor lapses); the rows it meets again are
 * absorbed by their jobs' dedupe keys. One whose cursor was in fact the last row costs a read again.
 */
import type { Clock } from '../../clock.js';
import { UpstreamError } from '../../clients/types.js';

/**
 * One page of a listing from `afterId` (none: the newest) of what moved since `since`, each row
 * recorded (and its job queued) before it answers.
 */
export type PageReader = (since: Date, afterId: string | undefined) => Promise<{ hasMore: boolean; lastId?: string }>;

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
export async function walkPages(
  budget: number,
  afterId: string | undefined,
  read: (afterId: string | undefined) => Promise<Step>,
  save: (step: Step) => Promise<void>,
): Promise<Walked> {
  for (let n = 0; n < budget; n++) {
    const step = await read(afterId);
    if (n === 0 && afterId !== undefined && !step.lastId) return { pages: 1, done: false, lost: true };
    const done = step.done || !step.lastId;
    await save({ ...step, done });
    if (done) return { pages: n + 1, done: true };
    afterId = step.lastId;
  }
  return { pages: budget, done: false };
}
