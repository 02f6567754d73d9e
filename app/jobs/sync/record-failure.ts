/**
 * How a job that puts one of our rows into Xero ends when it fails: what a person must fix (an
 * Unrecordable case, or Xero refusing the create with a 400) marks the row needs_review with the
 * reason and stops retrying; anything else (no answer, a 5xx, a rate limit) is noted on the row and
 * the job is retried.
 */
import { UpstreamError } from '../../clients/types.js';
import { NeedsReview } from '../runner.js';

/** The row's data cannot go into Xero as it is: retrying cannot help. */
export class Unrecordable extends Error {}

export async function recordFailure(
  err: unknown,
  what: string,
  row: { needsReview(reason: string): Promise<void>; noteError(message: string): Promise<void> },
): Promise<never> {
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
