import type { Db } from './db.js';
import { sql } from 'kysely';
import { DEFAULT_MAX_ATTEMPTS } from './jobs.js';

export interface CallbackEvent {
  merchantId: string;
  xenditInvoiceId: string;
  externalId: string;
  status: string;
  raw: Record<string, unknown>;
}

export function recordPaymentDedupeKey(merchantId: string, xenditInvoiceId: string): string {
  return `record-payment:${merchantId}:${xenditInvoiceId}`;
}

export const RECORD_BACKEND_PAYMENT_JOB = 'record-backend-payment';

export function recordBackendPaymentDedupeKey(merchantId: string, xenditInvoiceId: string): string {
  return `${RECORD_BACKEND_PAYMENT_JOB}:${merchantId}:${xenditInvoiceId}`;
}

export function createCallbackStore(db: Db) {
  return {
    /**
     * Decides where a callback goes and stores it with its follow-up, in one call of callback_accept
     * (one round trip, one transaction): an invoice of one of our checkouts → the event and, on `paid`, a record-payment job (the
     * checkout itself is left alone: only what Xendit confirms to a job changes it); otherwise, when paid and the merchant records payments
     * made outside Xero (backend flow) → the event and a record-backend-payment job; otherwise
     * nothing is written ('ignored'). A 200 to Xendit therefore always means the work is durably
     * queued. duplicate: the same (invoice, status) came before.
     */
    async accept(event: CallbackEvent, rules: { paid: boolean }, now: Date): Promise<{ route: 'checkout' | 'backend' | 'ignored'; duplicate: boolean }> {
      // callback_accept (callbacks.sql): planned once per connection, not at every callback.
      const { rows } = await sql<{ o_route: 'checkout' | 'backend' | 'ignored'; o_inserted: boolean }>`
        select * from callback_accept(
          ${event.merchantId}, ${event.xenditInvoiceId}, ${event.externalId}, ${event.status}, ${JSON.stringify(event.raw)}, ${now.toISOString()},
          ${rules.paid},
          ${JSON.stringify({ merchantId: event.merchantId, xenditInvoiceId: event.xenditInvoiceId })},
          'record-payment', ${recordPaymentDedupeKey(event.merchantId, event.xenditInvoiceId)},
          ${RECORD_BACKEND_PAYMENT_JOB}, ${recordBackendPaymentDedupeKey(event.merchantId, event.xenditInvoiceId)}, ${DEFAULT_MAX_ATTEMPTS})`.execute(db);
      return { route: rows[0].o_route, duplicate: !rows[0].o_inserted };
    },
  };
}

export type CallbackStore = ReturnType<typeof createCallbackStore>;
