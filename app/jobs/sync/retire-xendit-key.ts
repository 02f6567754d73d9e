import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import { CREATION_WAIT_MS, type Checkout } from '../../store/checkouts.js';
import { UpstreamError } from '../../clients/types.js';
import type { XenditGateway, XenditInvoice } from '../../clients/xendit/types.js';
import { encodeMessage, message } from '../../i18n/index.js';
import { raiseAlert } from '../../alerts/raise.js';
import { RetireXenditKeyPayload } from '../kinds.js';
import { jobRow } from '../enqueue.js';
import { RetryLater } from '../runner.js';
import { expireAndRead } from '../../clients/xendit/expire-and-read.js';

export interface RetireXenditKeyDeps {
  stores: Stores;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  /** The pay path's creation wait (tests shorten it). */
  creationWaitMs?: number;
  /** A record-payment job was queued: an in-process worker may start at once. */
  onJobEnqueued?: () => void;
}

/** How one checkout ended: closed (or removed), paid (recorded like a callback), unconfirmed, or its click may still be creating it. */
type Outcome = 'closed' | 'paid' | 'unconfirmed' | 'wait';

/**
 * The merchant's Xendit key went out of use (the mode switched, or the key was replaced) while
 * checkouts it made were live. They were superseded in that transaction, so no click reuses one;
 * here each is expired in the old key's account, the only key that can, so no customer keeps a
 * payable invoice there (Xendit e-mails invoices to payers), and closed once Xendit confirms it.
 * Paid first: recorded like a callback. One the old key cannot reach (revoked, or not found) stays
 * superseded with why, and the merchant is told which key's account may still take its payment.
 * A Xendit failure is thrown after the others are done, and the job runs again.
 */
export function retireXenditKeyJob(deps: RetireXenditKeyDeps) {
  return async (job: Job): Promise<void> => {
    const p = RetireXenditKeyPayload.parse(job.payload);
    const key = deps.stores.merchants.openRetiredKey(p.merchantId, p.sealedKey);
    const checkouts = (await deps.stores.checkouts.byIds(p.checkoutIds)).filter((c): c is Checkout => c?.status === 'superseded');
    const unconfirmed: Checkout[] = [];
    let failure: unknown;
    let waiting = false;
    for (const c of checkouts) {
      try {
        const outcome = c.xenditInvoiceId ? await retireOpen(deps, key, c, c.xenditInvoiceId) : await retireCreating(deps, key, c);
        if (outcome === 'unconfirmed') unconfirmed.push(c);
        waiting ||= outcome === 'wait';
      } catch (err) {
        // One checkout Xendit did not answer for must not keep the others payable.
        deps.logger.warn({ err: String(err), checkoutId: c.id }, 'could not expire a checkout with the Xendit key no longer in use');
        failure ??= err;
      }
    }
    if (unconfirmed.length) await tellUnconfirmed(deps, p, unconfirmed);
    if (failure) throw failure;
    const wait = 2 * (deps.creationWaitMs ?? CREATION_WAIT_MS);
    if (waiting) throw new RetryLater('a checkout superseded with the old Xendit key may still be being created', Math.ceil(wait / 1000));
  };
}

async function retireOpen(deps: RetireXenditKeyDeps, key: string, c: Checkout, xenditInvoiceId: string): Promise<Outcome> {
  const seen = await expireAndRead(deps, key, xenditInvoiceId);
  if (seen === 'expired') {
    await deps.stores.checkouts.closeRetired(c.id, deps.clock());
    deps.logger.info({ checkoutId: c.id, xenditInvoiceId }, 'checkout expired with the Xendit key no longer in use');
    return 'closed';
  }
  if (seen !== 'unknown' && isPaid(seen)) return recordPaid(deps, c, seen);
  return 'unconfirmed';
}

/**
 * Superseded while 'creating': its click, finding the row no longer its own, expires what it made;
 * but a create whose answer was lost leaves an invoice under its external id. Looked up once the
 * click is surely done (twice its wait, as reconcile and invoice-changes.ts), then ended as an open one.
 */
async function retireCreating(deps: RetireXenditKeyDeps, key: string, c: Checkout): Promise<Outcome> {
  const wait = 2 * (deps.creationWaitMs ?? CREATION_WAIT_MS);
  if (deps.clock().getTime() - c.updatedAt.getTime() < wait) return 'wait';
  let made: XenditInvoice[];
  try {
    made = await deps.xendit.findInvoicesByExternalId(key, c.externalId);
  } catch (err) {
    if (err instanceof UpstreamError && err.kind === 'unauthorized') return 'unconfirmed';
    throw err;
  }
  const paid = made.find(isPaid);
  if (paid) return recordPaid(deps, c, paid);
  for (const x of made.filter((i) => i.status === 'PENDING')) {
    const seen = await expireAndRead(deps, key, x.id);
    if (seen === 'expired') continue;
    return seen !== 'unknown' && isPaid(seen) ? recordPaid(deps, c, seen) : 'unconfirmed';
  }
  const shown = made.at(-1);
  if (shown) await deps.stores.checkouts.closeRetired(c.id, deps.clock(), { xenditInvoiceId: shown.id, invoiceUrl: shown.invoiceUrl });
  else await deps.stores.checkouts.dropRetired(c.id, deps.clock());
  return 'closed';
}

const isPaid = (x: XenditInvoice) => x.status === 'PAID' || x.status === 'SETTLED';

/** Paid before it could be expired: the money is real, recorded as a PAID callback would be (record-payment reads it with the key of its mode). */
async function recordPaid(deps: RetireXenditKeyDeps, c: Checkout, x: XenditInvoice): Promise<Outcome> {
  const now = deps.clock();
  const job = jobRow('record-payment', { merchantId: c.merchantId, xenditInvoiceId: x.id }, now);
  await deps.stores.checkouts.markPaid(c, job, now, { xenditInvoiceId: x.id, invoiceUrl: x.invoiceUrl });
  deps.onJobEnqueued?.();
  deps.logger.info({ checkoutId: c.id, xenditInvoiceId: x.id }, 'checkout made with the Xendit key no longer in use was paid: recording it');
  return 'paid';
}

/** Marked on each (so the admin and a person reading the row know why it is not expired), and one alert naming the key. */
async function tellUnconfirmed(deps: RetireXenditKeyDeps, p: RetireXenditKeyPayload, checkouts: Checkout[]): Promise<void> {
  const reason = encodeMessage(message('admin:closedReason_keyRetiredUnconfirmed', { key: p.keyHint }));
  for (const c of checkouts) await deps.stores.checkouts.noteRetireUnconfirmed(c.id, reason);
  const invoices = [...new Set(checkouts.map((c) => c.invoiceNumber))];
  deps.logger.warn(
    { merchantId: p.merchantId, mode: p.mode, key: p.keyHint, checkoutIds: checkouts.map((c) => c.id) },
    'the Xendit key no longer in use could not expire its checkouts',
  );
  await raiseAlert(deps, {
    merchantId: p.merchantId,
    kind: 'xenditKeyRetired',
    message: message('alerts:xenditKeyRetired', { key: p.keyHint, count: checkouts.length, invoices: invoices.slice(0, 10).join(', ') }),
    dedupeKey: `xenditKeyRetired:${p.merchantId}:${p.keyHint}`,
  });
}
