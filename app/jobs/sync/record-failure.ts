/**
 * How a job that puts one of our rows into Xero ends when it fails: what a person must fix (an
 * Unrecordable case, or Xero refusing the create with a 400) marks the row needs_review with the
 * reason and stops retrying; anything else (no answer, a 5xx, a rate limit) is noted on the row and
 * the job is retried. A date refused for a lock date is retried too, once the lock date is read.
 */
import { UpstreamError } from '../../clients/types.js';
import { NeedsReview, RetryLater } from '../runner.js';

/** The row's data cannot go into Xero as it is: retrying cannot help. */
export class Unrecordable extends Error {}

/** Xero's answer to a date on or before a lock date ("The document date cannot be before the period lock date, …"). */
export const LOCKED_PERIOD = /cannot be before the (period|end of year) lock date/i;

export async function recordFailure(
  err: unknown,
  what: string,
  row: { needsReview(reason: string): Promise<void>; noteError(message: string): Promise<void>; periodLocked?: () => Promise<void> },
): Promise<never> {
  // A lock date set since it was last read: read it, and the next try dates the entry after it.
  if (row.periodLocked && err instanceof UpstreamError && err.kind === 'rejected' && LOCKED_PERIOD.test(err.message)) {
    await row.periodLocked();
    await row.noteError(err.message);
    throw new RetryLater(`Xero refused a date in a locked period (${err.message}): tried again dated after the lock date`, 1);
  }
  const reason =
    err instanceof Unrecordable
      ? err.message
      : err instanceof UpstreamError && err.kind === 'rejected'
        ? `Xero refused the ${what}: ${err.message}`
        : undefined;
  if (reason) {
    await row.needsReview(reason);
    throw new NeedsReview(reason);
  }
  await row.noteError(err instanceof Error ? err.message : String(err));
  throw err;
}
