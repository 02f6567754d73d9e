import { randomUUID } from 'node:crypto';
import { checkoutKey, modeOfXenditKey } from '../store/merchant-model.js';
import { channelsFor } from '../clients/xendit/channels.js';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import { CREATION_WAIT_MS, madeWithKey, type Checkout } from '../store/checkouts.js';
import type { Merchant } from '../store/merchants.js';
import { UpstreamError } from '../clients/types.js';
import type { XenditGateway, XenditInvoice, NewXenditInvoice } from '../clients/xendit/types.js';
import type { XeroGateway, XeroInvoice } from '../clients/xero/types.js';
import { AmountError, FractionalAmountError, isSupportedCurrency, toMinor, type Currency } from '../money.js';
import {
  AmountNotWhole,
  CheckoutRefused,
  InvoiceAlreadyPaid,
  InvoiceNotPayable,
  PaymentLinkNotFound,
  PaymentLinkOutdated,
  ServiceUnavailable,
  UnsupportedCurrency,
} from '../errors.js';
import { askedLink, linkMatches, type LinkHint } from './link-hint.js';
import { allowedRedirect } from './checkout-host.js';
import { refuseWithoutClearingAccount } from './clearing.js';
import { upstream } from './upstream.js';
import { minimumPart, partProblem, readPart, type PartProblem } from './part.js';
import { paths } from '../paths.js';
import { message, type Message, type PayLang } from '../i18n/index.js';
import { raiseAlert } from '../alerts/raise.js';
import { jobRow } from '../jobs/enqueue.js';
import type { InvoiceIdMemo } from './invoice-ids.js';
import type { PayAdmission } from './admission.js';
import type { ClickCounters } from './admission.js';

export interface PayDeps {
  stores: Stores;
  xero: XeroGateway;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  /** Hosts a checkout may be redirected to (XENDIT_CHECKOUT_HOSTS)... */
  checkoutHosts: string[];
  /** ...of which these only a test-key checkout (XENDIT_TEST_CHECKOUT_HOSTS: Xendit's staging checkout). */
  testCheckoutHosts?: string[];
  invoiceDurationSeconds: number;
  /** How long a click waits for a concurrent click that is creating the same checkout. */
  creationWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** A job was queued (a paid checkout found while replacing it): wake an in-process worker. */
  onJobEnqueued?: () => void;
  /** Lets a repeat click read its checkouts with its admission instead of after Xero answers. */
  invoiceIds?: InvoiceIdMemo;
  /** Counts the click, finds the merchant and takes the Xero budget, in one round trip. */
  admit: PayAdmission;
  /** A number Xero does not have is answered without asking Xero again for this long (0: always ask). */
  missRememberMs?: number;
}

export interface PayRequest {
  invoiceNumber: string;
  /** The link had a raw `+` (raw-query.ts): the number read with `+` kept; Xero is asked for both readings. */
  plusReading?: string;
  shortCode: string;
  lang: PayLang;
  /** Rate-limit counters this click counts against; over a limit, it is refused before any upstream call. */
  counters: ClickCounters;
  /** The link's [CURRENCY] and [AMOUNTDUE]: must match the invoice (see link-hint.ts). */
  hint: LinkHint;
  /** The amount the customer chose to pay now, as typed (merchants that allow part payments). */
  part?: string;
  /** "Try again" from the return page: the checkout it follows, which stands in for the amount hint. */
  retryOf?: string;
}

/** The merchant allows part payments: the customer is asked how much, before any checkout is made. */
export interface AskAmount {
  kind: 'ask';
  business: string;
  invoiceNumber: string;
  currency: Currency;
  due: number; // minor units
  minimum: number; // minor units
  /** What was typed, when it could not be used, and why. */
  typed?: string;
  problem?: PartProblem;
  /** The merchant takes payments with a Xendit test key: no real money moves. */
  test: boolean;
}

export type PayOutcome = { kind: 'redirect'; redirectUrl: string; checkout: Checkout } | AskAmount;

/** An open Xendit invoice this close to expiry is replaced rather than reused. */
const EXPIRY_MARGIN_MS = 10 * 60_000;
const POLL_MS = 50;

/**
 * A customer clicked "Pay with Xendit" in a Xero invoice: read the invoice fresh from Xero, decide
 * whether it can be paid, and return the Xendit checkout to send them to.
 */
export async function startPayment(deps: PayDeps, req: PayRequest): Promise<PayOutcome> {
  // A repeat click reads the checkouts of the invoice this number named last time, in the same
  // statement; used only if Xero names the same invoice.
  const guessed = deps.invoiceIds?.guess(req.shortCode, req.invoiceNumber);
  // Both readings in one call: the one that names an invoice is used; both or neither is an unknown number.
  const readings = req.plusReading !== undefined && req.plusReading !== req.invoiceNumber ? [req.invoiceNumber, req.plusReading] : [req.invoiceNumber];
  const link = askedLink(req.hint, req.retryOf);
  const { merchant, xeroTicket, checkouts: early, rememberedMiss, knownLink } = await deps.admit(req.shortCode, readings, link, req.counters, guessed);
  if (!merchant) throw new PaymentLinkNotFound(`no active merchant with ShortCode ${req.shortCode}`);
  const unknownNumber = () => `no sales invoice ${readings.join(' or ')}`;
  if (rememberedMiss) throw new PaymentLinkNotFound(`${unknownNumber()} or a link not its own (this link was answered so moments ago)`);
  // Remembered with the link as asked, so the same link clicked again costs no Xero call, whether
  // Xero has no such invoice or the link is not the invoice's: both are answered as fast, and the
  // time taken tells no more than the page. A real invoice created meanwhile is found once this
  // expires; its own link is not answered from another link's miss. Two readings (a raw `+`) may
  // have found two invoices: not a miss, so not remembered (and so never answered from memory).
  const remember = async () => {
    if (deps.missRememberMs && readings.length === 1)
      await deps.stores.payClicks.rememberMiss(merchant.id, readings, link.key, new Date(deps.clock().getTime() + deps.missRememberMs));
  };

  const invoice = await upstream(() => deps.xero.findInvoiceByNumber(merchant.xero, readings.length > 1 ? readings : readings[0], xeroTicket));
  if (!invoice || invoice.type !== 'ACCREC') {
    await remember();
    throw new PaymentLinkNotFound(unknownNumber());
  }
  let read = early && guessed === invoice.invoiceId ? early : undefined;
  const checkoutsOfInvoice = async () => (read ??= await deps.stores.checkouts.forInvoice(merchant.id, invoice.invoiceId));
  // "Try again" names a checkout of this invoice (its random id, known only from Xendit's redirect):
  // as good a sign as Xero's hints that the link was made for this invoice.
  if (!linkMatches(invoice, req.hint) && !(req.retryOf && (await checkoutsOfInvoice()).some((c) => c.id === req.retryOf))) {
    await remember();
    throw new PaymentLinkOutdated(`link ${req.hint.currency ?? '-'} ${req.hint.amount ?? '-'} does not match invoice ${invoice.invoiceNumber}`);
  }
  deps.invoiceIds?.learn(req.shortCode, req.invoiceNumber, invoice.invoiceId);
  // The invoice's own link: its next clicks are counted apart from every other link (pay-clicks.sql).
  if (!knownLink && invoice.status === 'AUTHORISED') await deps.stores.openInvoices.saw(merchant.id, [invoice], deps.clock());

  const { currency, amount: due } = await payableAmount(deps, merchant, invoice);
  const existing = await checkoutsOfInvoice();
  await refuseWhilePaymentIsBeingRecorded(deps, merchant, invoice, existing);
  await refuseWithoutClearingAccount(deps, merchant, invoice, currency);

  let amount = due;
  if (merchant.partialMinPercent !== null) {
    const minimum = minimumPart(due, merchant.partialMinPercent);
    const ask: AskAmount = {
      kind: 'ask',
      business: merchant.name,
      invoiceNumber: invoice.invoiceNumber,
      currency,
      due,
      minimum,
      test: modeOfXenditKey(merchant.xenditSecretKey) === 'test',
    };
    if (req.part === undefined) return ask;
    const part = readPart(req.part, currency);
    const problem = partProblem(part, minimum, due);
    if (problem) return { ...ask, typed: req.part, problem };
    amount = part!;
  }

  // The common repeat click: the open checkout for this amount, nothing to supersede. Decided from
  // the rows just read, saving two queries on the path every customer waits on.
  const reusable = reusableCheckout(existing, amount, deps.clock());
  if (reusable) return { kind: 'redirect', redirectUrl: allowedRedirect(reusable, merchant, deps), checkout: reusable };

  // A new Xendit invoice is made only once every other one for this Xero invoice is dead: two
  // payable invoices for one bill is how customers pay twice.
  for (const other of existing.filter((c) => c.status === 'open' && c.amount !== amount)) await retire(deps, merchant, invoice, other, 'superseded');
  for (const other of existing.filter((c) => c.status === 'creating' && c.amount !== amount)) await retireCreating(deps, merchant, invoice, other);
  // None live for this amount when read: claim at once (a claim that loses to a concurrent click, of
  // this amount or another, reads again).
  const noneLive = !existing.some((c) => (c.status === 'open' || c.status === 'creating') && c.amount === amount);
  const checkout = await liveCheckout(deps, merchant, invoice, currency, amount, req.lang, noneLive);
  return { kind: 'redirect', redirectUrl: allowedRedirect(checkout, merchant, deps), checkout };
}

async function payableAmount(deps: PayDeps, merchant: Merchant, invoice: XeroInvoice): Promise<{ currency: Currency; amount: number }> {
  if (invoice.status === 'PAID') throw new InvoiceAlreadyPaid(invoice.invoiceNumber);
  if (invoice.status !== 'AUTHORISED') throw new InvoiceNotPayable(invoice.invoiceNumber, invoice.status);
  const currency = invoice.currencyCode;
  if (!isSupportedCurrency(currency)) throw new UnsupportedCurrency(currency, `Xendit does not charge in ${currency}`);
  let amount: number;
  try {
    amount = toMinor(invoice.amountDue, currency);
  } catch (err) {
    if (err instanceof FractionalAmountError) {
      // Xendit would charge the amount truncated, and the customer cannot fix it: the merchant must
      // round the invoice. Every click meets it until then: one alert per invoice.
      await raiseAlert(deps, {
        merchantId: merchant.id,
        kind: 'amountNotWhole',
        message: message('alerts:amountNotWhole', { invoice: invoice.invoiceNumber, amount: invoice.amountDue, currency }),
        dedupeKey: `amountNotWhole:${merchant.id}:${invoice.invoiceId}`,
      });
      throw new AmountNotWhole(invoice.invoiceNumber, invoice.amountDue, currency);
    }
    if (err instanceof AmountError) throw new UnsupportedCurrency(currency, err.message);
    throw err;
  }
  if (amount <= 0) throw new InvoiceAlreadyPaid(invoice.invoiceNumber);
  return { currency, amount };
}

/**
 * Xendit said PAID but Xero does not show it yet: a new checkout now could charge the customer twice,
 * so the page says the payment is on its way instead. A test-key payment kept out of Xero
 * ('test_mode') is not on its way: it stays so for good and moved no money, so it neither counts as
 * paid nor holds up the real payment once the merchant goes live.
 */
async function refuseWhilePaymentIsBeingRecorded(deps: PayDeps, merchant: Merchant, invoice: XeroInvoice, checkouts: Checkout[]): Promise<void> {
  for (const c of checkouts.filter((c) => c.status === 'paid' && c.xenditInvoiceId)) {
    const payment = await deps.stores.payments.byXenditInvoice(merchant.id, c.xenditInvoiceId!);
    if (payment?.syncState === 'test_mode') continue;
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
  lang: PayLang,
  noneLive: boolean,
): Promise<Checkout> {
  const sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const deadline = deps.clock().getTime() + (deps.creationWaitMs ?? CREATION_WAIT_MS);
  for (let first = true; deps.clock().getTime() <= deadline; first = false) {
    const now = deps.clock();
    const live = first && noneLive ? [] : await deps.stores.checkouts.liveOfInvoice(merchant.id, invoice.invoiceId);
    // A concurrent click (another tab, or the invoice edited in Xero between the two) claimed another
    // amount after ours read: ended as startPayment ends one, so "try again" (503) while it is being created.
    const other = live.find((c) => c.amount !== amount);
    if (other) {
      await (other.status === 'open' ? retire(deps, merchant, invoice, other, 'superseded') : retireCreating(deps, merchant, invoice, other));
      continue;
    }
    const existing = live.find((c) => c.amount === amount);
    if (existing?.status === 'open') {
      if (existing.expiresAt.getTime() - now.getTime() > EXPIRY_MARGIN_MS) return existing;
      await retire(deps, merchant, invoice, existing, 'expired');
      continue;
    }
    if (existing) {
      // Another click is creating it. If that click died, one of us takes over.
      const staleBefore = new Date(now.getTime() - (deps.creationWaitMs ?? CREATION_WAIT_MS));
      const fence = await deps.stores.checkouts.takeOver(existing.id, staleBefore, now);
      const opened = fence && (await createAtXendit(deps, merchant, invoice, existing, fence, lang, { mayExistAtXendit: true }));
      if (opened) return opened;
      await sleep(POLL_MS);
      continue;
    }
    const id = randomUUID();
    const claimed = await deps.stores.checkouts.claimWithKey(
      {
        id,
        merchantId: merchant.id,
        xeroInvoiceId: invoice.invoiceId,
        invoiceNumber: invoice.invoiceNumber,
        currency,
        amount,
        externalId: externalIdFor(invoice.invoiceNumber, id),
        expiresAt: new Date(now.getTime() + checkoutSeconds(deps, merchant) * 1000),
        customer: { name: invoice.contactName, email: invoice.contactEmail },
        // Which key makes it: the receipt and record-payment judge it by that, not by the key in use later.
        ...madeWithKey(merchant.xenditSecretKey),
      },
      now,
      merchant.xenditSecretKey,
    );
    // The merchant's key changed since this click read it: the next click reads the new one.
    if (claimed === 'key-changed') throw new ServiceUnavailable(`the Xendit key of merchant ${merchant.id} changed during the click`, 1);
    const opened = claimed && (await createAtXendit(deps, merchant, invoice, claimed, now, lang, { mayExistAtXendit: false }));
    if (opened) return opened;
  }
  throw new ServiceUnavailable('timed out waiting for a concurrent checkout to be created', 5);
}

/**
 * Xendit has no idempotency header (xendit-node InvoiceApi createInvoice sends none; docs.xendit.co
 * Create Invoice): our external id lets a click that takes over a stale checkout adopt what an
 * earlier attempt created (its click crashed, or its answer was lost). A checkout we just claimed
 * has a new external id that Xendit cannot know yet, so a first click skips that lookup (one Xendit
 * call, not two). `fence` is our claim on the row: if another click took it over meanwhile, what we
 * made at Xendit is expired again and null tells the caller to wait for the new owner.
 */
async function createAtXendit(
  deps: PayDeps,
  merchant: Merchant,
  invoice: XeroInvoice,
  checkout: Checkout,
  fence: Date,
  lang: PayLang,
  opts: { mayExistAtXendit: boolean },
): Promise<Checkout | null> {
  let earlier: XenditInvoice[] = [];
  try {
    if (opts.mayExistAtXendit) earlier = await deps.xendit.findInvoicesByExternalId(merchant.xenditSecretKey, checkout.externalId);
  } catch (err) {
    // What an earlier attempt made is unknown still: the row is kept for the next click to look again.
    throw keptForLater(deps, checkout, err);
  }
  await refuseWhenPaidMeanwhile(deps, merchant, invoice, checkout, earlier);
  const adopted = earlier.find((x) => x.status === 'PENDING' && x.amount === checkout.amount && x.currency === checkout.currency);
  let created: XenditInvoice;
  try {
    created = adopted ?? (await createInvoice(deps, merchant, checkout, newXenditInvoice(deps, merchant, invoice, checkout, lang)));
  } catch (err) {
    // No answer, a 5xx, a dropped connection: Xendit may have made the invoice (and e-mailed it to
    // the payer). The row keeps its external id, so the next click looks it up and adopts it, and
    // a payment of it is still found as this checkout's.
    if (!refusedOutright(err)) throw keptForLater(deps, checkout, err);
    // Deleted, not kept: Xendit made no invoice, so the next click starts afresh with whatever
    // the merchant has fixed meanwhile.
    await deps.stores.checkouts.abandon(checkout.id, fence);
    if (err instanceof UpstreamError && err.kind === 'rejected') {
      // Xendit's 400s on creation are about this merchant's account or this invoice, not the moment:
      // retrying in 30 s cannot help, the merchant has to change something.
      const code = err.code ?? `HTTP ${err.status ?? '?'}`;
      deps.logger.warn({ err: err.message, code, checkoutId: checkout.id }, 'xendit refused to create the checkout');
      await raiseAlert(deps, {
        merchantId: merchant.id,
        kind: 'checkoutRefused',
        message: message('alerts:checkoutRefused', { invoice: invoice.invoiceNumber, code, fix: fixFor(code, checkout.currency) }),
        // Every click meets the same refusal until it is fixed: one alert per merchant and code.
        dedupeKey: `checkoutRefused:${merchant.id}:${code}`,
      });
      throw new CheckoutRefused(invoice.invoiceNumber, err.message);
    }
    if (err instanceof UpstreamError) {
      deps.logger.warn({ err: err.message, checkoutId: checkout.id }, 'xendit invoice creation failed');
      throw new ServiceUnavailable(err.message, err.retryAfterSeconds ?? 30);
    }
    throw err;
  }
  // Reuse is decided by the stored expiry, without asking Xendit (whose "Invoice expired" callback a
  // merchant may not have set): Xendit's own expiry when it grants less than we asked for, counted
  // from our claim (its expiry_date − created is on Xendit's clock, so clock skew cannot stretch it).
  const granted = created.validForSeconds === undefined ? undefined : new Date(checkout.createdAt.getTime() + created.validForSeconds * 1000);
  const expiresAt = granted && granted < checkout.expiresAt ? granted : undefined;
  const opened = await deps.stores.checkouts.open(checkout.id, fence, created.id, created.invoiceUrl, deps.clock(), expiresAt);
  // Opened: any other payable invoice under its external id (two attempts both got through) is a
  // duplicate. Lost to a concurrent click: the one we made is; one we adopted is the new owner's to adopt.
  const duplicates = opened ? earlier.filter((x) => x.status === 'PENDING' && x.id !== created.id) : adopted ? [] : [created];
  if (!opened) deps.logger.warn({ checkoutId: checkout.id, xenditInvoiceId: created.id }, 'lost the checkout to a concurrent click');
  for (const x of duplicates) {
    deps.logger.warn({ checkoutId: checkout.id, xenditInvoiceId: x.id }, 'expiring a duplicate Xendit invoice');
    await deps.xendit.expireInvoice(merchant.xenditSecretKey, x.id).catch((err) => {
      deps.logger.error({ err: String(err), xenditInvoiceId: x.id }, 'could not expire a duplicate Xendit invoice');
    });
  }
  return opened;
}

/**
 * Xendit answered the create with a 4xx (xendit-node: 400 validation, 401/403 key, 404, 429 rate
 * limit), or our own budget held it back: it made nothing. A 408, a 5xx or no answer at all leave
 * it unknown.
 */
function refusedOutright(err: unknown): boolean {
  if (!(err instanceof UpstreamError)) return false;
  if (err.heldBack) return true;
  return err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 408;
}

/** The click fails with "try again" (503); the checkout stays 'creating', with its external id, for the next click. */
function keptForLater(deps: PayDeps, checkout: Checkout, err: unknown): unknown {
  if (!(err instanceof UpstreamError)) return err;
  deps.logger.warn(
    { err: err.message, checkoutId: checkout.id, externalId: checkout.externalId },
    'xendit invoice creation failed; checkout kept until Xendit is asked again',
  );
  return new ServiceUnavailable(err.message, err.retryAfterSeconds ?? 30);
}

/**
 * An earlier attempt's invoice was paid (Xendit e-mails the payer each invoice it makes, so a
 * customer can pay one whose create answer we lost): recorded like a callback, and the customer
 * sees "payment received" instead of being charged again.
 */
async function refuseWhenPaidMeanwhile(deps: PayDeps, merchant: Merchant, invoice: XeroInvoice, checkout: Checkout, earlier: XenditInvoice[]): Promise<void> {
  const paid = earlier.find((x) => x.status === 'PAID' || x.status === 'SETTLED');
  if (!paid) return;
  const now = deps.clock();
  // Unfenced: the payment is real whoever holds the row; a holder then finds it no longer 'creating'.
  const job = jobRow('record-payment', { merchantId: merchant.id, xenditInvoiceId: paid.id }, now);
  await deps.stores.checkouts.markPaid(checkout, job, now, { xenditInvoiceId: paid.id, invoiceUrl: paid.invoiceUrl });
  deps.onJobEnqueued?.();
  throw new InvoiceAlreadyPaid(invoice.invoiceNumber, true);
}

/**
 * Xendit refuses the whole invoice for a payer_email it finds malformed (EMAIL_FORMAT_ERROR), and the
 * e-mail is optional (xendit-node CreateInvoiceRequest): the customer can pay without it. Asked
 * again with the same external id for the same claimed row, and only after a 400, so Xendit holds
 * no first invoice that this one could duplicate.
 */
async function createInvoice(deps: PayDeps, merchant: Merchant, checkout: Checkout, inv: NewXenditInvoice): Promise<XenditInvoice> {
  try {
    return await deps.xendit.createInvoice(merchant.xenditSecretKey, inv);
  } catch (err) {
    if (!(err instanceof UpstreamError && err.kind === 'rejected' && err.code === 'EMAIL_FORMAT_ERROR' && inv.payerEmail)) throw err;
    deps.logger.info({ checkoutId: checkout.id }, "xendit refused the Xero contact's e-mail; creating the checkout without it");
    return deps.xendit.createInvoice(merchant.xenditSecretKey, { ...inv, payerEmail: undefined, notifyPaidByEmail: false });
  }
}

/** What the merchant has to change, by Xendit's error_code (xendit-node invoice BadRequestError). */
function fixFor(code: string, currency: Currency): Message {
  const known = [
    'UNAVAILABLE_PAYMENT_METHOD_ERROR',
    'NO_COLLECTION_METHODS_ERROR',
    'UNSUPPORTED_CURRENCY',
    'MISMATCH_CURRENCY_ERROR',
    'MAXIMUM_TRANSFER_AMOUNT_ERROR',
  ];
  return message(known.includes(code) ? `alerts:checkoutFix_${code}` : 'alerts:checkoutFix_other', { currency });
}

function newXenditInvoice(deps: PayDeps, merchant: Merchant, invoice: XeroInvoice, checkout: Checkout, lang: PayLang): NewXenditInvoice {
  // The return page shows what we have stored for this checkout, never what the URL claims.
  const back = (status: string) => `${deps.publicUrl}${paths.payReturn}?${new URLSearchParams({ status, ref: checkout.id, lang })}`;
  return {
    externalId: checkout.externalId,
    currency: checkout.currency,
    amount: checkout.amount,
    description: `Invoice ${invoice.invoiceNumber} — ${merchant.name}`,
    payerEmail: invoice.contactEmail,
    items: itemsMatching(invoice, checkout),
    successRedirectUrl: back('paid'),
    failureRedirectUrl: back('failed'),
    invoiceDurationSeconds: checkoutSeconds(deps, merchant),
    // The merchant's choice; Xendit needs the customer's e-mail to send its receipt to.
    notifyPaidByEmail: merchant.xenditReceipts && Boolean(invoice.contactEmail),
    paymentMethods: channelsFor(merchant.paymentMethods, checkout.currency),
  };
}

/** How long a new checkout stays payable: the merchant's setting, else the configured default. */
function checkoutSeconds(deps: Pick<PayDeps, 'invoiceDurationSeconds'>, merchant: Merchant): number {
  return merchant.checkoutHours !== null ? merchant.checkoutHours * 3600 : deps.invoiceDurationSeconds;
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

/**
 * Ends an open checkout at Xendit before another replaces it. When Xendit will not expire it, its
 * state decides: already expired is fine; paid means the money is in and is recorded like a
 * callback (the customer sees "payment received"); still payable means no new invoice now (503).
 */
async function retire(deps: PayDeps, merchant: Merchant, invoice: XeroInvoice, c: Checkout, to: 'superseded' | 'expired'): Promise<void> {
  // In the account it was made in: the merchant may have switched between test and live since.
  const key = checkoutKey(merchant, c).key;
  try {
    await deps.xendit.expireInvoice(key, c.xenditInvoiceId!);
    await deps.stores.checkouts.transition(c.id, ['open'], to, deps.clock());
    return;
  } catch (err) {
    deps.logger.warn({ err: String(err), checkoutId: c.id }, 'Xendit did not expire the checkout being replaced');
  }
  const x = await upstream(() => deps.xendit.getInvoice(key, c.xenditInvoiceId!));
  if (x?.status === 'EXPIRED') {
    await deps.stores.checkouts.transition(c.id, ['open'], 'expired', deps.clock());
  } else if (x?.status === 'PAID' || x?.status === 'SETTLED') {
    const now = deps.clock();
    await deps.stores.checkouts.markPaid(c, jobRow('record-payment', { merchantId: c.merchantId, xenditInvoiceId: x.id }, now), now);
    deps.onJobEnqueued?.();
    throw new InvoiceAlreadyPaid(invoice.invoiceNumber, true);
  } else {
    throw new ServiceUnavailable(`Xendit invoice ${c.xenditInvoiceId} could not be expired before replacing it`);
  }
}

/**
 * A checkout of another amount still 'creating': its click may still be creating it (left to it,
 * as any concurrent click), or that click's create got no answer and Xendit may hold a payable
 * invoice under its external id. Once stale, it is taken over and ended as an open one is: what
 * Xendit holds is expired (paid → recorded, "payment received"; still payable → 503), then the row
 * is closed with that invoice, or deleted when Xendit made nothing.
 */
async function retireCreating(deps: PayDeps, merchant: Merchant, invoice: XeroInvoice, c: Checkout): Promise<void> {
  const now = deps.clock();
  const fence = await deps.stores.checkouts.takeOver(c.id, new Date(now.getTime() - (deps.creationWaitMs ?? CREATION_WAIT_MS)), now);
  // Not stale yet: Xendit may hold a payable invoice for that other amount, and nothing would end
  // it once a checkout of this amount is open (later clicks reuse that one): try again shortly.
  if (!fence) throw new ServiceUnavailable(`a checkout of another amount is still being created for ${invoice.invoiceNumber}`, 15);
  const key = checkoutKey(merchant, c).key; // the account it was made in, as retire
  const made = await upstream(() => deps.xendit.findInvoicesByExternalId(key, c.externalId));
  await refuseWhenPaidMeanwhile(deps, merchant, invoice, c, made);
  for (const x of made.filter((x) => x.status === 'PENDING')) {
    try {
      await deps.xendit.expireInvoice(key, x.id);
    } catch (err) {
      deps.logger.warn({ err: String(err), checkoutId: c.id, xenditInvoiceId: x.id }, 'Xendit did not expire the invoice of the checkout being replaced');
      const seen = await upstream(() => deps.xendit.getInvoice(key, x.id));
      if (seen) await refuseWhenPaidMeanwhile(deps, merchant, invoice, c, [seen]);
      if (seen?.status !== 'EXPIRED') throw new ServiceUnavailable(`Xendit invoice ${x.id} could not be expired before replacing it`);
    }
  }
  const shown = made.at(-1);
  await deps.stores.invoiceWatch.closeCreating(c.id, fence, shown ? { xenditInvoiceId: shown.id, invoiceUrl: shown.invoiceUrl } : null, null, deps.clock());
}

export function externalIdFor(invoiceNumber: string, checkoutId: string): string {
  const safe = invoiceNumber.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return `xero-${safe}-${checkoutId}`;
}
