import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import { checkoutKey, type CheckoutKey, type Merchant } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import type { XenditGateway, XenditInvoice } from '../../clients/xendit/types.js';
import { CREATION_WAIT_MS, type Checkout } from '../../store/checkouts.js';
import { ReconcilePayload } from '../kinds.js';
import { jobRow } from '../enqueue.js';
import { raiseAlert } from '../../alerts/raise.js';
import { message } from '../../i18n/index.js';
import { supersedeUnreachable, unreachable } from './checkout-key.js';

export interface ReconcileDeps {
  stores: Stores;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  /** A record-payment job was queued: an in-process worker may start at once. */
  onJobEnqueued?: () => void;
}

export interface ReconcileOptions {
  merchantId?: string;
  since?: Date;
  /** Checkouts younger than this are left to their callback. */
  minAgeMinutes: number;
  /** At most this many Xendit calls per run. */
  batch: number;
}

export interface ReconcileSummary {
  checked: number;
  /** Paid at Xendit with no callback: record-payment queued (or already queued by a callback). */
  paid: number;
  expired: number;
  pending: number;
  /** Xendit has no such invoice, or the merchant is gone: left for a person, not retried forever. */
  unknown: number;
  /** Xendit did not answer; asked again in their next turn (an expired one: the next run). */
  failed: number;
}

/**
 * Payments whose callback never came (Xendit gave up, our server was down, a proxy ate it): ask
 * Xendit about checkouts still open after a few minutes, about those still 'creating' whose create
 * got no answer (by their external id), once about each checkout closed as expired (an
 * out-of-order EXPIRED callback must not hide a payment), and, with back-off until Xendit can no
 * longer make it payable, again about one closed while a create of it had no answer (Xendit may
 * process that create late) or paid while one may still be made late (a twin of the invoice paid).
 * Those are asked by external id: every invoice paid under it is recorded, every one still payable
 * expired but the own invoice of an open or paid checkout (settleMadeLate). PAID/SETTLED takes
 * exactly the path a PAID callback takes; EXPIRED closes the checkout. Bounded per run by the
 * batch, shared among those four kinds (fairShare) so that none waits on another however many of
 * it there are; a merchant whose calls fail is skipped for the rest of the run, and a network
 * failure ends the run.
 */
export async function reconcile(deps: ReconcileDeps, opts: ReconcileOptions): Promise<ReconcileSummary> {
  const now = deps.clock();
  const summary: ReconcileSummary = { checked: 0, paid: 0, expired: 0, pending: 0, unknown: 0, failed: 0 };
  const query = { createdBefore: new Date(now.getTime() - opts.minAgeMinutes * 60_000), since: opts.since, merchantId: opts.merchantId };
  // Twice the pay path's creation wait, as invoice-changes.ts: a click still creating it is left alone.
  const updatedBefore = new Date(now.getTime() - 2 * CREATION_WAIT_MS);
  // Each kind read up to the whole batch, for what the others leave.
  const limit = opts.batch;
  const checkouts = fairShare(opts.batch, [
    await deps.stores.checkouts.toReconcile({ ...query, now, limit }),
    await deps.stores.checkouts.staleCreating({ ...query, updatedBefore, limit }),
    await deps.stores.checkouts.expiriesToConfirm({ ...query, limit }),
    await deps.stores.checkouts.lateCreatesToAsk({ ...query, now, limit }),
  ]);
  const merchants = new Map<string, Merchant | null>();
  let queued = false;

  // Merchant and key mode pairs passed over for the rest of the run: one stuck key must not stop the other's checkouts.
  const skipped = new Set<string>();
  for (const checkout of checkouts) {
    if (!merchants.has(checkout.merchantId)) merchants.set(checkout.merchantId, await deps.stores.merchants.byId(checkout.merchantId));
    const merchant = merchants.get(checkout.merchantId);
    // Asked with the key of the mode it was made in: the merchant may have switched since.
    const key = merchant ? checkoutKey(merchant, checkout) : null;
    if (key && skipped.has(`${checkout.merchantId}:${key.mode}`)) {
      // Its turn passed, as the failing one's: else the merchant's rows would hold the head of the
      // line every run while its calls fail. An expired or paid one stays unconfirmed (see below).
      if (!leftUnconfirmed(checkout)) await deps.stores.checkouts.passOver(checkout.id, now);
      continue;
    }
    summary.checked++;
    // A disabled merchant's checkouts are asked about too: disabling stops new payment links, not
    // the recording of what its customers paid (their callbacks are still stored), and a lost
    // callback is found only here. Reconcile only records and closes; it never opens a checkout
    // (a 'creating' one whose invoice Xendit holds is left for the next click to adopt).
    if (!merchant || !key) {
      summary.unknown++;
      await deps.stores.checkouts.markReconciled(checkout.id, now);
      continue;
    }
    let invoice;
    let made: XenditInvoice[] | undefined;
    try {
      if (!key.key) throw new NoKey();
      // Without an invoice id (a create that got no answer), or closed or opened by a take-over while
      // a create may still be made late (a second one besides the invoice stored): only its external id can find it.
      if (!checkout.xenditInvoiceId || lateCreateOpen(checkout, now)) made = await deps.xendit.findInvoicesByExternalId(key.key, checkout.externalId);
      else invoice = await deps.xendit.getInvoice(key.key, checkout.xenditInvoiceId);
    } catch (err) {
      if (unreachable(key, err)) {
        await cannotReach(deps, checkout, key, now, summary);
        continue;
      }
      summary.failed++;
      deps.logger.warn({ err: String(err), checkoutId: checkout.id }, 'reconcile: Xendit did not answer');
      // Rotate past it and leave this merchant's key for the next run (revoked, its account
      // limited, or one invoice we cannot read): one stuck checkout must not stop the others'.
      // An expired or paid one stays unconfirmed (asked again next run) rather than be taken for settled.
      if (!leftUnconfirmed(checkout)) await deps.stores.checkouts.passOver(checkout.id, now);
      skipped.add(`${checkout.merchantId}:${key.mode}`);
      if (err instanceof UpstreamError && err.kind === 'unavailable' && err.status === undefined) break; // Xendit unreachable for everyone
      continue;
    }
    if (unreachable(key, (made ? made.length : invoice) ? 'found' : 'nothing')) {
      await cannotReach(deps, checkout, key, now, summary);
      continue;
    }
    if (made && (checkout.status !== 'creating' || made.some(isPaid))) {
      const outcome = await settleMadeLate(deps, key.key!, checkout, made);
      let fresh = false;
      for (const x of outcome.paid) fresh = (await recordPaid(deps, checkout, x, now)) || fresh;
      queued ||= fresh;
      // A checkout already paid counts only for a payment no callback told us of.
      if (outcome.paid.length && (checkout.status !== 'paid' || fresh)) summary.paid++;
      if (outcome.failed) {
        summary.failed++;
        // An expired or paid one stays unconfirmed, asked again next run, as when Xendit does not answer.
        if (!leftUnconfirmed(checkout)) await deps.stores.checkouts.passOver(checkout.id, now);
        continue;
      }
      if (outcome.paid.length && checkout.status !== 'paid') continue; // markPaid marked it reconciled
      if (checkout.status === 'open' && !outcome.paid.length) {
        // The own invoice is then judged as it is when asked by its id.
        [invoice, made] = [made.find((x) => x.id === checkout.xenditInvoiceId) ?? null, undefined];
      } else {
        if (outcome.expired || checkout.status !== 'paid') summary.expired++;
        // Asked again only as lateCreatesToAsk says, until its window ends.
        await deps.stores.checkouts.markReconciled(checkout.id, now);
        continue;
      }
    }
    if (made) {
      summary[await settleCreating(deps, checkout, made, now)]++;
      // Closed while Xendit showed nothing: left unconfirmed, so the next run asks again (and later
      // runs with back-off while Xendit could still make it late: lateCreatesToAsk).
      if (made.length === 0) continue;
    } else if (!invoice) {
      summary.unknown++;
      deps.logger.warn({ checkoutId: checkout.id, xenditInvoiceId: checkout.xenditInvoiceId }, 'reconcile: Xendit has no such invoice');
    } else if (invoice.status === 'PAID' || invoice.status === 'SETTLED') {
      summary.paid++;
      queued = (await recordPaid(deps, checkout, invoice, now)) || queued;
      continue;
    } else if (invoice.status === 'EXPIRED') {
      summary.expired++;
      await deps.stores.checkouts.transition(checkout.id, ['open', 'superseded'], 'expired', now);
    } else {
      summary.pending++;
      // Closed by an EXPIRED callback Xendit does not stand by: payable still, so watched again.
      await deps.stores.checkouts.transition(checkout.id, ['expired'], 'open', now);
    }
    await deps.stores.checkouts.markReconciled(checkout.id, now);
  }
  if (queued) deps.onJobEnqueued?.();
  return summary;
}

/** No key of the checkout's mode is stored: nothing to ask Xendit with. */
class NoKey extends Error {}

/**
 * No stored key reaches the checkout (checkout-key.ts): a live one is superseded with why and the
 * merchant told; a superseded one is the retire-xendit-key job's (it holds the old key), an expired
 * one stays as its callback left it. Rotated past either way.
 */
async function cannotReach(deps: ReconcileDeps, checkout: Checkout, key: CheckoutKey, now: Date, summary: ReconcileSummary): Promise<void> {
  summary.unknown++;
  if (checkout.status === 'open' || checkout.status === 'creating') await supersedeUnreachable(deps, checkout, key);
  else deps.logger.warn({ checkoutId: checkout.id, mode: key.mode, key: key.hint }, 'reconcile: no stored Xendit key reaches this checkout');
  // Superseded, it is asked again only with back-off (checkouts.toReconcile): a key that reaches it may be stored again.
  await deps.stores.checkouts.markUnreachable(checkout.id, now);
}

/**
 * Up to `batch` of the kinds' checkouts, taking one of each kind in turn (each list in its own
 * order, least recently asked first): every kind gets a quarter of the batch, and what one kind
 * does not use goes to the others. Asked in that order too, so a run that ends early (Xendit
 * unreachable) has not spent itself on one kind. Below four, the kinds first in the list fill it.
 */
export function fairShare<T>(batch: number, kinds: T[][]): T[] {
  const taken: T[] = [];
  for (let i = 0; taken.length < batch && kinds.some((k) => i < k.length); i++)
    for (const kind of kinds) if (i < kind.length && taken.length < batch) taken.push(kind[i]);
  return taken;
}

/**
 * Paid, yet no callback told us: the same move the PAID callback makes, and an alert (the callback
 * URL or token at Xendit is likely wrong). True when this call queued the recording job.
 */
async function recordPaid(deps: ReconcileDeps, checkout: Checkout, invoice: XenditInvoice, now: Date): Promise<boolean> {
  const job = jobRow('record-payment', { merchantId: checkout.merchantId, xenditInvoiceId: invoice.id }, now);
  const queued = await deps.stores.checkouts.markPaid(checkout, job, now, { xenditInvoiceId: invoice.id, invoiceUrl: invoice.invoiceUrl });
  if (queued)
    await raiseAlert(deps, {
      merchantId: checkout.merchantId,
      kind: 'callbackMissing',
      message: message('alerts:callbackMissing'),
      dedupeKey: `callbackMissing:${checkout.merchantId}`,
    });
  deps.logger.info({ checkoutId: checkout.id, xenditInvoiceId: invoice.id }, 'reconcile: paid without a callback, recording');
  return queued;
}

/**
 * A checkout still 'creating' that no click holds: its create got no answer (the click said "try
 * again"), and what Xendit made under its external id, if anything, was never stored; none of it
 * paid (reconcile records that first). Still payable → left for the next click to adopt (and asked
 * about again next run); expired or never made → closed, unless a click took it over meanwhile
 * (fenced on updated_at as read).
 */
async function settleCreating(deps: ReconcileDeps, checkout: Checkout, made: XenditInvoice[], now: Date): Promise<'pending' | 'expired'> {
  if (made.some((x) => x.status === 'PENDING')) return 'pending';
  const shown = made.at(-1);
  const closed = await deps.stores.invoiceWatch.closeCreating(
    checkout.id,
    checkout.updatedAt,
    shown ? { xenditInvoiceId: shown.id, invoiceUrl: shown.invoiceUrl } : null,
    null,
    now,
  );
  if (closed) deps.logger.info({ checkoutId: checkout.id, madeAtXendit: made.map((x) => x.id) }, 'reconcile: checkout whose create got no answer closed');
  return 'expired';
}

/** Its window for a create Xendit processes late is still open (checkouts.lateCreatesToAsk). */
const lateCreateOpen = (checkout: Checkout, now: Date): boolean => checkout.lateCreateUntil !== null && checkout.lateCreateUntil > now;

const isPaid = (x: XenditInvoice): boolean => x.status === 'PAID' || x.status === 'SETTLED';

/** Reconcile leaves it unconfirmed when Xendit does not answer, to be asked again next run (not passed over). */
const leftUnconfirmed = (checkout: Checkout): boolean => checkout.status === 'expired' || checkout.status === 'paid';

/**
 * What Xendit holds under the external id of a checkout whose create may still be made late (closed
 * while a create had no answer, or opened or paid after a take-over), or of one still 'creating'
 * with an invoice paid: every invoice paid is returned, each for the job its PAID callback queues
 * (deduplicated, so booked once: the own invoice's and a twin's, the customer having paid both, are
 * both booked, the second as an over-payment). Every one still payable is expired, since the
 * customer was sent elsewhere or has paid, and nothing else would ever end it: all of them, but for
 * the own invoice of an open checkout (the one the customer is sent to) or of a paid one (where a
 * paid twin's record-payment has its own expired, expire-own-invoice). With nothing paid, the
 * invoice shown is kept on a row that has none. `failed`: Xendit did not expire one (asked again).
 */
async function settleMadeLate(
  deps: ReconcileDeps,
  key: string,
  checkout: Checkout,
  made: XenditInvoice[],
): Promise<{ paid: XenditInvoice[]; expired: number; failed: boolean }> {
  const keepOwn = checkout.status === 'open' || checkout.status === 'paid';
  const payable = made.filter((x) => x.status === 'PENDING' && !(keepOwn && x.id === checkout.xenditInvoiceId));
  const outcome = await expireMadeLate(deps, key, checkout, payable);
  const paid = [...made.filter(isPaid), ...outcome.paid];
  const shown = made.at(-1);
  if (!paid.length && !outcome.failed && shown)
    await deps.stores.checkouts.keepMadeAtXendit(checkout.id, { xenditInvoiceId: shown.id, invoiceUrl: shown.invoiceUrl });
  return { paid, expired: outcome.expired, failed: outcome.failed };
}

/**
 * Expires invoices Xendit made under a checkout's external id that the customer must not pay.
 * Those that turned out paid as they were being expired are returned, for the caller to record
 * (the others are expired still); one Xendit did not expire ends the attempt (`failed`).
 */
async function expireMadeLate(
  deps: ReconcileDeps,
  key: string,
  checkout: Checkout,
  payable: XenditInvoice[],
): Promise<{ paid: XenditInvoice[]; expired: number; failed: boolean }> {
  const paid: XenditInvoice[] = [];
  let expired = 0;
  for (const x of payable) {
    deps.logger.warn({ checkoutId: checkout.id, xenditInvoiceId: x.id }, 'reconcile: Xendit made an invoice of a lost create late; expiring it');
    // What expire answers for an invoice no longer PENDING is not documented (xendit-node lists no
    // error code for it; it may refuse, or answer 200 with the invoice as it is): the status in its
    // answer, or what Xendit holds when it refused, decides.
    let seen: XenditInvoice | null;
    let err: unknown;
    try {
      seen = await deps.xendit.expireInvoice(key, x.id);
    } catch (e) {
      err = e;
      seen = await deps.xendit.getInvoice(key, x.id).catch(() => null);
    }
    if (seen && isPaid(seen)) paid.push(seen);
    else if (seen?.status === 'EXPIRED') expired++;
    else {
      // Xendit busy: left as asked, so the next run asks again.
      deps.logger.warn(
        { err: String(err ?? `answered ${seen?.status}`), checkoutId: checkout.id, xenditInvoiceId: x.id },
        'reconcile: Xendit did not expire it',
      );
      return { paid, expired, failed: true };
    }
  }
  return { paid, expired, failed: false };
}

/** How long finished reconcile runs and old rate-limit windows are kept. */
const KEEP_MS = 24 * 3600_000;

/** The scheduled job: one reconciliation run, plus housekeeping of what such runs leave behind. */
export function reconcileJob(deps: ReconcileDeps, defaults: Omit<ReconcileOptions, 'merchantId' | 'since'>) {
  return async (job: Job): Promise<void> => {
    const p = ReconcilePayload.parse(job.payload);
    const summary = await reconcile(deps, { ...defaults, merchantId: p.merchantId, since: p.since ? new Date(p.since) : undefined });
    const before = new Date(deps.clock().getTime() - KEEP_MS);
    await deps.stores.jobs.pruneDone(job.kind, before);
    await deps.stores.rateLimits.prune(before);
    deps.logger.info({ ...summary }, 'reconcile run finished');
  };
}
