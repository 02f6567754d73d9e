import type { Db } from './db.js';
import { enqueueJob } from './jobs.js';
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
      return db.transaction().execute(async (trx) => {
        const inserted = await trx
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
          .executeTakeFirst();
        const duplicate = (inserted.numInsertedOrUpdatedRows ?? 0n) === 0n;
        if (effect.enqueueRecordPayment) {
          await enqueueJob(
            trx,
            {
              kind: 'record-payment',
              merchantId: event.merchantId,
              payload: { merchantId: event.merchantId, xenditInvoiceId: event.xenditInvoiceId },
              dedupeKey: recordPaymentDedupeKey(event.merchantId, event.xenditInvoiceId),
            },
            now,
          );
        }
        if (effect.enqueueBackendPayment) {
          await enqueueJob(
            trx,
            {
              kind: RECORD_BACKEND_PAYMENT_JOB,
              merchantId: event.merchantId,
              payload: { merchantId: event.merchantId, xenditInvoiceId: event.xenditInvoiceId },
              dedupeKey: recordBackendPaymentDedupeKey(event.merchantId, event.xenditInvoiceId),
            },
            now,
          );
        }
        if (effect.checkout) {
          await trx
            .updateTable('checkouts')
            .set({ status: effect.checkout.to, updated_at: now })
            .where('id', '=', effect.checkout.id)
            .where('status', 'in', effect.checkout.from)
            .execute();
        }
        return { duplicate };
      });
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
