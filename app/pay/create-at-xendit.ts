import { channelsFor } from '../clients/xendit/channels.js';
import { CREATION_WAIT_MS, type Checkout } from '../store/checkouts.js';
import type { Merchant } from '../store/merchants.js';
import { UpstreamError } from '../clients/types.js';
import type { XenditInvoice, NewXenditInvoice } from '../clients/xendit/types.js';
import type { XeroInvoice } from '../clients/xero/types.js';
import { AmountError, toMinor, type Currency } from '../money.js';
import { ServiceUnavailable } from '../errors.js';
import { CheckoutRefused, InvoiceAlreadyPaid } from './errors.js';
import { paths } from '../paths.js';
import { message, type Message, type PayLang } from '../i18n/index.js';
import { raiseAlert } from '../alerts/raise.js';
import { enqueue, jobRow } from '../jobs/enqueue.js';
import type { PayDeps } from './deps.js';
import { expireAndRead } from '../clients/xendit/expire-and-read.js';

/**
 * Xendit has no idempotency header (xendit-node InvoiceApi createInvoice sends none; docs.xendit.co
 * Create Invoice): our external id lets a click that takes over a stale checkout adopt what an
 * earlier attempt created (its click crashed, or its answer was lost). A checkout we just claimed
 * has a new external id that Xendit cannot know yet, so a first click skips that lookup (one Xendit
 * call, not two). `fence` is our claim on the row: if another click took it over meanwhile, what we
 * made at Xendit is expired again and null tells the caller to wait for the new owner.
 */
export async function createAtXendit(
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
    // The refusal says only that this create made nothing. A row taken over may carry an earlier
    // create Xendit still processes late (and e-mails to the payer): closed, not deleted, so its
    // payment's callback still finds this checkout and reconcile asks about it. Else deleted: the
    // next click starts afresh with whatever the merchant has fixed meanwhile.
    if (opts.mayExistAtXendit) {
      const shown = earlier.at(-1);
      const made = shown ? { xenditInvoiceId: shown.id, invoiceUrl: shown.invoiceUrl } : null;
      await deps.stores.invoiceWatch.closeCreating(checkout.id, fence, made, null, deps.clock());
    } else await deps.stores.checkouts.abandon(checkout.id, fence);
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
  await deps.beforeOpen?.();
  // Taken over: the create of the click before may still be made late, beside this one.
  const opened = await deps.stores.checkouts.open(checkout.id, fence, created.id, created.invoiceUrl, deps.clock(), expiresAt, opts.mayExistAtXendit);
  // Opened: any other payable invoice under its external id (two attempts both got through) is a
  // duplicate. Lost to a concurrent click: the one we made may be (madeAfterLosingRow); one we
  // adopted is the new owner's to adopt.
  if (!opened) deps.logger.warn({ checkoutId: checkout.id, xenditInvoiceId: created.id }, 'lost the checkout to a concurrent click');
  const duplicates = opened
    ? earlier.filter((x) => x.status === 'PENDING' && x.id !== created.id)
    : adopted
      ? []
      : await madeAfterLosingRow(deps, checkout, created);
  let paidTwin: XenditInvoice | undefined;
  for (const x of duplicates) {
    deps.logger.warn({ checkoutId: checkout.id, xenditInvoiceId: x.id }, 'expiring a duplicate Xendit invoice');
    const seen = await expireDuplicate(deps, merchant.xenditSecretKey, x.id);
    if (seen === 'expired') continue;
    if (!seen || (seen.status !== 'PAID' && seen.status !== 'SETTLED')) {
      await expireDuplicateLater(deps, checkout, x.id, seen);
      continue;
    }
    // Paid a moment before: the money is in. Its PAID callback may never come, and neither
    // list-paid (its external id is a checkout's) nor reconcile (it reads the checkout's own
    // invoice) would find it: recorded here, by the job that callback queues (the same dedupe key).
    await enqueue(deps.stores.jobs, 'record-payment', { merchantId: merchant.id, xenditInvoiceId: seen.id }, deps.clock());
    deps.onJobEnqueued?.();
    deps.logger.warn({ checkoutId: checkout.id, xenditInvoiceId: x.id }, 'a duplicate Xendit invoice was paid before it could be expired');
    paidTwin ??= seen;
  }
  if (opened && paidTwin) await alreadyPaidByTwin(deps, merchant, invoice, opened, paidTwin);
  return opened;
}

/**
 * A twin of the invoice just opened was paid: the payer is told so rather than sent on to pay the
 * same amount again. The opened one is expired at once; confirmed, the checkout is marked paid with
 * the twin as its own invoice (record-payment books it, and the next click finds it so). Not confirmed, the row is left for
 * record-payment, which queues the expiry of the checkout's own invoice (twin-invoices.ts).
 */
async function alreadyPaidByTwin(deps: PayDeps, merchant: Merchant, invoice: XeroInvoice, opened: Checkout, twin: XenditInvoice): Promise<never> {
  // With the key that made it, as the duplicates.
  const own = await expireDuplicate(deps, merchant.xenditSecretKey, opened.xenditInvoiceId!);
  if (own === 'expired') {
    const now = deps.clock();
    const job = jobRow('record-payment', { merchantId: opened.merchantId, xenditInvoiceId: twin.id }, now);
    await deps.stores.checkouts.markPaidByTwin(opened, { xenditInvoiceId: twin.id, invoiceUrl: twin.invoiceUrl }, job, now);
    deps.onJobEnqueued?.();
  }
  throw new InvoiceAlreadyPaid(invoice.invoiceNumber, true);
}

/**
 * The duplicate as Xendit holds it once asked to expire it (expireAndRead): EXPIRED, or as read
 * back when Xendit did not expire it. undefined when that is not known (logged): not a reason to
 * fail the click; the duplicate is queued to be expired (expireDuplicateLater).
 */
async function expireDuplicate(deps: PayDeps, key: string, id: string): Promise<'expired' | XenditInvoice | undefined> {
  try {
    const seen = await expireAndRead(deps, key, id);
    if (seen !== 'unknown') return seen;
    deps.logger.error({ xenditInvoiceId: id }, 'could not expire a duplicate Xendit invoice: the key cannot reach it');
  } catch (err) {
    deps.logger.error({ err: String(err), xenditInvoiceId: id }, 'could not expire a duplicate Xendit invoice, nor read it');
  }
  return undefined;
}

/**
 * The invoice a click made after another click took its row over, as the row reads now. Opened with
 * it: the customer is being sent to it. Still 'creating': the click holding the row may have found
 * it by its external id and be about to open the checkout with it (expired now, the customer would
 * be sent to a dead page), so its expiry is queued for when that claim can no longer open the row;
 * the job reads the row again, never expires the checkout's own invoice, and takes a row still
 * 'creating' over first so that no click opens it with the invoice meanwhile (twin-invoices.ts).
 * Otherwise (opened with another invoice, closed, paid): a duplicate, expired now.
 */
async function madeAfterLosingRow(deps: PayDeps, checkout: Checkout, created: XenditInvoice): Promise<XenditInvoice[]> {
  const row = await deps.stores.checkouts.byId(checkout.id);
  if (row?.xenditInvoiceId === created.id) return [];
  if (row?.status !== 'creating') return [created];
  const runAt = new Date(row.updatedAt.getTime() + 2 * (deps.creationWaitMs ?? CREATION_WAIT_MS));
  const payload = { merchantId: checkout.merchantId, checkoutId: checkout.id, xenditInvoiceId: created.id };
  await enqueue(deps.stores.jobs, 'expire-duplicate', payload, deps.clock(), { runAt });
  deps.onJobEnqueued?.();
  deps.logger.warn({ ...payload, runAt }, 'the invoice made after losing the row is queued for expiry once the click holding the row is done');
  return [];
}

/**
 * A duplicate Xendit did not expire (no answer, a 5xx, or still payable as read back) stays payable
 * beside the invoice the customer is sent to, and nothing else would end it (reconcile reads the
 * checkout's own; the click that lost its claim leaves no trace of the one it made): a job expires
 * it until Xendit says so, paid meanwhile recorded (jobs/sync/twin-invoices.ts).
 */
async function expireDuplicateLater(deps: PayDeps, checkout: Checkout, id: string, seen: XenditInvoice | undefined): Promise<void> {
  deps.logger.error({ checkoutId: checkout.id, xenditInvoiceId: id, xenditStatus: seen?.status }, 'could not expire a duplicate Xendit invoice: queued');
  await enqueue(deps.stores.jobs, 'expire-duplicate', { merchantId: checkout.merchantId, checkoutId: checkout.id, xenditInvoiceId: id }, deps.clock());
  deps.onJobEnqueued?.();
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
 * sees "payment received" instead of being charged again. Every other invoice still payable under
 * the external id (two creates got through) is in the payer's mailbox too: its expire-duplicate job
 * is queued in the same transaction, before the answer, so it is not left payable until reconcile
 * asks (minutes later: markPaid counts as reconciled). The job re-reads the row and never expires
 * the checkout's own invoice; its dedupe key makes a repeat click queue nothing more.
 */
export async function refuseWhenPaidMeanwhile(
  deps: PayDeps,
  merchant: Merchant,
  invoice: XeroInvoice,
  checkout: Checkout,
  earlier: XenditInvoice[],
): Promise<void> {
  const paid = earlier.find((x) => x.status === 'PAID' || x.status === 'SETTLED');
  if (!paid) return;
  const now = deps.clock();
  // Unfenced: the payment is real whoever holds the row; a holder then finds it no longer 'creating'.
  const job = jobRow('record-payment', { merchantId: merchant.id, xenditInvoiceId: paid.id }, now);
  const twins = earlier.filter((x) => x.status === 'PENDING' && x.id !== paid.id);
  const expiries = twins.map((x) => jobRow('expire-duplicate', { merchantId: checkout.merchantId, checkoutId: checkout.id, xenditInvoiceId: x.id }, now));
  if (twins.length) deps.logger.warn({ checkoutId: checkout.id, paid: paid.id, twins: twins.map((x) => x.id) }, 'paid meanwhile: expiring its payable twins');
  await deps.stores.checkouts.markPaid(checkout, job, now, { xenditInvoiceId: paid.id, invoiceUrl: paid.invoiceUrl }, expiries);
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
export function checkoutSeconds(deps: Pick<PayDeps, 'invoiceDurationSeconds'>, merchant: Merchant): number {
  return merchant.checkoutHours !== null ? merchant.checkoutHours * 3600 : deps.invoiceDurationSeconds;
}

/**
 * Line items are shown on Xendit's page only when they add up to exactly the amount charged
 * (not after part payments, discounts or fractional quantities): a list that disagrees with the
 * total confuses customers more than no list. Each must also make its own line's amount: Xero
 * answers UnitAmount rounded to 2 decimals unless asked with unitdp=4 (developer.xero.com/
 * documentation/api-guides/rounding-in-xero), and rounded prices whose errors cancel in the sum
 * would still misstate the lines.
 */
function itemsMatching(invoice: XeroInvoice, checkout: Checkout): NewXenditInvoice['items'] {
  try {
    const items = invoice.lineItems.map((li) => {
      const quantity = Number(li.quantity);
      if (!Number.isInteger(quantity) || quantity <= 0) throw new AmountError('fractional quantity');
      const price = toMinor(li.unitAmount, checkout.currency);
      if (quantity * price !== toMinor(li.lineAmount, checkout.currency)) throw new AmountError('unit price does not make the line amount');
      return { name: li.description.slice(0, 255) || 'Item', quantity, price };
    });
    const sum = items.reduce((s, i) => s + i.quantity * i.price, 0);
    return items.length > 0 && sum === checkout.amount ? items : undefined;
  } catch {
    return undefined;
  }
}
