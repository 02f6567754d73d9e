/**
 * A create sent to Xero so that it is never made twice: the attempt mark is committed before the
 * create is sent and cleared when Xero answers that it did not take it (a refusal, a rate limit,
 * bad credentials). Accepted, the caller stores Xero's answer (which clears the mark). No answer
 * at all (a timeout, a 5xx, a crash) leaves the mark set, and the next attempt looks the object up
 * by its Reference before it sends anything.
 *
 * A job's marks are fenced on its claim (jobs/claimed-stores.ts): a run that lost its job (stalled
 * past its lease, taken over) finds its mark not written and sends nothing, since the run that took
 * over may have made the object already, under a key Xero has forgotten; nor does it clear that
 * run's mark after a refusal of its own, which would make a later attempt create without looking.
 */
import { UpstreamError } from '../../clients/types.js';
import { ClaimLost } from '../runner.js';

/** `mark` answers whether it was written. */
export async function sendOnce<T>(mark: (at: Date | null) => Promise<boolean>, now: Date, send: () => Promise<T>): Promise<T> {
  if (!(await mark(now))) throw new ClaimLost('nothing sent: this run lost its job to another claim before its attempt was marked');
  try {
    return await send();
  } catch (err) {
    if (err instanceof UpstreamError && err.kind !== 'unavailable') await mark(null);
    throw err;
  }
}
