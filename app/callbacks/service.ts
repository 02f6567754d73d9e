import type { Stores } from '../store/index.js';
import type { Clock } from '../clock.js';
import type { CallbackTokenCache } from './token-cache.js';
import { NotFoundJson, Unauthorized } from '../errors.js';

export interface XenditInvoiceCallback {
  id: string;
  external_id: string;
  status: string;
  [field: string]: unknown;
}

export type CallbackOutcome =
  | { received: true; duplicate: boolean; status: string }
  | { received: true; ignored: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The callback URL names the merchant; its static token is the only proof Xendit sent it.
 * A disabled merchant still gets its callbacks stored: disabling stops new payment links, it must
 * not lose the record of money a customer already paid. Returns the merchant's id.
 */
export async function authenticateCallback(tokens: CallbackTokenCache, merchantId: string, token: string | undefined): Promise<string> {
  const verdict = UUID.test(merchantId) ? await tokens.check(merchantId, token) : 'unknown';
  if (verdict === 'unknown') throw new NotFoundJson('unknown merchant');
  if (!verdict) throw new Unauthorized('invalid x-callback-token');
  return merchantId;
}

/**
 * Stores the event and queues its work in one transaction. The body is only a hint of which
 * invoice changed: the worker re-reads the invoice from Xendit before any money moves.
 */
export async function acceptCallback(deps: { stores: Stores; clock: Clock }, merchantId: string, body: XenditInvoiceCallback): Promise<CallbackOutcome> {
  const checkout = await deps.stores.checkouts.forXenditInvoice(merchantId, body.id, body.external_id);
  const status = body.status.toUpperCase();
  const paid = status === 'PAID' || status === 'SETTLED';
  if (!checkout) {
    // Without the backend flow (or for an unpaid one) nothing changes: e.g. the dashboard's "Test callback".
    // The merchant is read only here, off the common path (an invoice this gateway created).
    if (!paid || !(await deps.stores.merchants.byId(merchantId))?.backendFlow) return { received: true, ignored: 'unknown invoice' };
    const { duplicate } = await deps.stores.callbacks.record(
      { merchantId, xenditInvoiceId: body.id, externalId: body.external_id, status, raw: body },
      { enqueueRecordPayment: false, enqueueBackendPayment: true },
      deps.clock(),
    );
    return { received: true, duplicate, status };
  }

  const { duplicate } = await deps.stores.callbacks.record(
    { merchantId, xenditInvoiceId: body.id, externalId: body.external_id, status, raw: body },
    {
      enqueueRecordPayment: paid,
      checkout: paid
        ? { id: checkout.id, from: ['creating', 'open', 'expired', 'superseded'], to: 'paid' }
        : status === 'EXPIRED'
          ? { id: checkout.id, from: ['open', 'superseded'], to: 'expired' }
          : undefined,
    },
    deps.clock(),
  );
  return { received: true, duplicate, status };
}
