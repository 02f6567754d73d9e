import { UpstreamError } from '../clients/types.js';
import { ServiceUnavailable } from '../errors.js';

/** An upstream that does not answer now is the customer's "try again" page (503), never a 500. */
export async function upstream<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof UpstreamError) throw new ServiceUnavailable(err.message, err.retryAfterSeconds ?? 30);
    throw err;
  }
}
