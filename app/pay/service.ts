import { randomUUID } from 'node:crypto';
import { checkoutKey, modeOfXenditKey } from '../store/merchant-model.js';
import { CREATION_WAIT_MS, madeWithKey, type Checkout } from '../store/checkouts.js';
import { externalIdFor } from '../store/checkout-model.js';

export { externalIdFor };
import type { Merchant } from '../store/merchants.js';
import type { XeroInvoice } from '../clients/xero/types.js';
import type { XenditInvoice } from '../clients/xendit/types.js';
import { AmountError, FractionalAmountError, isSupportedCurrency, toMinor, type Currency } from '../money.js';
import { ServiceUnavailable } from '../errors.js';
import { AmountNotWhole, InvoiceAlreadyPaid, InvoiceNotPayable, PaymentLinkNotFound, PaymentLinkOutdated, UnsupportedCurrency } from './errors.js';
import { askedLink, linkMatches, type LinkHint } from './link-hint.js';
import { allowedRedirect } from './checkout-host.js';
import { refuseWithoutClearingAccount } from './clearing.js';
import { upstream } from './upstream.js';
import { expireAndRead } from '../clients/xendit/expire-and-read.js';
import { minimumPart, partProblem, readPart, type PartProblem } from './part.js';
import { message, type PayLang } from '../i18n/index.js';
import { raiseAlert } from '../alerts/raise.js';
import { jobRow } from '../jobs/enqueue.js';
import type { PayDeps } from './deps.js';
import { checkoutSeconds, createAtXendit, refuseWhenPaidMeanwhile } from './create-at-xendit.js';
import { EXPIRY_MARGIN_MS, type ClickCounters } from './admission.js';
import { heldCheckout, inProgress, type InProgress, type PartHold } from './part-hold.js';

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

export type PayOutcome = { kind: 'redirect'; redirectUrl: string; checkout: Checkout } | AskAmount | InProgress;

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
  // A plain click may be sent to the checkout a click read from Xero moments ago (pay/admission.ts);
  // a part payment's amount and a "try again" are decided from a fresh read.
  const plain = req.part === undefined && req.retryOf === undefined;
  const admitted = await deps.admit(req.shortCode, readings, link, req.counters, guessed, plain);
  const { merchant, xeroTicket, checkouts: early, rememberedMiss, knownLink, reuse } = admitted;
  if (!merchant) throw new PaymentLinkNotFound(`no active merchant with ShortCode ${req.shortCode}`);
  // Its currency still has a clearing account (else read fresh: Xero's answer says what to show).
  if (reuse && (merchant.clearingAccounts[reuse.currency] || merchant.clearingCurrency === reuse.currency))
    return { kind: 'redirect', redirectUrl: allowedRedirect(reuse, merchant, deps), checkout: reuse };
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

  // What Xero answers is true at least from the moment it was asked.
  const readAt = deps.clock();
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
  let hold: PartHold | undefined;
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
    hold = { holdMs: deps.partHoldMs, due, ...(req.retryOf ? { retryOf: req.retryOf } : {}) };
  }

  // The checkout this read sends the click to, for the amount Xero says is due: its repeat clicks
  // may go there for a moment without asking again (admission.ts). Not a part payment's: its
  // amount is the customer's.
  const noteRead = async (c: Checkout) => {
    if (!hold && deps.admit.reusesReads) await deps.stores.checkouts.noteXeroRead(c.id, amount, readAt);
  };
  // The common repeat click: the open checkout for this amount, nothing to supersede. Decided from
  // the rows just read, saving two queries on the path every customer waits on.
  const reusable = reusableCheckout(existing, amount, deps.clock());
  if (reusable) {
    await noteRead(reusable);
    return { kind: 'redirect', redirectUrl: allowedRedirect(reusable, merchant, deps), checkout: reusable };
  }

  // Another amount chosen while a part payment is in progress: that payment is kept, and the click
  // is told so, with nothing ended or made.
  const held = hold && heldCheckout(existing, amount, hold, deps.clock());
  if (hold && held) return inProgress(deps, merchant, held, hold);

  // A new Xendit invoice is made only once every other one for this Xero invoice is dead: two
  // payable invoices for one bill is how customers pay twice.
  for (const other of existing.filter((c) => c.status === 'open' && c.amount !== amount)) await retire(deps, merchant, invoice, other, 'superseded');
  for (const other of existing.filter((c) => c.status === 'creating' && c.amount !== amount)) await retireCreating(deps, merchant, invoice, other);
  // None live for this amount when read: claim at once (a claim that loses to a concurrent click, of
  // this amount or another, reads again).
  const noneLive = !existing.some((c) => (c.status === 'open' || c.status === 'creating') && c.amount === amount);
  const checkout = await liveCheckout(deps, merchant, invoice, currency, amount, req.lang, noneLive, hold);
  if ('held' in checkout) return inProgress(deps, merchant, checkout.held, checkout.hold);
  await noteRead(checkout);
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
  hold: PartHold | undefined,
): Promise<Checkout | { held: Checkout; hold: PartHold }> {
  const sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const deadline = deps.clock().getTime() + (deps.creationWaitMs ?? CREATION_WAIT_MS);
  for (let first = true; deps.clock().getTime() <= deadline; first = false) {
    const now = deps.clock();
    const live = first && noneLive ? [] : await deps.stores.checkouts.liveOfInvoice(merchant.id, invoice.invoiceId);
    // A part payment opened by a click that claimed after ours read: kept, as startPayment keeps one.
    const held = hold && heldCheckout(live, amount, hold, now);
    if (hold && held) return { held, hold };
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
 * Ends an open checkout at Xendit before another replaces it. The status Xendit answers with (or,
 * when it refuses, the one it holds) decides, since what it answers for an invoice paid a moment
 * before is not documented: expired is fine; paid means the money is in and is recorded like a
 * callback (the customer sees "payment received"); still payable means no new invoice now (503).
 */
async function retire(deps: PayDeps, merchant: Merchant, invoice: XeroInvoice, c: Checkout, to: 'superseded' | 'expired'): Promise<void> {
  // In the account it was made in: the merchant may have switched between test and live since.
  const key = checkoutKey(merchant, c).key;
  const seen = await upstream(() => expireAndRead(deps, key, c.xenditInvoiceId!));
  if (seen === 'expired') return void (await deps.stores.checkouts.transition(c.id, ['open'], to, deps.clock()));
  if (seen !== 'unknown' && (seen.status === 'PAID' || seen.status === 'SETTLED')) {
    const now = deps.clock();
    await deps.stores.checkouts.markPaid(c, jobRow('record-payment', { merchantId: c.merchantId, xenditInvoiceId: seen.id }, now), now);
    deps.onJobEnqueued?.();
    throw new InvoiceAlreadyPaid(invoice.invoiceNumber, true);
  }
  throw new ServiceUnavailable(`Xendit invoice ${c.xenditInvoiceId} could not be expired before replacing it`);
}

/**
 * A checkout of another amount still 'creating': its click may still be creating it (left to it,
 * as any concurrent click), or that click's create got no answer and Xendit may hold a payable
 * invoice under its external id. Once stale, it is taken over and ended as an open one is: what
 * Xendit holds is expired (paid → recorded, "payment received"; still payable → 503), then the row
 * is closed with that invoice, or without one when Xendit made nothing yet (kept: a create Xendit
 * processes late still finds it, and reconcile asks about it until Xendit can no longer make it
 * payable).
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
  // As each is read back: one paid meanwhile has the rest still payable queued for expiry, not those already expired.
  const current = new Map(made.map((x) => [x.id, x]));
  for (const x of made.filter((x) => x.status === 'PENDING')) {
    // As retire: the status decides, not whether Xendit refused.
    let seen: XenditInvoice | null;
    try {
      seen = await deps.xendit.expireInvoice(key, x.id);
    } catch (err) {
      deps.logger.warn({ err: String(err), checkoutId: c.id, xenditInvoiceId: x.id }, 'Xendit did not expire the invoice of the checkout being replaced');
      seen = await upstream(() => deps.xendit.getInvoice(key, x.id));
    }
    if (seen) {
      current.set(seen.id, seen);
      await refuseWhenPaidMeanwhile(deps, merchant, invoice, c, [...current.values()]);
    }
    if (seen?.status !== 'EXPIRED') throw new ServiceUnavailable(`Xendit invoice ${x.id} could not be expired before replacing it`);
  }
  const shown = made.at(-1);
  await deps.stores.invoiceWatch.closeCreating(c.id, fence, shown ? { xenditInvoiceId: shown.id, invoiceUrl: shown.invoiceUrl } : null, null, deps.clock());
}
