/** Where a click may send the customer: the checkout host allow-list (XENDIT_CHECKOUT_HOSTS). */
import { ServiceUnavailable } from '../errors.js';
import { modeOfXenditKey } from '../store/merchant-model.js';
import type { Checkout } from '../store/checkouts.js';
import type { Merchant } from '../store/merchants.js';

export interface CheckoutHosts {
  /** Hosts a checkout may be redirected to (XENDIT_CHECKOUT_HOSTS)... */
  checkoutHosts: string[];
  /** ...of which these only a test-key checkout (XENDIT_TEST_CHECKOUT_HOSTS: Xendit's staging checkout). */
  testCheckoutHosts?: string[];
}

/**
 * The checkout's invoice_url, if its host is one a checkout made with its key's mode may be on:
 * Xendit puts a test key's invoices on its staging checkout, a live key's on the live one. The mode
 * is the one stored with the checkout (the key that made it); one made before that was stored is
 * judged by the merchant's key now.
 */
export function allowedRedirect(checkout: Checkout, merchant: Merchant, deps: CheckoutHosts): string {
  let parsed: URL;
  try {
    parsed = new URL(checkout.invoiceUrl!);
  } catch {
    throw new ServiceUnavailable(`Xendit returned an invalid invoice_url`);
  }
  const mode = checkout.xenditMode ?? modeOfXenditKey(merchant.xenditSecretKey);
  const names = [parsed.host.toLowerCase(), parsed.hostname.toLowerCase()];
  const listed = (hosts: string[]) => names.some((n) => hosts.includes(n));
  const ok =
    (parsed.protocol === 'https:' || parsed.protocol === 'http:') && listed(deps.checkoutHosts) && (mode === 'test' || !listed(deps.testCheckoutHosts ?? []));
  if (!ok) throw new ServiceUnavailable(`refusing to redirect a ${mode}-key checkout to ${parsed.origin}: not among its XENDIT_CHECKOUT_HOSTS`);
  return parsed.toString();
}
