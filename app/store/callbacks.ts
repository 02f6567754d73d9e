import type { Db } from './db.js';
import { sql } from 'kysely';
import { DEFAULT_MAX_ATTEMPTS } from './jobs.js';
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
      // without BEGIN/COMMIT, so the 200 waits on one round trip instead of five. Written as SQL
      // with one text for every case (no jobs: empty arrays; no checkout: a null id): building it
      // with the query builder was a sixth of a callback's CPU.
      const jobs = [
        effect.enqueueRecordPayment && { kind: 'record-payment', dedupeKey: recordPaymentDedupeKey(event.merchantId, event.xenditInvoiceId) },
        effect.enqueueBackendPayment && { kind: RECORD_BACKEND_PAYMENT_JOB, dedupeKey: recordBackendPaymentDedupeKey(event.merchantId, event.xenditInvoiceId) },
      ].filter((j): j is { kind: string; dedupeKey: string } => Boolean(j));
      const payload = JSON.stringify({ merchantId: event.merchantId, xenditInvoiceId: event.xenditInvoiceId });
      const checkout = effect.checkout;
      const { rows } = await sql<{ inserted: string | number }>`
        with ev as (
          insert into callback_events (merchant_id, xendit_invoice_id, external_id, status, raw, received_at)
          values (${event.merchantId}, ${event.xenditInvoiceId}, ${event.externalId}, ${event.status}, ${JSON.stringify(event.raw)}, ${now})
          on conflict on constraint callback_events_once do nothing
          returning id
        ), job as (
          insert into jobs (kind, merchant_id, payload, dedupe_key, state, max_attempts, run_at, created_at, updated_at)
          select j.kind, ${event.merchantId}, ${payload}::jsonb, j.dedupe_key, 'queued', ${DEFAULT_MAX_ATTEMPTS}, ${now}, ${now}, ${now}
          from unnest(${jobs.map((j) => j.kind)}::text[], ${jobs.map((j) => j.dedupeKey)}::text[]) as j(kind, dedupe_key)
          on conflict (dedupe_key) do nothing
          returning id
        ), co as (
          update checkouts set status = ${checkout?.to ?? null}, updated_at = ${now}
          where id = ${checkout?.id ?? null} and status = any(${checkout?.from ?? []}::text[])
          returning id
        )
        select count(*) as inserted from ev`.execute(db);
      const r = rows[0];
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
