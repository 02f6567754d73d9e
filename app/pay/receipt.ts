/**
 * What the customer coming back from Xendit is shown: only what we have stored for the checkout
 * named by the reference in Xendit's redirect URL, never what the URL claims (its `status` only
 * picks between "did not go through" and "being confirmed" while nothing is stored yet).
 */
import type { Stores } from '../store/index.js';
import type { Currency } from '../money.js';
import { paths } from '../paths.js';
import { zoneFor } from '../jobs/sync/org-date.js';
import { modeOfXenditKey } from '../store/merchant-model.js';
import { isUuid } from '../security/uuid.js';

export type ReturnState =
  /** Unknown or malformed reference: nothing is said about any payment. */
  | { kind: 'unknown' }
  /** Xendit sent the customer back; the worker has not confirmed the payment with Xendit yet. */
  | { kind: 'processing'; invoiceNumber: string; test: boolean; checkoutId: string }
  /** Not paid: Xendit's failure redirect, or the checkout expired or was replaced. */
  | { kind: 'notPaid'; invoiceNumber: string; expired: boolean; retryUrl: string; test: boolean }
  | { kind: 'receipt'; receipt: Receipt };

export interface Receipt {
  business: string;
  invoiceNumber: string;
  amount: number; // minor units
  currency: Currency;
  paidAt: Date;
  /** IANA zone of the merchant's Xero organisation, in which paidAt is shown. */
  timeZone: string;
  /** Xendit's words: BANK_TRANSFER, EWALLET, ... and the bank or wallet. */
  method: string | null;
  channel: string | null;
  /** Xendit's invoice id: what Xendit's own receipt e-mail and support know the payment by. */
  xenditReference: string;
  /** Paid with a Xendit test key: no money moved. */
  test: boolean;
}

export async function paymentReturn(deps: { stores: Stores }, ref: unknown, status: unknown): Promise<ReturnState> {
  // The checkout's random id (v4 UUID): it names one checkout to whoever holds the redirect URL.
  if (!isUuid(ref)) return { kind: 'unknown' };
  const checkout = await deps.stores.checkouts.byId(ref.toLowerCase());
  if (!checkout) return { kind: 'unknown' };
  const merchant = await deps.stores.merchants.byId(checkout.merchantId);
  if (!merchant) return { kind: 'unknown' };
  // By the key that made the checkout: the merchant may have switched mode since. Checkouts made
  // before the mode was stored on them are judged by the key in use.
  const test = (checkout.xenditMode ?? modeOfXenditKey(merchant.xenditSecretKey)) === 'test';

  if (checkout.status === 'paid') {
    const payment = await deps.stores.payments.byCheckout(checkout.id);
    if (payment) {
      return {
        kind: 'receipt',
        receipt: {
          business: merchant.name,
          invoiceNumber: checkout.invoiceNumber,
          amount: payment.amount,
          currency: payment.currency,
          paidAt: payment.paidAt,
          // The organisation's zone once the worker has read it, else the currency's home zone.
          timeZone: zoneFor(merchant.xeroTimezone, payment.currency),
          method: payment.paymentMethod,
          channel: payment.paymentChannel,
          xenditReference: payment.xenditInvoiceId,
          // A test key's payment is test money, whether or not it was kept out of Xero.
          test: payment.syncState === 'test_mode' || test,
        },
      };
    }
  }
  // The pay link, naming this checkout where Xero's link had the amount due: a part payment's
  // checkout holds the part chosen, not what Xero's link said was due (which is not stored), and
  // the link check takes only the latter. No part either: the customer chooses again, as any click.
  const retryUrl = `${paths.pay}?${new URLSearchParams({
    invoiceNo: checkout.invoiceNumber,
    shortCode: merchant.shortCode,
    currency: checkout.currency,
    retry: checkout.id,
  })}`;
  if (checkout.status === 'expired' || checkout.status === 'superseded') {
    return { kind: 'notPaid', invoiceNumber: checkout.invoiceNumber, expired: true, retryUrl, test };
  }
  if (checkout.status !== 'paid' && status === 'failed') return { kind: 'notPaid', invoiceNumber: checkout.invoiceNumber, expired: false, retryUrl, test };
  return { kind: 'processing', invoiceNumber: checkout.invoiceNumber, test, checkoutId: checkout.id };
}
