/**
 * Which stored Xendit key reaches what a checkout or payment left at Xendit (checkoutKey, in
 * store/merchant-model.ts, says which), and what the jobs do when none does.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Payment } from '../../store/payments.js';
import type { Checkout } from '../../store/checkouts.js';
import { checkoutKey, type CheckoutKey, type Merchant } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { encodeMessage, message } from '../../i18n/index.js';
import { raiseAlert } from '../../alerts/raise.js';

export interface PaymentAtXendit {
  key: CheckoutKey;
  externalId: () => Promise<string | null>;
}

/**
 * Where a payment's transaction is read: with the stored key of the mode its checkout was made in
 * (checkoutKey; for a sale made outside the gateway, the mode of the key that read its invoice,
 * else the key in use), since the merchant may have
 * switched between test and live since, and by the invoice's external id, which its transactions
 * carry as reference_id: our checkout's (we created the invoice with it, no call needed); for an
 * invoice made outside the gateway, Xendit's own, read only when asked for.
 */
export async function paymentAtXendit(
  deps: { stores: Pick<Stores, 'checkouts' | 'backendSales'> },
  xendit: XenditGateway,
  merchant: Merchant,
  payment: Payment,
): Promise<PaymentAtXendit> {
  const checkout = payment.checkoutId ? await deps.stores.checkouts.byId(payment.checkoutId) : null;
  const key = checkoutKey(merchant, checkout ?? (await deps.stores.backendSales.get(merchant.id, payment.xenditInvoiceId)));
  if (checkout) return { key, externalId: async () => checkout.externalId };
  return { key, externalId: async () => (await xendit.getInvoice(key.key, payment.xenditInvoiceId))?.externalId ?? null };
}

/**
 * Reads a refund or dispute at Xendit: with the key of its payment's checkout when the payment is
 * already known (paymentAtXendit), else with the key in use; finding nothing, with the merchant's
 * other stored key, as record-payment reads an invoice. A payment made before the merchant switched
 * between test and live is refunded (or disputed) in that mode's account, and the key in use finds
 * nothing there. `key`: the one that found it, whose mode says whether its money is test or live.
 */
export async function readWithPaymentKey<T>(
  deps: { stores: Pick<Stores, 'checkouts' | 'payments' | 'backendSales'> },
  xendit: XenditGateway,
  merchant: Merchant,
  paymentId: string | null | undefined,
  read: (key: string) => Promise<T | null>,
): Promise<{ found: T | null; key: string }> {
  const payment = paymentId ? await deps.stores.payments.byId(paymentId) : null;
  const key = (payment && (await paymentAtXendit(deps, xendit, merchant, payment)).key.key) || merchant.xenditSecretKey;
  const found = await read(key);
  const other = [merchant.xenditKeys.test, merchant.xenditKeys.live, merchant.xenditSecretKey].find((k) => k && k !== key);
  if (found || !other) return { found, key };
  try {
    const there = await read(other);
    return { found: there, key: there ? other : key };
  } catch (err) {
    // The other key refused (revoked): it cannot say, and the review must not wait on it.
    if (err instanceof UpstreamError && err.kind === 'unauthorized') return { found: null, key };
    throw err;
  }
}

/** Why a payment's transaction cannot be read: no key of its mode is stored. */
export function keyGone(key: CheckoutKey): string {
  return `the payment is in the Xendit account of the ${key.mode} key ${key.hint}, and no ${key.mode} key is stored any more`;
}

/** For a message: the key read with is not the one that made the checkout (it may be another business's). */
export function replacedNote(key: CheckoutKey): string {
  return key.replaced ? ` (read with the ${key.mode} key that replaced ${key.hint}, which made the checkout: check that key's Xendit account)` : '';
}

/**
 * Whether what Xendit answered the checkout's key means that key cannot reach the checkout: no key
 * of its mode is stored, or the key that made it was replaced and its replacement finds nothing or
 * is refused (another business's account). With the key that made it, "not found" is Xendit's word.
 */
export function unreachable(key: CheckoutKey, found: 'found' | 'nothing' | unknown): boolean {
  if (!key.key) return true;
  if (!key.replaced) return false;
  return found === 'nothing' || (found instanceof UpstreamError && found.kind === 'unauthorized');
}

/**
 * No stored key reaches a live checkout's invoice: done as the retire-xendit-key job does for a key
 * it cannot reach, and no other key is tried (another account's "not found" says nothing of this
 * one). The checkout is superseded with why (no click reuses it; the next makes one with the key in
 * use), and the merchant is told once which key's account may still take its payment. True when it
 * was still live.
 */
export async function supersedeUnreachable(
  deps: { stores: Pick<Stores, 'checkouts' | 'alerts'>; clock: Clock; logger: Logger },
  checkout: Checkout,
  key: CheckoutKey,
): Promise<boolean> {
  const reason = encodeMessage(message('admin:closedReason_keyRetiredUnconfirmed', { key: key.hint }));
  if (!(await deps.stores.checkouts.supersedeUnreachable(checkout.id, reason, deps.clock()))) return false;
  deps.logger.warn(
    { merchantId: checkout.merchantId, checkoutId: checkout.id, mode: key.mode, key: key.hint },
    'no stored Xendit key reaches this checkout: superseded, merchant alerted',
  );
  await raiseAlert(deps, {
    merchantId: checkout.merchantId,
    kind: 'xenditKeyRetired',
    message: message('alerts:xenditKeyRetired', { key: key.hint, count: 1, invoices: checkout.invoiceNumber }),
    dedupeKey: `xenditKeyRetired:${checkout.merchantId}:${key.hint}`,
  });
  return true;
}
