import { randomUUID } from 'node:crypto';
import type { Job } from '../../store/jobs.js';
import type { Checkout } from '../../store/checkouts.js';
import type { CheckoutStatus } from '../../store/schema.js';
import { checkoutKey, mayRecordInXero, type Merchant } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import type { XenditInvoice } from '../../clients/xendit/types.js';
import { toDecimal } from '../../money.js';
import { NeedsReview, RetryLater } from '../runner.js';
import { InvoicePayload } from '../kinds.js';
import { needsReview, paymentReference, recordPaymentInXero } from './payment-in-xero.js';
import type { RecordPaymentDeps } from './payment-deps.js';
import { expireOwnLater, isTwin } from './twin-invoices.js';

/**
 * Xendit says an invoice was paid: record the payment in Xero exactly once. Amounts come from our
 * checkout and Xendit's own record of the invoice, never from the callback body.
 */
export function recordPaymentJob(deps: RecordPaymentDeps) {
  const crash = deps.crash ?? (() => undefined);
  return async (job: Job): Promise<void> => {
    crash('after-claim');
    const { merchantId, xenditInvoiceId, retry = 0 } = InvoicePayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);

    const { invoice: xInvoice, key } = await readInvoice(deps, merchant, xenditInvoiceId);
    crash('after-xendit-refetch');
    if (!xInvoice) throw new NeedsReview(await notFoundReason(deps, merchant, xenditInvoiceId));
    const checkout = await deps.stores.checkouts.forXenditInvoice(merchant.id, xInvoice.id, xInvoice.externalId);
    if (!checkout) throw new NeedsReview(`Xendit invoice ${xInvoice.id} was not created by this gateway`);

    if (xInvoice.status === 'EXPIRED') {
      // A twin's expiry (twin-invoices.ts) leaves the checkout's own invoice payable: not closed for it.
      if (!isTwin(checkout, xInvoice.id)) await deps.stores.checkouts.transition(checkout.id, ['open', 'superseded'], 'expired', deps.clock());
      return;
    }
    if (xInvoice.status === 'PENDING') throw new RetryLater(`Xendit invoice ${xInvoice.id} is not paid yet`);
    // A twin paid: the checkout's own invoice must not stay payable beside it (queued first, so a
    // crash before the twin is adopted below still leaves it queued), and the twin becomes the
    // checkout's own unless its own was paid too: the pay path judges the checkout by its own invoice's payment.
    if (isTwin(checkout, xInvoice.id)) {
      await expireOwnLater(deps, checkout, xInvoice.id);
      await deps.stores.checkouts.adoptPaidTwin(checkout, { xenditInvoiceId: xInvoice.id, invoiceUrl: xInvoice.invoiceUrl }, deps.clock());
    }

    const xenditPaymentId = xInvoice.paymentId ?? (await deps.stores.callbacks.paidPaymentId(merchant.id, xInvoice.id));
    let payment = await deps.stores.payments.getOrCreate(paymentFrom(merchant, checkout, xInvoice, xenditPaymentId, deps.clock()), deps.clock());
    // Its PAID callback stored since the read above, before the payment existed to be given its id.
    if (!payment.xenditPaymentId) payment = { ...payment, xenditPaymentId: await deps.stores.payments.fillPaymentId(payment, deps.clock()) };
    // Marked before the checkout reads as paid, so the customer's receipt never calls a test payment real.
    // Test or live by the key whose account holds the invoice, not the mode in use now.
    const testMode = payment.syncState === 'test_mode' || (payment.syncState !== 'recorded' && !mayRecordInXero({ ...merchant, xenditSecretKey: key }));
    if (testMode && payment.syncState !== 'test_mode') {
      await deps.stores.payments.markTestMode(payment.id, TEST_MODE_REASON, deps.clock());
      deps.logger.info({ merchantId, xenditInvoiceId: xInvoice.id }, 'test-mode payment kept out of Xero');
    }
    const from: CheckoutStatus[] = ['creating', 'open', 'expired', 'superseded'];
    if (checkout.xenditInvoiceId) await deps.stores.checkouts.transition(checkout.id, from, 'paid', deps.clock());
    // Kept 'creating' after its create's answer was lost, found by its external id: it learns which invoice was paid.
    else await deps.stores.checkouts.markPaidWith(checkout.id, { xenditInvoiceId: xInvoice.id, invoiceUrl: xInvoice.invoiceUrl }, deps.clock());
    if (payment.syncState === 'recorded' || testMode) return;

    const mismatch = amountMismatch(checkout, xInvoice);
    if (mismatch) return needsReview(deps, payment, mismatch);

    await recordPaymentInXero(deps, merchant, checkout, payment, retry);
  };
}

/**
 * The invoice as Xendit holds it: with the key of its checkout's mode (checkoutKey; the key in use
 * when no checkout has its id yet), else with the merchant's other stored key. A checkout made
 * before the merchant switched between test and live is in the other mode's account (paid before
 * it could be expired there: jobs/sync/retire-xendit-key.ts). `key`: the one that read it.
 */
async function readInvoice(deps: RecordPaymentDeps, merchant: Merchant, id: string): Promise<{ invoice: XenditInvoice | null; key: string }> {
  const made = await deps.stores.checkouts.forXenditInvoice(merchant.id, id, '');
  const key = checkoutKey(merchant, made).key || merchant.xenditSecretKey;
  const invoice = await deps.xendit.getInvoice(key, id);
  const other = [merchant.xenditKeys.test, merchant.xenditKeys.live, merchant.xenditSecretKey].find((k) => k && k !== key);
  if (invoice || !other) return { invoice, key };
  try {
    return { invoice: await deps.xendit.getInvoice(other, id), key: other };
  } catch (err) {
    // The other key refused (revoked): it cannot say, and the review must not wait on it.
    if (err instanceof UpstreamError && err.kind === 'unauthorized') return { invoice: null, key };
    throw err;
  }
}

/**
 * Neither stored key sees the invoice. When one of our checkouts holds it and was made with a key the
 * merchant has since replaced, the payment is in that key's account, which the gateway can no longer
 * read: a person records it, told which key (its last 4 characters, as the admin and audit log show).
 */
async function notFoundReason(deps: RecordPaymentDeps, merchant: Merchant, id: string): Promise<string> {
  const checkout = await deps.stores.checkouts.forXenditInvoice(merchant.id, id, '');
  const key = checkoutKey(merchant, checkout);
  if (!checkout?.xenditMode || !checkout.xenditKeyHint || !key.replaced) return `Xendit has no invoice ${id}`;
  return (
    `Xendit has no invoice ${id} under this merchant's keys: its checkout (invoice ${checkout.invoiceNumber}) was made with the ${key.mode} key ${key.hint}, ` +
    `since replaced, so the payment is in that key's Xendit account; check it there and record it in Xero by hand`
  );
}

export const TEST_MODE_REASON =
  'Paid with a Xendit test key: not recorded in Xero, because this Xero organisation is not marked as a test or demo company (merchant settings).';

/**
 * `xenditPaymentId`: what ties a refund or dispute naming no invoice to this payment; the invoice's
 * own payment_id when Xendit's read gives one, else its PAID callback's (callbacks.paidPaymentId).
 */
function paymentFrom(merchant: Merchant, checkout: Checkout, x: XenditInvoice, xenditPaymentId: string | null, now: Date) {
  return {
    id: randomUUID(),
    merchantId: merchant.id,
    checkoutId: checkout.id,
    xenditInvoiceId: x.id,
    xeroInvoiceId: checkout.xeroInvoiceId,
    currency: checkout.currency,
    amount: checkout.amount,
    fee: x.feesPaidAmount ?? null,
    feeTax: x.feeTax ?? null,
    feeRaw: x.feesPaidRaw ?? null,
    paidAt: x.paidAt ? new Date(x.paidAt) : now,
    reference: paymentReference(x.id),
    paymentMethod: x.paymentMethod ?? null,
    paymentChannel: x.paymentChannel ?? null,
    xenditPaymentId,
  };
}

function amountMismatch(checkout: Checkout, x: XenditInvoice): string | null {
  const paid = x.paidAmount ?? x.amount;
  if (x.currency !== checkout.currency || paid !== checkout.amount) {
    return `Xendit reports ${toDecimal(paid, x.currency)} ${x.currency} paid, the checkout was for ${toDecimal(checkout.amount, checkout.currency)} ${checkout.currency}`;
  }
  return null;
}

/**
 * The runner gave up on (or refused) a job recording a payment (the registry hooks it to those kinds): a payment still 'pending' would wait
 * forever, hidden from the needs-review list and its Retry button, so it is flagged with the reason.
 */
export function flagPaymentForReview(deps: Pick<RecordPaymentDeps, 'stores' | 'clock'>) {
  return async (job: Job, reason: string): Promise<void> => {
    const parsed = InvoicePayload.safeParse(job.payload);
    if (!parsed.success) return;
    const payment = await deps.stores.payments.byXenditInvoice(parsed.data.merchantId, parsed.data.xenditInvoiceId);
    if (payment?.syncState === 'pending') await deps.stores.payments.markNeedsReview(payment.id, reason, deps.clock());
  };
}
