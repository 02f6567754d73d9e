/**
 * A create sent to Xero so that it is never made twice: the attempt mark is committed before the
 * create is sent and cleared when Xero answers that it did not take it (a refusal, a rate limit,
 * bad credentials). Accepted, the caller stores Xero's answer (which clears the mark). No answer
 * at all (a timeout, a 5xx, a crash) leaves the mark set, and the next attempt looks the object up
 * by its Reference before it sends anything.
 */
import { UpstreamError } from '../../clients/types.js';

export async function sendOnce<T>(mark: (at: Date | null) => Promise<void>, now: Date, send: () => Promise<T>): Promise<T> {
  await mark(now);
  try {
    return await send();
  } catch (err) {
    if (err instanceof UpstreamError && err.kind !== 'unavailable') await mark(null);
    throw err;
  }
}
