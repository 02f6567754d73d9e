import type { Logger } from 'pino';
import type { Stores } from '../store/index.js';
import { disputeHint } from '../jobs/kinds.js';
import type { Clock } from '../clock.js';
import type { CallbackTokenCache } from './token-cache.js';
import { NotFoundJson, Unauthorized } from '../errors.js';
import { enqueue, jobRow } from '../jobs/enqueue.js';
import { isUuid } from '../security/uuid.js';

export interface XenditInvoiceCallback {
  id: string;
  external_id: string;
  status: string;
  [field: string]: unknown;
}

export type CallbackOutcome = { received: true; duplicate: boolean; status: string } | { received: true; ignored: string };

/**
 * The callback URL names the merchant; its static token is the only proof Xendit sent it.
 * A disabled merchant still gets its callbacks stored: disabling stops new payment links, it must
 * not lose the record of money a customer already paid. Returns the merchant's id.
 */
export async function authenticateCallback(
  tokens: CallbackTokenCache,
  merchantId: string,
  token: string | undefined,
  beforeRead?: () => void | Promise<void>,
): Promise<string> {
  const verdict = isUuid(merchantId) ? await tokens.check(merchantId, token, beforeRead) : 'unknown';
  if (verdict === 'unknown') throw new NotFoundJson('unknown merchant');
  if (!verdict) throw new Unauthorized('invalid x-callback-token');
  return merchantId;
}

/**
 * Stores the event and queues its work in one statement. The body is only a hint of which invoice
 * changed: the worker re-reads the invoice from Xendit before any money moves. An invoice that is
 * none of our checkouts is recorded only when paid and the merchant has the backend flow on; else
 * nothing is written (e.g. the Xendit dashboard's "Test callback").
 */
export async function acceptCallback(
  deps: { stores: Stores; clock: Clock; logger?: Logger },
  merchantId: string,
  body: XenditInvoiceCallback,
): Promise<CallbackOutcome> {
  const status = body.status.toUpperCase();
  const paid = status === 'PAID' || status === 'SETTLED';
  // No checkout changes here: the status is the sender's word. The jobs re-read the invoice at
  // Xendit and change the checkout from what Xendit says (record-payment for PAID, verify-checkout
  // for EXPIRED).
  const now = deps.clock();
  const invoice = { merchantId, xenditInvoiceId: body.id };
  const { route, duplicate, paymentIdConflict } = await deps.stores.callbacks.accept(
    { merchantId, xenditInvoiceId: body.id, externalId: body.external_id, status, raw: body },
    { paid },
    { checkout: jobRow('record-payment', invoice, now), backend: jobRow('record-backend-payment', invoice, now) },
    now,
  );
  if (paymentIdConflict) {
    // Never overwritten: what ties refunds to the payment stays as first stored; a person looks.
    deps.logger?.warn(
      { merchantId, xenditInvoiceId: body.id, status, kept: paymentIdConflict, callbackPaymentId: body.payment_id },
      'paid callback names another payment_id than the payment holds: kept the one held',
    );
  }
  if (route === 'ignored') return { received: true, ignored: 'unknown invoice' };
  if (route === 'checkout' && status === 'EXPIRED') {
    // A second statement: if it fails, the 500 makes Xendit retry; both writes are idempotent.
    const queued = await enqueue(deps.stores.jobs, 'verify-checkout', { ...invoice, status }, now);
    return { received: true, duplicate: duplicate && !queued, status };
  }
  return { received: true, duplicate, status };
}

/**
 * A refund webhook is stored as its job, in one statement: the job reads the refund from Xendit
 * before anything goes into Xero, so the body's status and amount are never trusted. The listing
 * job queues the same job (same dedupe key) when the webhook never comes.
 */
export async function acceptRefundWebhook(
  deps: { stores: Stores; clock: Clock },
  merchantId: string,
  xenditRefundId: string,
): Promise<{ received: true; duplicate: boolean }> {
  const queued = await enqueue(deps.stores.jobs, 'record-refund', { merchantId, xenditRefundId }, deps.clock());
  return { received: true, duplicate: !queued };
}

/** A dispute webhook, stored as its job in one statement: one job per dispute and status change. */
export async function acceptDisputeWebhook(
  deps: { stores: Stores; clock: Clock },
  merchantId: string,
  xenditDisputeId: string,
  /** The webhook's status, a hint only: one the job knows, else OTHER. */
  status: string | undefined,
): Promise<{ received: true; duplicate: boolean }> {
  const queued = await enqueue(deps.stores.jobs, 'record-dispute', { merchantId, xenditDisputeId, status: disputeHint(status) }, deps.clock());
  return { received: true, duplicate: !queued };
}
