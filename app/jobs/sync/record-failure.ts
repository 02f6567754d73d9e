/**
 * How a job that puts one of our rows into Xero ends when it fails: what a person must fix (an
 * Unrecordable case, or Xero refusing the create with a 400) marks the row needs_review with the
 * reason and stops retrying; anything else (no answer, a 5xx, a rate limit) is noted on the row and
 * the job is retried. A date refused for a lock date is retried too, once the lock date is read.
 */
import { UpstreamError } from '../../clients/types.js';
import { ClaimLost, NeedsReview, RetryLater } from '../runner.js';

/** The row's data cannot go into Xero as it is: retrying cannot help. */
export class Unrecordable extends Error {}

export async function recordFailure(
  err: unknown,
  what: string,
  row: { needsReview(reason: string): Promise<unknown>; noteError(message: string): Promise<unknown>; newLockDate?: (err: unknown) => Promise<boolean> },
): Promise<never> {
  // Another run holds the job now: this one leaves its row to that run.
  if (err instanceof ClaimLost) throw err;
  // A lock date set since it was last read: read, and the next try dates the entry after it.
  if (row.newLockDate && (await row.newLockDate(err))) {
    await row.noteError(err instanceof Error ? err.message : String(err));
    throw new RetryLater(
      `Xero refused a date in a locked period (${err instanceof Error ? err.message : String(err)}): tried again dated after the lock date`,
      1,
    );
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
