import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { Job } from '../store/jobs.js';
import type { Checkout } from '../store/checkouts.js';
import type { Payment } from '../store/payments.js';
import { clearingAccountFor, type Merchant } from '../store/merchants.js';
import { UpstreamError, type XenditGateway, type XenditInvoice, type XeroGateway } from '../clients/types.js';
import { toDecimal, type Currency } from '../money.js';
import { NeedsReview, RetryLater } from './runner.js';

export interface RecordPaymentDeps {
  stores: Stores;
  xero: XeroGateway;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
}

/** retry: how many times someone pressed Retry after a refusal (see createOnce's Idempotency-Key). */
const Payload = z.object({ merchantId: z.string(), xenditInvoiceId: z.string(), retry: z.number().int().min(0).optional() });

/** Reference on the Xero payment: how a retry finds what an earlier attempt already created. */
export function paymentReference(xenditInvoiceId: string): string {
  return `Xendit ${xenditInvoiceId}`;
}

/**
 * Xendit says an invoice was paid: record the payment in Xero exactly once. Amounts come from our
 * checkout and Xendit's own record of the invoice, never from the callback body.
 */
export function recordPaymentJob(deps: RecordPaymentDeps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, xenditInvoiceId, retry = 0 } = Payload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);

    const xInvoice = await deps.xendit.getInvoice(merchant.xenditSecretKey, xenditInvoiceId);
    if (!xInvoice) throw new NeedsReview(`Xendit has no invoice ${xenditInvoiceId}`);
    const checkout = await deps.stores.checkouts.forXenditInvoice(merchant.id, xInvoice.id, xInvoice.externalId);
    if (!checkout) throw new NeedsReview(`Xendit invoice ${xInvoice.id} was not created by this gateway`);

    if (xInvoice.status === 'EXPIRED') {
      await deps.stores.checkouts.transition(checkout.id, ['open', 'superseded'], 'expired', deps.clock());
      return;
    }
    if (xInvoice.status === 'PENDING') throw new RetryLater(`Xendit invoice ${xInvoice.id} is not paid yet`);

    const payment = await deps.stores.payments.getOrCreate(paymentFrom(merchant, checkout, xInvoice, deps.clock()), deps.clock());
    await deps.stores.checkouts.transition(checkout.id, ['creating', 'open', 'expired', 'superseded'], 'paid', deps.clock());
    if (payment.syncState === 'recorded') return;

    const mismatch = amountMismatch(checkout, xInvoice);
    if (mismatch) return needsReview(deps, payment, mismatch);

    try {
      const xeroPaymentId = await createOnce(deps, merchant, checkout, payment, retry);
      await deps.stores.payments.markRecorded(payment.id, xeroPaymentId, deps.clock());
      deps.logger.info({ paymentId: payment.id, xeroPaymentId }, 'payment recorded in Xero');
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === 'rejected') return needsReview(deps, payment, `Xero refused the payment: ${err.message}`);
      await deps.stores.payments.noteError(payment.id, err instanceof Error ? err.message : String(err), deps.clock());
      throw err;
    }
  };
}

/**
 * Look before writing: Xero's Idempotency-Key lasts minutes, our Reference lasts forever. Xero
 * replays a stored answer, refusals included, for a repeated key, so a manual retry after the
 * merchant fixed the cause needs a key of its own.
 */
async function createOnce(deps: RecordPaymentDeps, merchant: Merchant, checkout: Checkout, payment: Payment, retry: number): Promise<string> {
  const existing = await deps.xero.findPaymentsByReference(merchant.xero, checkout.xeroInvoiceId, payment.reference);
  if (existing.length > 0) return existing[0].paymentId;
  const created = await deps.xero.createPayment(
    merchant.xero,
    {
      invoiceId: checkout.xeroInvoiceId,
      accountId: clearingAccountFor(merchant, payment.currency),
      date: localDate(payment.paidAt, payment.currency),
      amount: toDecimal(payment.amount, payment.currency),
      reference: payment.reference,
    },
    retry ? `xendit-payment-${payment.id}-retry-${retry}` : `xendit-payment-${payment.id}`,
  );
  return created.paymentId;
}

function paymentFrom(merchant: Merchant, checkout: Checkout, x: XenditInvoice, now: Date) {
  return {
    id: randomUUID(),
    merchantId: merchant.id,
    checkoutId: checkout.id,
    xenditInvoiceId: x.id,
    xeroInvoiceId: checkout.xeroInvoiceId,
    currency: checkout.currency,
    amount: checkout.amount,
    fee: x.feesPaidAmount ?? null,
    paidAt: x.paidAt ? new Date(x.paidAt) : now,
    reference: paymentReference(x.id),
  };
}

function amountMismatch(checkout: Checkout, x: XenditInvoice): string | null {
  const paid = x.paidAmount ?? x.amount;
  if (x.currency !== checkout.currency || paid !== checkout.amount) {
    return `Xendit reports ${toDecimal(paid, x.currency)} ${x.currency} paid, the checkout was for ${toDecimal(checkout.amount, checkout.currency)} ${checkout.currency}`;
  }
  return null;
}

async function needsReview(deps: RecordPaymentDeps, payment: Payment, reason: string): Promise<never> {
  await deps.stores.payments.markNeedsReview(payment.id, reason, deps.clock());
  throw new NeedsReview(reason);
}

/**
 * The payment date as the merchant sees it. Xendit's paid_at is UTC; a payment at 23:00 UTC is
 * the next day in Jakarta, so the date is taken in the currency's home time zone.
 */
const HOME_ZONE: Record<Currency, string> = {
  IDR: 'Asia/Jakarta',
  PHP: 'Asia/Manila',
  THB: 'Asia/Bangkok',
  VND: 'Asia/Ho_Chi_Minh',
  MYR: 'Asia/Kuala_Lumpur',
  USD: 'UTC',
};

export function localDate(at: Date, currency: Currency): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: HOME_ZONE[currency], year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
