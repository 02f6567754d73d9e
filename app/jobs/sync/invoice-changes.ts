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
import { CREATION_WAIT_MS, type Checkout } from '../../store/checkouts.js';
import { checkoutKey, type CheckoutKey, type Merchant } from '../../store/merchants.js';
import { awaitingXero } from '../../store/merchant-model.js';
import type { XenditGateway, XenditInvoice } from '../../clients/xendit/types.js';
import { INVOICE_IDS_PER_CALL, type XeroGateway, type XeroInvoice } from '../../clients/xero/types.js';
import { AmountError, toMinor } from '../../money.js';
import { encodeMessage, message } from '../../i18n/index.js';
import { CheckInvoicePayload, CheckOpenCheckoutsPayload } from '../kinds.js';
import { enqueue, jobRow } from '../enqueue.js';
import { RetryLater } from '../runner.js';
import type { CrashHook } from './crash-points.js';
import { supersedeUnreachable, unreachable } from './checkout-key.js';

type Deps = {
  stores: Stores;
  xero: XeroGateway;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  crash?: CrashHook;
  /** The pay path's creation wait (default CREATION_WAIT_MS); a 'creating' checkout twice as old has lost its click. */
  creationWaitMs?: number;
};

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
    const judged = live.map((checkout) => ({ checkout, why: whyClose(invoice, checkout) }));
    await settleNotedCloses(
      deps,
      merchant,
      judged.filter((j) => !j.why).map((j) => j.checkout),
    );
    // Payable checkouts first, and each on its own: one that cannot be closed yet (a click still
    // creating it, Xendit refusing) must not leave a later one payable until the job gives up.
    const toClose = judged
      .flatMap(({ checkout, why }) => (why ? [{ checkout, why }] : []))
      .sort((a, b) => Number(!a.checkout.xenditInvoiceId) - Number(!b.checkout.xenditInvoiceId));
    let failed: unknown;
    for (const { checkout, why } of toClose) {
      try {
        if (checkout.xenditInvoiceId) await closeAtXendit(deps, merchant, checkout, checkout.xenditInvoiceId, why);
        else await closeCreating(deps, merchant, checkout, why);
      } catch (err) {
        failed ??= err;
      }
    }
    if (failed) throw failed;
    await deps.stores.invoiceWatch.noteChecked(
      live.map((c) => c.id),
      deps.clock(),
    );
  };
}

/**
 * Checkouts the invoice no longer calls for closing, but with a reason noted by an earlier attempt:
 * that attempt may have got as far as Xendit (the worker died after the expiry, or its answer was
 * lost) before the merchant put the invoice right. Xendit says which: still payable, the reason is
 * dropped (a later natural expiry shows none); expired (or unknown to it), the checkout is closed
 * with the noted reason, else re-clicks would be sent to a dead Xendit page; paid, recorded as usual.
 */
async function settleNotedCloses(deps: Deps, merchant: Merchant, kept: Checkout[]): Promise<void> {
  const noted = await deps.stores.invoiceWatch.notedReasons(kept.map((c) => c.id));
  const drop: string[] = [];
  for (const checkout of kept) {
    const reason = noted.get(checkout.id);
    if (!reason) continue;
    if (!checkout.xenditInvoiceId) {
      drop.push(checkout.id);
      continue;
    }
    const key = checkoutKey(merchant, checkout);
    const x = await readWith(deps, key, checkout.xenditInvoiceId);
    if (x === 'unreachable') await supersedeUnreachable(deps, checkout, key);
    else if (x?.status === 'PENDING') drop.push(checkout.id);
    else if (x?.status === 'PAID' || x?.status === 'SETTLED') await recordPaid(deps, merchant, checkout, x.id);
    else if (await deps.stores.invoiceWatch.close(checkout.id, reason, deps.clock()))
      deps.logger.info({ merchantId: merchant.id, checkoutId: checkout.id }, 'checkout closed: Xendit expired it before its Xero invoice was put right');
  }
  await deps.stores.invoiceWatch.dropClosing(drop);
}

/** The customer paid first: recorded like any payment (on a changed invoice it goes to review). */
async function recordPaid(deps: Deps, merchant: Merchant, checkout: Checkout, xenditInvoiceId: string): Promise<void> {
  await enqueue(deps.stores.jobs, 'record-payment', { merchantId: merchant.id, xenditInvoiceId }, deps.clock());
  deps.logger.warn({ merchantId: merchant.id, checkoutId: checkout.id }, 'Xero invoice changed, but its checkout was paid already');
}

/**
 * Notes why, expires the Xendit invoice, then closes the checkout: only once Xendit confirmed it
 * cannot be paid any more. Xendit not expiring it (already expired, or paid a moment ago) is
 * settled by the status it answers with, or, when it refuses, by asking it.
 */
async function closeAtXendit(deps: Deps, merchant: Merchant, checkout: Checkout, xenditInvoiceId: string, why: CloseReason): Promise<void> {
  const reason = encodeMessage(message(`admin:closedReason_${why}`));
  await deps.stores.invoiceWatch.noteClosing(checkout.id, reason);
  const key = checkoutKey(merchant, checkout);
  const expired = await expireAtXendit(deps, merchant, checkout, key, xenditInvoiceId);
  if (expired === 'unreachable') return void (await supersedeUnreachable(deps, checkout, key));
  if (expired === 'paid') return;
  deps.crash?.('checkout-expired-at-xendit');
  await deps.stores.invoiceWatch.close(checkout.id, reason, deps.clock());
  deps.logger.info({ merchantId: merchant.id, checkoutId: checkout.id, why }, 'checkout expired at Xendit: its Xero invoice changed');
}

/**
 * Expires the Xendit invoice with the key of the checkout's mode (checkoutKey: the merchant may have
 * switched since): 'expired' once Xendit says so, 'paid' if it was paid first (recorded),
 * 'unreachable' when no stored key reaches it (checkout-key.ts: nothing is guessed). Only the
 * status Xendit gives decides: what it answers for an invoice paid a moment before is not
 * documented (a refusal, or the invoice still PAID with a 200), so a success alone is not "expired".
 */
async function expireAtXendit(
  deps: Deps,
  merchant: Merchant,
  checkout: Checkout,
  key: CheckoutKey,
  xenditInvoiceId: string,
): Promise<'expired' | 'paid' | 'unreachable'> {
  if (!key.key) return 'unreachable';
  let x: XenditInvoice | null;
  let refusal: unknown;
  try {
    x = await deps.xendit.expireInvoice(key.key, xenditInvoiceId);
  } catch (err) {
    refusal = err;
    const read = await readWith(deps, key, xenditInvoiceId);
    if (read === 'unreachable') return read;
    x = read;
  }
  if (x?.status === 'PAID' || x?.status === 'SETTLED') {
    await recordPaid(deps, merchant, checkout, x.id);
    return 'paid';
  }
  if (x?.status === 'EXPIRED') return 'expired';
  throw refusal ?? new Error(`Xendit answered the expiry of invoice ${xenditInvoiceId} with status ${x?.status}`);
}

/** The invoice read with the checkout's key; 'unreachable' when that key cannot reach it (checkout-key.ts). */
async function readWith(deps: Deps, key: CheckoutKey, xenditInvoiceId: string): Promise<XenditInvoice | null | 'unreachable'> {
  if (!key.key) return 'unreachable';
  try {
    const x = await deps.xendit.getInvoice(key.key, xenditInvoiceId);
    return unreachable(key, x ? 'found' : 'nothing') ? 'unreachable' : x;
  } catch (err) {
    if (unreachable(key, err)) return 'unreachable';
    throw err;
  }
}

/**
 * A checkout still 'creating': nothing a customer holds yet, unless its click died after Xendit made
 * the invoice (nothing else cleans such a row up). Younger than the creation wait, its click may
 * still open it: looked at again later. Twice as old, it is taken over (so no click can open it meanwhile)
 * and what Xendit holds under its external id is expired; the row is then closed with why, with no
 * invoice when Xendit made nothing yet (kept for a late create: reconcile asks about it until
 * Xendit can no longer make it payable).
 */
async function closeCreating(deps: Deps, merchant: Merchant, checkout: Checkout, why: CloseReason): Promise<void> {
  const now = deps.clock();
  // Twice the click's own wait: past the Xendit client's timeout (10 s) with room to spare, so a
  // slow click is not taken for a dead one while its create is still on its way.
  const wait = 2 * (deps.creationWaitMs ?? CREATION_WAIT_MS);
  const fence = await deps.stores.checkouts.takeOver(checkout.id, new Date(now.getTime() - wait), now);
  if (!fence) throw new RetryLater(`checkout ${checkout.id} is still being created at Xendit`, Math.max(30, Math.ceil(wait / 1000)));
  const key = checkoutKey(merchant, checkout);
  let made: XenditInvoice[] = [];
  try {
    if (key.key) made = await deps.xendit.findInvoicesByExternalId(key.key, checkout.externalId);
  } catch (err) {
    if (!unreachable(key, err)) throw err;
  }
  // Nothing found by a key that replaced the one that made it says nothing (another business's
  // account, maybe): never taken for "Xendit made nothing".
  if (unreachable(key, made.length ? 'found' : 'nothing')) return void (await supersedeUnreachable(deps, checkout, key));
  const paid = made.find((x) => x.status === 'PAID' || x.status === 'SETTLED');
  if (paid) {
    // Opened with what was paid, so the payment is recorded against it like any other.
    await deps.stores.checkouts.open(checkout.id, fence, paid.id, paid.invoiceUrl, now);
    await recordPaid(deps, merchant, checkout, paid.id);
    return;
  }
  const pending = made.filter((i) => i.status === 'PENDING');
  for (const x of pending) {
    if ((await expireAtXendit(deps, merchant, checkout, key, x.id)) !== 'expired') {
      await deps.stores.checkouts.open(checkout.id, fence, x.id, x.invoiceUrl, now);
      return;
    }
  }
  if (pending.length) deps.crash?.('checkout-expired-at-xendit');
  const shown = made.at(-1);
  const reason = encodeMessage(message(`admin:closedReason_${why}`));
  const closed = await deps.stores.invoiceWatch.closeCreating(
    checkout.id,
    fence,
    shown ? { xenditInvoiceId: shown.id, invoiceUrl: shown.invoiceUrl } : null,
    reason,
    deps.clock(),
  );
  if (closed)
    deps.logger.info(
      { merchantId: merchant.id, checkoutId: checkout.id, why, madeAtXendit: made.map((x) => x.id) },
      shown ? 'stale checkout expired at Xendit: its Xero invoice changed' : 'stale checkout removed (Xendit made nothing): its Xero invoice changed',
    );
}

/**
 * For merchants whose changes no webhook reports (or one we could not read: a run for that merchant
 * alone, xero-webhooks/service.ts): each run reads, per merchant, the invoices of the
 * open checkouts compared least recently (never first), INVOICE_IDS_PER_CALL invoices a call and at
 * most CHECK_CALLS_PER_RUN calls, and queues a check-invoice job (which reads that invoice again
 * before closing anything) for each that changed.
 */
export function checkOpenCheckoutsJob(deps: Deps) {
  return async (job?: Job): Promise<void> => {
    const only = job ? CheckOpenCheckoutsPayload.parse(job.payload).merchantId : undefined;
    for (const merchantId of only ? [only] : await deps.stores.invoiceWatch.merchantsWithOpen()) {
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
    // One check per invoice at a time: a check still retrying (Xero or Xendit down) reads the invoice again itself.
    for (const xeroInvoiceId of changed) {
      await deps.stores.invoiceWatch.queueCheck(
        jobRow('check-invoice', { merchantId, xeroInvoiceId, event: `scheduled ${now.toISOString()}` }, now),
        merchantId,
        xeroInvoiceId,
      );
      deps.crash?.('checkout-compare-check-queued');
    }
    // Per call: when a later call fails (budget, Xero down), what was read counts and the rest comes first next run.
    await deps.stores.invoiceWatch.noteChecked(
      compared.map((c) => c.id),
      now,
    );
  }
}
