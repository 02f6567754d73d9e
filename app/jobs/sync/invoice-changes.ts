/**
 * A customer must not be able to pay a checkout whose Xero invoice changed under it: voided,
 * deleted, back to draft, paid by other means, lowered, or now in another currency. Such a
 * checkout is expired at Xendit and closed here with why. Found by Xero's webhooks (check-invoice,
 * one per event) and, for merchants without them, by a scheduled comparison (check-open-checkouts)
 * costing at most CHECK_CALLS_PER_RUN Xero calls per merchant and run.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import type { Checkout } from '../../store/checkouts.js';
import type { Merchant } from '../../store/merchants.js';
import { awaitingXero } from '../../store/merchant-model.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { INVOICE_IDS_PER_CALL, type XeroGateway, type XeroInvoice } from '../../clients/xero/types.js';
import { AmountError, toMinor } from '../../money.js';
import { encodeMessage, message } from '../../i18n/index.js';
import { CheckInvoicePayload } from '../kinds.js';
import { enqueue } from '../enqueue.js';
import { RetryLater } from '../runner.js';
import type { CrashHook } from './crash-points.js';

type Deps = { stores: Stores; xero: XeroGateway; xendit: XenditGateway; clock: Clock; logger: Logger; crash?: CrashHook };

/**
 * Xero calls per merchant in one scheduled run, each reading INVOICE_IDS_PER_CALL invoices: 250
 * open checkouts a run. At the default 30 minutes that is at most 240 of the organisation's 5 000
 * calls a day (under 5%), and as 'read' calls they stop before the share kept for payment writes.
 */
export const CHECK_CALLS_PER_RUN = 5;

export type CloseReason = 'voided' | 'deleted' | 'notOpen' | 'paidElsewhere' | 'amountLowered' | 'currencyChanged' | 'notFound';

/** Why this checkout can no longer be paid as it stands, or null while it still matches its invoice. */
export function whyClose(invoice: XeroInvoice | null, checkout: Pick<Checkout, 'currency' | 'amount'>): CloseReason | null {
  if (!invoice) return 'notFound';
  if (invoice.status === 'VOIDED') return 'voided';
  if (invoice.status === 'DELETED') return 'deleted';
  if (invoice.status === 'PAID') return 'paidElsewhere';
  if (invoice.status !== 'AUTHORISED') return 'notOpen';
  if (invoice.currencyCode.toUpperCase() !== checkout.currency) return 'currencyChanged';
  let due: number;
  try {
    due = toMinor(invoice.amountDue, checkout.currency);
  } catch (err) {
    if (err instanceof AmountError) return 'currencyChanged';
    throw err;
  }
  if (due <= 0) return 'paidElsewhere';
  // A higher amount due leaves the checkout payable: the customer pays part, and the next click offers the rest.
  return due < checkout.amount ? 'amountLowered' : null;
}

export function checkInvoiceJob(deps: Deps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, xeroInvoiceId } = CheckInvoicePayload.parse(job.payload);
    // Paid, expired or replaced meanwhile: nothing left to close, and no Xero call spent.
    const live = (await deps.stores.checkouts.forInvoice(merchantId, xeroInvoiceId)).filter((c) => c.status === 'open' || c.status === 'creating');
    if (live.length === 0) return;
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant || awaitingXero(merchant)) return;
    const invoice = await deps.xero.getInvoice(merchant.xero, xeroInvoiceId);
    await deps.stores.invoiceWatch.dropClosing(live.filter((c) => !whyClose(invoice, c)).map((c) => c.id));
    for (const checkout of live) {
      const why = whyClose(invoice, checkout);
      if (why) await closeAtXendit(deps, merchant, checkout, why);
    }
    await deps.stores.invoiceWatch.noteChecked(
      live.map((c) => c.id),
      deps.clock(),
    );
  };
}

/**
 * Notes why, expires the Xendit invoice, then closes the checkout: only once Xendit confirmed it
 * cannot be paid any more. Xendit refusing to expire (already expired, or paid a moment ago) is
 * settled by asking it.
 */
async function closeAtXendit(deps: Deps, merchant: Merchant, checkout: Checkout, why: CloseReason): Promise<void> {
  if (!checkout.xenditInvoiceId) throw new RetryLater(`checkout ${checkout.id} is still being created at Xendit`, 30);
  const reason = encodeMessage(message(`admin:closedReason_${why}`));
  await deps.stores.invoiceWatch.noteClosing(checkout.id, reason);
  try {
    await deps.xendit.expireInvoice(merchant.xenditSecretKey, checkout.xenditInvoiceId);
  } catch (err) {
    const x = await deps.xendit.getInvoice(merchant.xenditSecretKey, checkout.xenditInvoiceId);
    if (x?.status === 'PAID' || x?.status === 'SETTLED') {
      // The customer paid first: recorded like any payment (on a changed invoice it goes to review).
      await enqueue(deps.stores.jobs, 'record-payment', { merchantId: merchant.id, xenditInvoiceId: x.id }, deps.clock());
      deps.logger.warn({ merchantId: merchant.id, checkoutId: checkout.id, why }, 'Xero invoice changed, but its checkout was paid already');
      return;
    }
    if (x?.status !== 'EXPIRED') throw err;
  }
  deps.crash?.('checkout-expired-at-xendit');
  await deps.stores.invoiceWatch.close(checkout.id, reason, deps.clock());
  deps.logger.info({ merchantId: merchant.id, checkoutId: checkout.id, why }, 'checkout expired at Xendit: its Xero invoice changed');
}

/**
 * For merchants whose changes no webhook reports: each run reads, per merchant, the invoices of the
 * open checkouts compared least recently (never first), INVOICE_IDS_PER_CALL invoices a call and at
 * most CHECK_CALLS_PER_RUN calls, and queues a check-invoice job (which reads that invoice again
 * before closing anything) for each that changed.
 */
export function checkOpenCheckoutsJob(deps: Deps) {
  return async (): Promise<void> => {
    for (const merchantId of await deps.stores.invoiceWatch.merchantsWithOpen()) {
      try {
        await compareMerchant(deps, merchantId);
      } catch (err) {
        // One merchant's Xero trouble (disconnected, out of budget) must not stop the others.
        deps.logger.warn({ err: String(err), merchantId }, 'could not compare open checkouts with Xero');
      }
    }
  };
}

async function compareMerchant(deps: Deps, merchantId: string): Promise<void> {
  const merchant = await deps.stores.merchants.byId(merchantId);
  if (!merchant || awaitingXero(merchant)) return;
  const due = await deps.stores.invoiceWatch.dueForCheck(merchantId, INVOICE_IDS_PER_CALL * CHECK_CALLS_PER_RUN);
  const byInvoice = new Map<string, Checkout[]>();
  for (const c of due) byInvoice.set(c.xeroInvoiceId.toLowerCase(), [...(byInvoice.get(c.xeroInvoiceId.toLowerCase()) ?? []), c]);
  const ids = [...byInvoice.keys()];
  for (let at = 0; at < ids.length; at += INVOICE_IDS_PER_CALL) {
    const batch = ids.slice(at, at + INVOICE_IDS_PER_CALL);
    const invoices = await deps.xero.getInvoicesByIds(
      merchant.xero,
      batch.map((id) => byInvoice.get(id)![0].xeroInvoiceId),
    );
    const byId = new Map(invoices.map((i) => [i.invoiceId.toLowerCase(), i]));
    const now = deps.clock();
    const compared = batch.flatMap((id) => byInvoice.get(id)!);
    const changed = new Set(compared.filter((c) => whyClose(byId.get(c.xeroInvoiceId.toLowerCase()) ?? null, c)).map((c) => c.xeroInvoiceId));
    for (const xeroInvoiceId of changed)
      await enqueue(deps.stores.jobs, 'check-invoice', { merchantId, xeroInvoiceId, event: `scheduled ${now.toISOString()}` }, now);
    // Per call: when a later call fails (budget, Xero down), what was read counts and the rest comes first next run.
    await deps.stores.invoiceWatch.noteChecked(
      compared.map((c) => c.id),
      now,
    );
  }
}
