/**
 * Twins: Xendit invoices under one checkout's external id other than the checkout's own
 * (checkouts.xendit_invoice_id). Xendit has no idempotency key, so a create whose answer was lost
 * and a later one can both get through; the click that takes the stale checkout over adopts one
 * and expires the rest (pay/create-at-xendit.ts). A callback still finds the checkout by the twin's
 * external id, but what became of a twin says nothing of the checkout's own invoice: a twin's
 * expiry must not close a checkout whose own invoice is still payable (the next click would open a
 * second one beside it), and a twin paid must not leave the own invoice payable.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import { CREATION_WAIT_MS, type Checkout } from '../../store/checkouts.js';
import { checkoutKey } from '../../store/merchants.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { ExpireDuplicatePayload, ExpireOwnInvoicePayload } from '../kinds.js';
import { enqueue } from '../enqueue.js';
import { NeedsReview, RetryLater } from '../runner.js';
import type { CrashHook } from './crash-points.js';
import { replacedNote } from './checkout-key.js';
import { expireAndRead } from '../../clients/xendit/expire-and-read.js';

/** Another invoice than the checkout's own: a twin. A checkout with no invoice yet has none to tell apart. */
export function isTwin<C extends Pick<Checkout, 'xenditInvoiceId'>>(checkout: C, xenditInvoiceId: string): checkout is C & { xenditInvoiceId: string } {
  return checkout.xenditInvoiceId !== null && checkout.xenditInvoiceId !== xenditInvoiceId;
}

/**
 * A twin was paid: the job that expires the checkout's own invoice, queued before the checkout
 * reads as paid, so a crash between the two still leaves it queued (record-payment runs again).
 */
export async function expireOwnLater(
  deps: { stores: Pick<Stores, 'jobs'>; clock: Clock; logger: Logger },
  checkout: Checkout & { xenditInvoiceId: string },
  paidTwin: string,
): Promise<void> {
  const payload = { merchantId: checkout.merchantId, checkoutId: checkout.id, xenditInvoiceId: checkout.xenditInvoiceId, paidTwin };
  if (await enqueue(deps.stores.jobs, 'expire-own-invoice', payload, deps.clock()))
    deps.logger.warn(payload, "a twin of the checkout's own Xendit invoice was paid: expiring its own");
}

/**
 * Expires the checkout's own invoice, with the key of the checkout's mode, until Xendit says it is
 * expired. Xendit refusing the expiry (the real one answers an invoice no longer PENDING with an
 * error) or answering 200 with it unchanged is settled by the invoice as read: paid too, its
 * payment is recorded like a callback's (the customer paid twice: record-payment puts the second on
 * a Xero invoice already paid, which Xero refuses, so it goes to review as an over-payment, or to a
 * Xero overpayment with the merchant's option, and is refunded from there).
 */
export function expireOwnInvoiceJob(deps: ExpireDeps) {
  return async (job: Job): Promise<void> => {
    const p = ExpireOwnInvoicePayload.parse(job.payload);
    await expireUntilConfirmed(deps, p, `must be expired, as its twin ${p.paidTwin} was paid`, "checkout's own Xendit invoice expired: a twin of it was paid");
  };
}

/**
 * Expires a twin the pay click could not (create-at-xendit.ts), as expireOwnInvoiceJob does the
 * checkout's own: it was made payable beside the invoice the customer is sent to.
 */
export function expireDuplicateJob(deps: ExpireDeps) {
  return async (job: Job): Promise<void> => {
    const p = ExpireDuplicatePayload.parse(job.payload);
    // Queued by a click that lost the row, for the invoice it made: the click that took the row over
    // may have found that invoice and opened the checkout with it since. Read fresh at each attempt.
    const checkout = await deps.stores.checkouts.byId(p.checkoutId);
    if (checkout?.xenditInvoiceId === p.xenditInvoiceId) {
      deps.logger.info(p, "the duplicate queued for expiry is its checkout's own invoice now: left payable");
      return;
    }
    // Still being created: a click holding the row may have adopted this invoice by its external id
    // and be about to open the checkout with it. Once that claim is stale the row is taken over, so
    // no click opens it with the invoice while it is expired (the next one finds it expired and makes another).
    if (checkout?.status === 'creating') {
      const now = deps.clock();
      const wait = 2 * (deps.creationWaitMs ?? CREATION_WAIT_MS);
      const fence = await deps.stores.checkouts.takeOver(checkout.id, new Date(now.getTime() - wait), now);
      if (!fence) throw new RetryLater(`checkout ${checkout.id} is still being created, maybe with ${p.xenditInvoiceId}`, Math.ceil(wait / 1000));
    }
    await expireUntilConfirmed(deps, p, `is a duplicate of its checkout's invoice and must be expired`, 'duplicate Xendit invoice expired');
  };
}

type ExpireDeps = {
  stores: Stores;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  crash?: CrashHook;
  /** The pay path's creation wait (default CREATION_WAIT_MS), as invoice-changes.ts. */
  creationWaitMs?: number;
};

async function expireUntilConfirmed(
  deps: ExpireDeps,
  p: { merchantId: string; checkoutId: string; xenditInvoiceId: string; paidTwin?: string },
  why: string,
  done: string,
): Promise<void> {
  const { merchantId, checkoutId, xenditInvoiceId } = p;
  const merchant = await deps.stores.merchants.byId(merchantId);
  if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);
  const checkout = await deps.stores.checkouts.byId(checkoutId);
  if (!checkout) throw new NeedsReview(`checkout ${checkoutId} no longer exists`);
  const key = checkoutKey(merchant, checkout);
  const unknown = () =>
    new NeedsReview(
      `Xendit invoice ${xenditInvoiceId} (invoice ${checkout.invoiceNumber}) ${why}, but the ` +
        `${key.mode} key ${key.hint} cannot reach it${replacedNote(key)}: expire it in Xendit's dashboard, and record it if it was paid`,
    );
  if (!key.key) throw unknown();
  const seen = await expireAndRead(deps, key.key, xenditInvoiceId);
  deps.crash?.('own-invoice-expired-at-xendit');
  if (seen === 'expired') {
    deps.logger.info(p, done);
    return;
  }
  if (seen === 'unknown') throw unknown();
  if (seen.status === 'PAID' || seen.status === 'SETTLED') {
    // Under the callback's dedupe key: recorded once, whether its own callback comes or not.
    await enqueue(deps.stores.jobs, 'record-payment', { merchantId, xenditInvoiceId: seen.id }, deps.clock());
    deps.logger.warn(p, 'the customer paid both twins: recording the second payment');
    return;
  }
  throw new RetryLater(`Xendit answered the expiry of invoice ${xenditInvoiceId} with it ${seen.status}`);
}
