import type { Db } from './db.js';
import { sql } from 'kysely';
import { newJobRow } from './jobs.js';
import type { CheckoutStatus } from './schema.js';

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
     * Stores the event and its follow-up in one transaction, so a 200 to Xendit always means the
     * work is durably queued. Returns duplicate=true when the same (invoice, status) came before.
     */
    async record(
      event: CallbackEvent,
      effect: { enqueueRecordPayment: boolean; enqueueBackendPayment?: boolean; checkout?: { id: string; from: CheckoutStatus[]; to: CheckoutStatus } },
      now: Date,
    ): Promise<{ duplicate: boolean }> {
      // One statement (data-modifying CTEs, each run exactly once whether read or not): atomic
      // without BEGIN/COMMIT, so the 200 waits on one round trip instead of five.
      const jobs = [
        effect.enqueueRecordPayment && { kind: 'record-payment', dedupeKey: recordPaymentDedupeKey(event.merchantId, event.xenditInvoiceId) },
        effect.enqueueBackendPayment && { kind: RECORD_BACKEND_PAYMENT_JOB, dedupeKey: recordBackendPaymentDedupeKey(event.merchantId, event.xenditInvoiceId) },
      ].filter((j): j is { kind: string; dedupeKey: string } => Boolean(j));
      const payload = JSON.stringify({ merchantId: event.merchantId, xenditInvoiceId: event.xenditInvoiceId });
      const checkout = effect.checkout;
      const r = await db
        .with('ev', (d) =>
          d
            .insertInto('callback_events')
            .values({
              merchant_id: event.merchantId,
              xendit_invoice_id: event.xenditInvoiceId,
              external_id: event.externalId,
              status: event.status,
              raw: JSON.stringify(event.raw),
              received_at: now,
            })
            .onConflict((oc) => oc.constraint('callback_events_once').doNothing())
            .returning('id'),
        )
        .with('job', (d) =>
          jobs.length
            ? d
                .insertInto('jobs')
                .values(jobs.map((j) => newJobRow({ kind: j.kind, merchantId: event.merchantId, payload: {}, dedupeKey: j.dedupeKey }, now, payload)))
                .onConflict((oc) => oc.column('dedupe_key').doNothing())
                .returning('id')
            : d.selectFrom('jobs').select('id').where(sql<boolean>`false`),
        )
        .with('co', (d) =>
          checkout
            ? d
                .updateTable('checkouts')
                .set({ status: checkout.to, updated_at: now })
                .where('id', '=', checkout.id)
                .where('status', 'in', checkout.from)
                .returning('id')
            : d.selectFrom('checkouts').select('id').where(sql<boolean>`false`),
        )
        .selectNoFrom((eb) => eb.selectFrom('ev').select((e) => e.fn.countAll<string | number>().as('n')).as('inserted'))
        .executeTakeFirstOrThrow();
      return { duplicate: Number(r.inserted) === 0 };
    },

    async count(merchantId: string): Promise<number> {
      const r = await db
        .selectFrom('callback_events')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('merchant_id', '=', merchantId)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}

export type CallbackStore = ReturnType<typeof createCallbackStore>;
