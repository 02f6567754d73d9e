import type { Clock } from '../clock.js';
import type { PayClickAdmission, PayClickStore } from '../store/pay-clicks.js';
import type { SharedXeroBudget } from '../store/xero-budget.js';
import { countedWindows, refuseOverLimit, type RateCounter } from '../security/rate-limit.js';

/**
 * Lets a pay click in, or refuses it (TooManyRequests), in one database round trip: its rate-limit
 * counters, the merchant and, with a shared budget, the Xero budget for its invoice read
 * (app/store/pay-clicks.ts). Without one (tests with no limits), the Xero client asks its own.
 */
export function createPayAdmission(deps: { store: PayClickStore; clock: Clock; budget?: SharedXeroBudget }) {
  return async function admit(shortCode: string, counters: RateCounter[], guessedInvoiceId?: string): Promise<PayClickAdmission> {
    const now = deps.clock().getTime();
    const windows = countedWindows(counters, now);
    const admitted = await deps.store.admit({
      shortCode,
      counters: windows.map((w) => ({ key: w.key, windowStart: w.windowStart, limit: w.rule.limit })),
      budget: deps.budget?.inStatement('pay-click'),
      guessedInvoiceId,
    });
    try {
      refuseOverLimit(windows, admitted.hits, now);
    } catch (err) {
      // The statement takes no budget for a click over its limit; should the two ever disagree, give it back.
      if (admitted.xeroTicket?.ok) await admitted.xeroTicket.refund();
      throw err;
    }
    return admitted;
  };
}

export type PayAdmission = ReturnType<typeof createPayAdmission>;
