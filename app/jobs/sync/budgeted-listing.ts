/**
 * A Xendit listing read newest first, a page budget a run (the withdrawals, list-withdrawals.ts;
 * the refunds when Xendit lists them newest first, list-refunds.ts). A run that stopped at a fixed
 * count and started again from the newest next time would never reach the older rows of a busy
 * account. So a walk the budget did not finish is kept (by the caller, with when it began), and the
 * next run first continues it (after_id where it stopped), then, budget left, begins a new one from
 * the newest.
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

/** Pages a walk read, and whether it reached its end (the listing's, or the point it reads back to). */
export type Walked = { pages: number; done: boolean };

export interface BudgetedListing<Kept extends { startedAt: Date }> {
  /** The walk an earlier run left unfinished, if any. */
  kept: Kept | null;
  /** Goes on with it, at most `budget` pages. */
  resume(kept: Kept, budget: number): Promise<Walked>;
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
    if (!walked.done) return l.behind(l.kept.startedAt);
  }
  if (budget <= 0) return;
  const now = deps.clock();
  const walked = await l.begin(now, budget);
  if (!walked.done) await l.behind(now);
}

/**
 * At most `budget` pages from `afterId` (none: the newest). `page` reads one, records its rows and
 * saves where the walk goes on (or that it ended) before the next is read, so a run that dies
 * loses nothing; it answers whether the walk is done and the id to continue after.
 */
export async function walkPages(
  budget: number,
  afterId: string | undefined,
  page: (afterId: string | undefined) => Promise<{ done: boolean; lastId?: string }>,
): Promise<Walked> {
  for (let n = 0; n < budget; n++) {
    const { done, lastId } = await page(afterId);
    if (done || !lastId) return { pages: n + 1, done: true };
    afterId = lastId;
  }
  return { pages: budget, done: false };
}
