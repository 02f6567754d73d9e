/**
 * Which stored Xendit key reaches what a checkout or payment left at Xendit (checkoutKey, in
 * store/merchant-model.ts, says which), and what the jobs do when none does.
 */
import type { Stores } from '../../store/index.js';
import type { Payment } from '../../store/payments.js';
import { checkoutKey, type CheckoutKey, type Merchant } from '../../store/merchants.js';
import type { XenditGateway } from '../../clients/xendit/types.js';

export interface PaymentAtXendit {
  key: CheckoutKey;
  externalId: () => Promise<string | null>;
}

/**
 * Where a payment's transaction is read: with the stored key of the mode its checkout was made in
 * (checkoutKey; the key in use for a sale made outside the gateway), since the merchant may have
 * switched between test and live since, and by the invoice's external id, which its transactions
 * carry as reference_id: our checkout's (we created the invoice with it, no call needed); for an
 * invoice made outside the gateway, Xendit's own, read only when asked for.
 */
export async function paymentAtXendit(
  deps: { stores: Pick<Stores, 'checkouts'> },
  xendit: XenditGateway,
  merchant: Merchant,
  payment: Payment,
): Promise<PaymentAtXendit> {
  const checkout = payment.checkoutId ? await deps.stores.checkouts.byId(payment.checkoutId) : null;
  const key = checkoutKey(merchant, checkout);
  if (checkout) return { key, externalId: async () => checkout.externalId };
  return { key, externalId: async () => (await xendit.getInvoice(key.key, payment.xenditInvoiceId))?.externalId ?? null };
}

/** Why a payment's transaction cannot be read: no key of its mode is stored. */
export function keyGone(key: CheckoutKey): string {
  return `the payment is in the Xendit account of the ${key.mode} key ${key.hint}, and no ${key.mode} key is stored any more`;
}

/** For a message: the key read with is not the one that made the checkout (it may be another business's). */
export function replacedNote(key: CheckoutKey): string {
  return key.replaced ? ` (read with the ${key.mode} key that replaced ${key.hint}, which made the checkout: check that key's Xendit account)` : '';
}
