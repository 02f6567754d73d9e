/**
 * A part payment in progress is kept from clicks for another amount. Superseding a checkout
 * expires its Xendit invoice, and with it the virtual account number or retail payment code the
 * payer was given: Xendit refuses payments into an expired invoice's VA (help.xendit.co "What is
 * Expiration Date": "payments made after the expiration date will be failed"; docs.xendit.co
 * Invoice FAQ: "Expired invoices cannot be paid"). The payer may take a while to pay one (at an
 * ATM, a bank counter or a convenience store; an interbank transfer may wait for the sending bank's
 * next business hour: docs.xendit.co Virtual Account "Rules and Limitations"), and anyone holding
 * the Xero link could otherwise end it by choosing another amount.
 */
import type { Checkout } from '../store/checkouts.js';
import type { Merchant } from '../store/merchants.js';
import { modeOfXenditKey } from '../store/merchant-model.js';
import type { Currency } from '../money.js';
import type { Clock } from '../clock.js';
import { merchantZone } from '../jobs/sync/org-date.js';
import { EXPIRY_MARGIN_MS } from './admission.js';
import { allowedRedirect, type CheckoutHosts } from './checkout-host.js';

/** Who may end a held checkout, and for how long one is held. */
export interface PartHold {
  holdMs: number;
  /** The checkout named by the click's retry= ("Try again" after Xendit sent the payer back): its payer may change the amount. */
  retryOf?: string;
  /** What Xero says is due now: a checkout for more is out of date, not a payment to keep. */
  due: number;
}

/**
 * Until when a click for another amount leaves this open checkout alone: a hold from when it was made.
 * Clicks for its amount do not extend it: anyone with the link could otherwise keep it held for the
 * Xendit invoice's whole life, and its payer could never choose another amount.
 */
export function heldUntil(c: Checkout, holdMs: number): Date {
  // A checkout this close to expiry is replaced rather than reused (reusableCheckout): not held either.
  return new Date(Math.min(c.createdAt.getTime() + holdMs, c.expiresAt.getTime() - EXPIRY_MARGIN_MS));
}

/**
 * The open checkout of another amount a click for `amount` must not end, if any (the latest held).
 * None while an open checkout of `amount` exists: two open at once (left by clicks from before claims
 * took turns) are brought back to one, as before, by a click for either amount.
 */
export function heldCheckout(live: Checkout[], amount: number, hold: PartHold, now: Date): Checkout | undefined {
  const open = live.filter((c) => c.status === 'open');
  if (open.some((c) => c.amount === amount)) return undefined;
  return open
    .filter((c) => c.amount !== amount && c.amount <= hold.due && c.invoiceUrl && c.id !== hold.retryOf && heldUntil(c, hold.holdMs) > now)
    .sort((a, b) => heldUntil(b, hold.holdMs).getTime() - heldUntil(a, hold.holdMs).getTime())[0];
}

/** The click is told a payment of the invoice is in progress, with a button on to it. */
export interface InProgress {
  kind: 'inProgress';
  invoiceNumber: string;
  currency: Currency;
  amount: number; // minor units
  /** The Xendit checkout it was sent to (an allowed checkout host). */
  checkoutUrl: string;
  /** From when another amount may be chosen (sooner if it is paid, expires or is ended). */
  until: Date;
  now: Date;
  /** IANA zone the time is shown in: merchantZone, as the 429 page names it. */
  timeZone: string;
  test: boolean;
}

export function inProgress(deps: CheckoutHosts & { clock: Clock }, merchant: Merchant, c: Checkout, hold: PartHold): InProgress {
  return {
    kind: 'inProgress',
    invoiceNumber: c.invoiceNumber,
    currency: c.currency,
    amount: c.amount,
    checkoutUrl: allowedRedirect(c, merchant, deps),
    until: heldUntil(c, hold.holdMs),
    now: deps.clock(),
    timeZone: merchantZone(merchant),
    // By the key that made it, as the receipt judges it.
    test: (c.xenditMode ?? modeOfXenditKey(merchant.xenditSecretKey)) === 'test',
  };
}
