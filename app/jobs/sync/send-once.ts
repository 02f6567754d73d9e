/**
 * A create sent to Xero so that it is never made twice. The attempt mark is committed before the
 * create is sent. Accepted, the caller stores Xero's answer (which clears the mark). The mark is
 * cleared only on an answer that proves nothing was made: ValidationErrors (a 400, an item of a
 * batch, a 200 carrying them), 401/403 (refused before anything was read), 429 (refused before it
 * was run, or our own budget's refusal: never sent). Anything else (no answer, a timeout, a 5xx,
 * a 409 or another 4xx, a crash) leaves the mark set: the next attempt looks the object up by its
 * Reference before it sends anything (foundEarlier).
 *
 * A job's marks are fenced on its claim (jobs/claimed-stores.ts): a run that lost its job (stalled
 * past its lease, taken over) finds its mark not written and sends nothing, since the run that took
 * over may have made the object already, under a key Xero has forgotten; nor does it clear that
 * run's mark after a refusal of its own, which would make a later attempt create without looking.
 */
import { UpstreamError } from '../../clients/types.js';
import { XeroValidationRefusal } from '../../clients/xero/errors.js';
import type { Job } from '../../store/jobs.js';
import { ClaimLost, RetryLater } from '../runner.js';

/** `mark` answers whether it was written. */
export async function sendOnce<T>(mark: (at: Date | null) => Promise<boolean>, now: Date, send: () => Promise<T>): Promise<T> {
  if (!(await mark(now))) throw new ClaimLost('nothing sent: this run lost its job to another claim before its attempt was marked');
  try {
    return await send();
  } catch (err) {
    if (madeNothing(err)) await mark(null);
    throw err;
  }
}

function madeNothing(err: unknown): boolean {
  if (err instanceof XeroValidationRefusal) return true;
  return err instanceof UpstreamError && (err.kind === 'unauthorized' || err.kind === 'rate_limited');
}

/**
 * How long after a create was sent without an answer its look-up finding nothing is not taken to
 * mean that Xero did not make it. A request we gave up on (our 10 s timeout, a dropped connection,
 * a 5xx from a proxy in front of Xero) may still be running at Xero, and what it makes cannot be
 * read until it is done. Xero documents no bound for that: its Idempotency-Key is kept "for 6
 * minutes from the time of the first call" (developer.xero.com/documentation/guides/
 * idempotent-requests/idempotency), and one send again under another key (a batch regrouped
 * after an outage, a Retry) is a new request to it. So, while the mark is younger than this, a
 * look-up that finds nothing sends nothing: the job comes back once it has passed, and only then
 * does a look-up that still finds nothing send again.
 */
export const UNSETTLED_MS = 2 * 60_000;

/** What is known of earlier attempts at one create. */
export interface Earlier {
  /** When a create whose outcome is unknown was sent (its attempt mark); null: none. */
  sentAt: Date | null;
  /** Look it up though no create is pending: a job queued again (requeued), or a mark that is no send. */
  lookFirst?: boolean;
}

/**
 * What an earlier attempt, or a person by hand, put in Xero under the create's Reference, looked
 * up when `earlier` says it may be there; undefined: nothing, send it. Throws Unsettled while a
 * create sent less than UNSETTLED_MS ago is not found (`what` names it in the job's error).
 */
export async function foundEarlier<T>(now: Date, earlier: Earlier, find: () => Promise<T | null | undefined>, what: string): Promise<T | undefined> {
  if (!earlier.sentAt && !earlier.lookFirst) return undefined;
  const found = await find();
  if (found) return found;
  notWhileUnsettled(now, earlier.sentAt, what);
  return undefined;
}

/** A create sent without an answer that may still be in the making at Xero (UNSETTLED_MS): its own entry waits, nothing else need. */
export class Unsettled extends RetryLater {}

/** Throws Unsettled when a create sent at `sentAt` may still be in the making at Xero (UNSETTLED_MS). */
export function notWhileUnsettled(now: Date, sentAt: Date | null, what: string): void {
  if (!sentAt) return;
  const left = sentAt.getTime() + UNSETTLED_MS - now.getTime();
  if (left <= 0) return;
  throw new Unsettled(
    `the ${what} sent to Xero at ${sentAt.toISOString()} got no answer and is not in Xero yet: Xero may still be making it, so nothing is sent again before ${new Date(sentAt.getTime() + UNSETTLED_MS).toISOString()}`,
    Math.ceil(left / 1000),
  );
}

/**
 * Runs one entry's step; its create still unsettled (Unsettled) is returned instead of thrown, so
 * that the entries of the same run that do not hang on it are booked now, and the caller throws it
 * after them (the job comes back for this one alone). Anything else is thrown as it comes.
 */
export async function unlessUnsettled(step: () => Promise<unknown>): Promise<Unsettled | undefined> {
  try {
    await step();
    return undefined;
  } catch (err) {
    if (err instanceof Unsettled) return err;
    throw err;
  }
}

/**
 * A job queued again after it ended (the admin's Retry, `jobs replay`, a settlement account saved,
 * a Billing Report uploaded again): store/job-rows.ts requeueJobs counts these in payload.retry.
 * It looks in Xero by Reference before it creates anything, mark or no mark: the review page told
 * a person they may book it by hand instead, and they may have done both.
 */
export function requeued(job: Pick<Job, 'payload'>): boolean {
  return Number(job.payload.retry ?? 0) > 0;
}
