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
     * Decides where a callback goes and stores it with its follow-up, in one statement (so one
     * round trip, atomic without BEGIN/COMMIT; data-modifying CTEs run exactly once whether read or
     * not): an invoice of one of our checkouts → the event, on `paid` a record-payment job, and the
     * checkout moved as `checkoutMove` says; otherwise, when paid and the merchant records payments
     * made outside Xero (backend flow) → the event and a record-backend-payment job; otherwise
     * nothing is written ('ignored'). A 200 to Xendit therefore always means the work is durably
     * queued. duplicate: the same (invoice, status) came before.
     */
    async accept(
      event: CallbackEvent,
      rules: { paid: boolean; checkoutMove?: { from: CheckoutStatus[]; to: CheckoutStatus } },
      now: Date,
    ): Promise<{ route: 'checkout' | 'backend' | 'ignored'; duplicate: boolean }> {
      // SQL text rather than the query builder: building this tree was a sixth of a callback's CPU.
      const payload = JSON.stringify({ merchantId: event.merchantId, xenditInvoiceId: event.xenditInvoiceId });
      const move = rules.checkoutMove;
      const { rows } = await sql<{ route: 'checkout' | 'backend' | 'ignored'; inserted: string | number }>`
        with co as (
          select id from checkouts
          where merchant_id = ${event.merchantId} and (xendit_invoice_id = ${event.xenditInvoiceId} or external_id = ${event.externalId})
          limit 1
        ), decided as (
          select (select id from co) as checkout_id,
            case
              when exists (select 1 from co) then 'checkout'
              when ${rules.paid}::boolean and coalesce((select backend_flow from merchants where id = ${event.merchantId}), false) then 'backend'
              else 'ignored'
            end as route
        ), ev as (
          insert into callback_events (merchant_id, xendit_invoice_id, external_id, status, raw, received_at)
          select ${event.merchantId}, ${event.xenditInvoiceId}, ${event.externalId}, ${event.status}, ${JSON.stringify(event.raw)}::jsonb, ${now}
          from decided where route <> 'ignored'
          on conflict on constraint callback_events_once do nothing
          returning id
        ), job as (
          insert into jobs (kind, merchant_id, payload, dedupe_key, state, max_attempts, run_at, created_at, updated_at)
          select
            case route when 'checkout' then 'record-payment' else ${RECORD_BACKEND_PAYMENT_JOB} end,
            ${event.merchantId}, ${payload}::jsonb,
            case route when 'checkout' then ${recordPaymentDedupeKey(event.merchantId, event.xenditInvoiceId)}
              else ${recordBackendPaymentDedupeKey(event.merchantId, event.xenditInvoiceId)} end,
            'queued', ${DEFAULT_MAX_ATTEMPTS}, ${now}, ${now}, ${now}
          from decided where ${rules.paid}::boolean and route <> 'ignored'
          on conflict (dedupe_key) do nothing
          returning id
        ), moved as (
          update checkouts set status = ${move?.to ?? null}::text, updated_at = ${now}
          where id = (select checkout_id from decided) and ${move?.to ?? null}::text is not null and status = any(${move?.from ?? []}::text[])
          returning id
        )
        select (select route from decided) as route, (select count(*) from ev) as inserted`.execute(db);
      return { route: rows[0].route, duplicate: Number(rows[0].inserted) === 0 };
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
