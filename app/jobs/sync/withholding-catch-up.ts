/**
 * A withholding tax account set after payments were recorded without it. While fees are billed
 * monthly, record-payment queues post-fee only for a merchant with the account (payment-in-xero.ts
 * feeToPost: the fee is on the monthly bill, only tax Xendit withheld is booked per payment), so
 * the payments recorded before it was set kept their withholding unbooked: the report's
 * `fee_missing`, a difference in the balances. Setting the account queues their post-fee, committed
 * with the setting (store/payment-fees.ts requeueFees): it reads each transaction and books the tax
 * withheld alone, or marks the fee not needed, exactly as for a payment recorded with the account.
 */
import type { Stores } from '../../store/index.js';
import type { AccountsCatchUp } from '../../store/merchants.js';
import { RECENT_DAYS } from '../../report/accounts.js';
import { jobRow } from '../enqueue.js';

/**
 * How far back: the report page's default range (RECENT_DAYS, the merchant's today and the days
 * before it), a day wider for the merchant's time zone. An older payment's tax withheld stays the
 * report's `fee_missing` in its own range, to be booked by hand (Reference `Xendit fee <id>`).
 */
export const WITHHOLDING_CATCH_UP_DAYS = RECENT_DAYS + 1;

/**
 * The post-fee jobs the merchant's accounts change makes due, worked out by setAccounts under the
 * merchant's row lock (so a payment being recorded meanwhile is either read here or reads the
 * account itself: store/payments.ts FeeDecision): none unless it sets a withholding tax account
 * the merchant, as stored, had none of (one changed from another was in use meanwhile: nothing
 * waited for it) and fees are posted at all. Payments billed monthly when paid (feeBillingWhenPaid's
 * rule), recorded with their fee not needed and never read.
 */
export function withholdingCatchUp(deps: { stores: Pick<Stores, 'feeBills'> }, withholdingAccountCode: string | null | undefined, now: Date): AccountsCatchUp {
  return async (merchant, feesNeverRead) => {
    if (!withholdingAccountCode || merchant.withholdingAccountCode || merchant.feePosting === 'off') return [];
    const since = new Date(now.getTime() - WITHHOLDING_CATCH_UP_DAYS * 86_400_000);
    const [payments, billingAt] = await Promise.all([feesNeverRead(since), deps.stores.feeBills.billingAt(merchant)]);
    return payments
      .filter((p) => billingAt(p.paidAt) === 'invoiced')
      .map((p) => ({ paymentId: p.id, job: jobRow('post-fee', { paymentId: p.id }, now, { merchantId: merchant.id }) }));
  };
}
