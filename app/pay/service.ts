import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { Checkout } from '../store/checkouts.js';
import type { Merchant } from '../store/merchants.js';
import { UpstreamError, type XenditGateway, type XeroGateway, type XeroInvoice, type NewXenditInvoice } from '../clients/types.js';
import { AmountError, isSupportedCurrency, toMinor, type Currency } from '../money.js';
import { InvoiceAlreadyPaid, InvoiceNotPayable, PaymentLinkNotFound, ServiceUnavailable, UnsupportedCurrency } from '../errors.js';
import { paths } from '../paths.js';

export interface PayDeps {
  stores: Stores;
  xero: XeroGateway;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  checkoutHosts: string[];
  invoiceDurationSeconds: number;
  /** How long a click waits for a concurrent click that is creating the same checkout. */
  creationWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface PayRequest {
  invoiceNumber: string;
  shortCode: string;
  lang: 'id' | 'en';
}

/** An open Xendit invoice this close to expiry is replaced rather than reused. */
const EXPIRY_MARGIN_MS = 10 * 60_000;
const POLL_MS = 50;

/**
 * A customer clicked "Pay with Xendit" in a Xero invoice: read the invoice fresh from Xero, decide
 * whether it can be paid, and return the Xendit checkout to send them to.
 */
export async function startPayment(deps: PayDeps, req: PayRequest): Promise<{ redirectUrl: string; checkout: Checkout }> {
  const merchant = await deps.stores.merchants.activeByShortCode(req.shortCode);
  if (!merchant) throw new PaymentLinkNotFound(`no active merchant with ShortCode ${req.shortCode}`);

  const invoice = await upstream(() => deps.xero.findInvoiceByNumber(merchant.xero, req.invoiceNumber));
  if (!invoice || invoice.type !== 'ACCREC') throw new PaymentLinkNotFound(`no sales invoice ${req.invoiceNumber}`);

  const { currency, amount } = payableAmount(invoice);
  const existing = await deps.stores.checkouts.forInvoice(merchant.id, invoice.invoiceId);
  await refuseWhilePaymentIsBeingRecorded(deps, merchant, invoice, existing);

  // The common repeat click: the open checkout for this amount, nothing to supersede. Decided from
  // the rows just read, saving two queries on the path every customer waits on.
  const reusable = reusableCheckout(existing, amount, deps.clock());
  if (reusable) return { redirectUrl: allowedRedirect(reusable.invoiceUrl!, deps.checkoutHosts), checkout: reusable };

  const checkout = await liveCheckout(deps, merchant, invoice, currency, amount, req.lang);
  await supersedeOthers(deps, merchant, checkout);
  return { redirectUrl: allowedRedirect(checkout.invoiceUrl!, deps.checkoutHosts), checkout };
}

function payableAmount(invoice: XeroInvoice): { currency: Currency; amount: number } {
  if (invoice.status === 'PAID') throw new InvoiceAlreadyPaid(invoice.invoiceNumber);
  if (invoice.status !== 'AUTHORISED') throw new InvoiceNotPayable(invoice.invoiceNumber, invoice.status);
  const currency = invoice.currencyCode;
  if (!isSupportedCurrency(currency)) throw new UnsupportedCurrency(currency, `Xendit does not charge in ${currency}`);
  let amount: number;
  try {
    amount = toMinor(invoice.amountDue, currency);
  } catch (err) {
    if (err instanceof AmountError) throw new UnsupportedCurrency(currency, err.message);
    throw err;
  }
  if (amount <= 0) throw new InvoiceAlreadyPaid(invoice.invoiceNumber);
  return { currency, amount };
}

/**
 * Xendit said PAID but Xero does not show it yet: a new checkout now could charge the customer twice,
 * so the page says the payment is on its way instead.
 */
async function refuseWhilePaymentIsBeingRecorded(deps: PayDeps, merchant: Merchant, invoice: XeroInvoice, checkouts: Checkout[]): Promise<void> {
  for (const c of checkouts.filter((c) => c.status === 'paid' && c.xenditInvoiceId)) {
    const payment = await deps.stores.payments.byXenditInvoice(merchant.id, c.xenditInvoiceId!);
    if (!payment || payment.syncState !== 'recorded') throw new InvoiceAlreadyPaid(invoice.invoiceNumber, true);
  }
}

function reusableCheckout(checkouts: Checkout[], amount: number, now: Date): Checkout | undefined {
  const open = checkouts.filter((c) => c.status === 'open');
  const match = open.find((c) => c.amount === amount);
  if (!match?.invoiceUrl || open.length > 1) return undefined;
  return match.expiresAt.getTime() - now.getTime() > EXPIRY_MARGIN_MS ? match : undefined;
}

async function liveCheckout(
  deps: PayDeps,
  merchant: Merchant,
  invoice: XeroInvoice,
  currency: Currency,
  amount: number,
  lang: 'id' | 'en',
): Promise<Checkout> {
  const sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const deadline = deps.clock().getTime() + (deps.creationWaitMs ?? 15_000);
  while (deps.clock().getTime() <= deadline) {
    const now = deps.clock();
    const existing = await deps.stores.checkouts.live(merchant.id, invoice.invoiceId, amount);
    if (existing?.status === 'open') {
      if (existing.expiresAt.getTime() - now.getTime() > EXPIRY_MARGIN_MS) return existing;
      await deps.stores.checkouts.transition(existing.id, ['open'], 'expired', now);
      continue;
    }
    if (existing) {
      // Another click is creating it. If that click died, one of us takes over.
      const staleBefore = new Date(now.getTime() - (deps.creationWaitMs ?? 15_000));
      if (await deps.stores.checkouts.takeOver(existing.id, staleBefore, now)) {
        return createAtXendit(deps, merchant, invoice, existing, lang, { mayExistAtXendit: true });
      }
      await sleep(POLL_MS);
      continue;
    }
    const id = randomUUID();
    const claimed = await deps.stores.checkouts.claim(
      {
        id,
        merchantId: merchant.id,
        xeroInvoiceId: invoice.invoiceId,
        invoiceNumber: invoice.invoiceNumber,
        currency,
        amount,
        externalId: externalIdFor(invoice.invoiceNumber, id),
        expiresAt: new Date(now.getTime() + deps.invoiceDurationSeconds * 1000),
      },
      now,
    );
    if (claimed) return createAtXendit(deps, merchant, invoice, claimed, lang, { mayExistAtXendit: false });
  }
  throw new ServiceUnavailable('timed out waiting for a concurrent checkout to be created', 5);
}

/**
 * Xendit has no idempotency header: our external id lets a click that takes over a stale checkout
 * adopt what the crashed attempt created. A checkout we just claimed has a new external id that
 * Xendit cannot know yet, so a first click skips that lookup (one Xendit call, not two).
 */
async function createAtXendit(
  deps: PayDeps,
  merchant: Merchant,
  invoice: XeroInvoice,
  checkout: Checkout,
  lang: 'id' | 'en',
  opts: { mayExistAtXendit: boolean },
): Promise<Checkout> {
  try {
    const earlier = opts.mayExistAtXendit ? await deps.xendit.findInvoicesByExternalId(merchant.xenditSecretKey, checkout.externalId) : [];
    const adopt = earlier.find((x) => x.status === 'PENDING' && x.amount === checkout.amount && x.currency === checkout.currency);
    const created = adopt ?? (await deps.xendit.createInvoice(merchant.xenditSecretKey, newXenditInvoice(deps, merchant, invoice, checkout, lang)));
    return await deps.stores.checkouts.open(checkout.id, created.id, created.invoiceUrl, deps.clock());
  } catch (err) {
    await deps.stores.checkouts.abandon(checkout.id);
    if (err instanceof UpstreamError) {
      deps.logger.warn({ err: err.message, checkoutId: checkout.id }, 'xendit invoice creation failed');
      throw new ServiceUnavailable(err.message, err.retryAfterSeconds ?? 30);
    }
    throw err;
  }
}

function newXenditInvoice(deps: PayDeps, merchant: Merchant, invoice: XeroInvoice, checkout: Checkout, lang: 'id' | 'en'): NewXenditInvoice {
  const back = (status: string) =>
    `${deps.publicUrl}${paths.payReturn}?${new URLSearchParams({ status, invoiceNo: invoice.invoiceNumber, lang })}`;
  return {
    externalId: checkout.externalId,
    currency: checkout.currency,
    amount: checkout.amount,
    description: `Invoice ${invoice.invoiceNumber} — ${merchant.name}`,
    payerEmail: invoice.contactEmail,
    items: itemsMatching(invoice, checkout),
    successRedirectUrl: back('paid'),
    failureRedirectUrl: back('failed'),
    invoiceDurationSeconds: deps.invoiceDurationSeconds,
  };
}

/**
 * Line items are shown on Xendit's page only when they add up to exactly the amount charged
 * (not after part payments, discounts or fractional quantities): a list that disagrees with the
 * total confuses customers more than no list.
 */
function itemsMatching(invoice: XeroInvoice, checkout: Checkout): NewXenditInvoice['items'] {
  try {
    const items = invoice.lineItems.map((li) => {
      const quantity = Number(li.quantity);
      if (!Number.isInteger(quantity) || quantity <= 0) throw new AmountError('fractional quantity');
      return { name: li.description.slice(0, 255) || 'Item', quantity, price: toMinor(li.unitAmount, checkout.currency) };
    });
    const sum = items.reduce((s, i) => s + i.quantity * i.price, 0);
    return items.length > 0 && sum === checkout.amount ? items : undefined;
  } catch {
    return undefined;
  }
}

async function supersedeOthers(deps: PayDeps, merchant: Merchant, current: Checkout): Promise<void> {
  const others = await deps.stores.checkouts.openForInvoiceExcept(merchant.id, current.xeroInvoiceId, current.id);
  for (const other of others) {
    try {
      if (other.xenditInvoiceId) await deps.xendit.expireInvoice(merchant.xenditSecretKey, other.xenditInvoiceId);
      await deps.stores.checkouts.transition(other.id, ['open'], 'superseded', deps.clock());
    } catch (err) {
      // Left open: the next click tries again, and if the old one gets paid the worker still records it.
      deps.logger.warn({ err: String(err), checkoutId: other.id }, 'could not expire superseded Xendit invoice');
    }
  }
}

export function externalIdFor(invoiceNumber: string, checkoutId: string): string {
  const safe = invoiceNumber.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return `xero-${safe}-${checkoutId}`;
}

function allowedRedirect(url: string, allowedHosts: string[]): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ServiceUnavailable(`Xendit returned an invalid invoice_url`);
  }
  const host = parsed.host.toLowerCase();
  const ok =
    (parsed.protocol === 'https:' || parsed.protocol === 'http:') &&
    (allowedHosts.includes(host) || allowedHosts.includes(parsed.hostname.toLowerCase()));
  if (!ok) throw new ServiceUnavailable(`refusing to redirect to ${parsed.origin}: not in XENDIT_CHECKOUT_HOSTS`);
  return parsed.toString();
}

async function upstream<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof UpstreamError) throw new ServiceUnavailable(err.message, err.retryAfterSeconds ?? 30);
    throw err;
  }
}
