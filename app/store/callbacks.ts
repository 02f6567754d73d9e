import type { Db } from './db.js';
import { sql } from 'kysely';
import type { NewJobRow } from './jobs.js';
import { PAYMENT_ID_FILL_LOCK_CLASS, WAIT_PAYMENT_ID_LOCK_CLASS, WAITING_KINDS } from './payment-id-waits.js';

export interface CallbackEvent {
  merchantId: string;
  xenditInvoiceId: string;
  externalId: string;
  status: string;
  raw: Record<string, unknown>;
}

/** The job each route queues for a paid invoice (built by app/jobs/enqueue.ts; the same payload for both). */
export interface PaidJobs {
  checkout: NewJobRow;
  backend: NewJobRow;
}

export function createCallbackStore(db: Db) {
  return {
    /**
     * Decides where a callback goes and stores it with its follow-up, in one call of callback_accept
     * (one round trip, one transaction): an invoice of one of our checkouts → the event and, on `paid`, jobs.checkout (the
     * checkout itself is left alone: only what Xendit confirms to a job changes it); otherwise, when paid and the merchant records payments
     * made outside Xero (backend flow) → the event and jobs.backend; otherwise
     * nothing is written ('ignored'). A 200 to Xendit therefore always means the work is durably
     * queued. duplicate: the same (invoice, status) came before. A paid callback also gives its
     * payment_id to the invoice's payment recorded without one (callbacks.sql); `paymentIdConflict`:
     * the payment holds another one, kept.
     */
    async accept(
      event: CallbackEvent,
      rules: { paid: boolean },
      jobs: PaidJobs,
      now: Date,
    ): Promise<{ route: 'checkout' | 'backend' | 'ignored'; duplicate: boolean; paymentIdConflict?: string }> {
      // callback_accept (callbacks.sql): planned once per connection, not at every callback.
      const { rows } = await sql<{ o_route: 'checkout' | 'backend' | 'ignored'; o_inserted: boolean; o_payment_id_conflict: string | null }>`
        select * from callback_accept(
          ${event.merchantId}, ${event.xenditInvoiceId}, ${event.externalId}, ${event.status}, ${JSON.stringify(event.raw)}, ${now.toISOString()},
          ${rules.paid},
          ${jobs.checkout.payload},
          ${jobs.checkout.kind}, ${jobs.checkout.dedupe_key},
          ${jobs.backend.kind}, ${jobs.backend.dedupe_key}, ${jobs.checkout.max_attempts},
          ${PAYMENT_ID_FILL_LOCK_CLASS}::int, ${WAIT_PAYMENT_ID_LOCK_CLASS}::int, ${WAITING_KINDS.join(',')})`.execute(db);
      const conflict = rows[0].o_payment_id_conflict;
      return { route: rows[0].o_route, duplicate: !rows[0].o_inserted, ...(conflict ? { paymentIdConflict: conflict } : {}) };
    },

    /**
     * The `payment_id` the invoice's stored PAID or SETTLED callbacks carry (xendit-node
     * InvoiceCallback paymentId), when they name exactly one; else null. Each body came with the
     * merchant's callback token, under this invoice's id; the caller has read the invoice paid at
     * Xendit itself. Xendit's GET invoice documents no payment_id (xendit-node invoice/models/Invoice).
     */
    async paidPaymentId(merchantId: string, xenditInvoiceId: string): Promise<string | null> {
      const rows = await db
        .selectFrom('callback_events')
        .select(sql<unknown>`raw->'payment_id'`.as('paymentId'))
        .where('merchant_id', '=', merchantId)
        .where('xendit_invoice_id', '=', xenditInvoiceId)
        .where('status', 'in', ['PAID', 'SETTLED'])
        .execute();
      const ids = new Set(rows.map((r) => r.paymentId).filter((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 100));
      return ids.size === 1 ? [...ids][0] : null;
    },
  };
}

export type CallbackStore = ReturnType<typeof createCallbackStore>;
