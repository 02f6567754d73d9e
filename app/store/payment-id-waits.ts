/**
 * Refunds and chargebacks that name no invoice are tied to their payment by Xendit's payment_id,
 * which a payment recorded before its PAID callback came learns only from that callback. The jobs
 * that gave up for want of it (marked: waitsForPaymentIds) run again when a payment learns it
 * (jobs-waiting-payment-id.sql); the two sides that may give a payment its id, the callback
 * (callbacks.sql) and the job that made the payment (fillPaymentId), share a lock.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Insertable, Selectable } from 'kysely';
import type { Db } from './db.js';
import type { PaymentsTable } from './schema/payments.js';

type PaymentRow = Insertable<PaymentsTable>;

/** The kinds that wait for a payment (record-refund.ts `waitFor`, `waitForPaymentIds`). */
export const WAITING_KINDS: readonly string[] = ['record-refund', 'record-dispute'];

/** As WAIT_LOCK_CLASS, for the waits for a payment_id (jobs-waiting-payment-id.sql). */
export const WAIT_PAYMENT_ID_LOCK_CLASS = 0x77706964; // 'wpid'

/** One call of jobs_requeue_waiting_payment_id (jobs-waiting-payment-id.sql): `jobId` null from the payment's side. */
export function requeuePaymentIdCall(merchantId: RawBuilder<unknown>, paymentIds: RawBuilder<unknown>, at: RawBuilder<unknown>, jobId: number | null) {
  return sql<number>`jobs_requeue_waiting_payment_id(${WAIT_PAYMENT_ID_LOCK_CLASS}::int, ${sql.val(WAITING_KINDS)}::text[], ${merchantId}, ${paymentIds}, ${at}, ${jobId}::bigint)`;
}

/**
 * The refund and chargeback jobs that gave up because their payment_id matched no payment (in
 * review, or done without booking; jobs.waitForPaymentIds) are queued again, in the caller's
 * transaction, now that a payment of the merchant has `paymentId`. Its side of the handshake in
 * jobs-waiting-payment-id.sql: call it after the payment's id is written, in the same transaction.
 */
export async function requeueWaitingPaymentId(db: Db, merchantId: string, paymentId: string, at: Date): Promise<number> {
  const { rows } = await sql<{
    n: number;
  }>`select ${requeuePaymentIdCall(sql.val(merchantId), sql`array[${paymentId}]::text[]`, sql`${at}::timestamptz`, null)} as n`.execute(db);
  return rows[0].n;
}

/**
 * The payments created by this insert that already carry a payment_id (their PAID callback came
 * before them) queue the refund and chargeback jobs that gave up waiting for one of those ids:
 * no callback or fillPaymentId will give them one later. One statement (the PAID path's insert),
 * so the wake's shared locks are held until the insert commits, as the handshake wants. `woke` is
 * read by the outer query, or PostgreSQL would not run it; with no row created there is nothing to wake.
 */
export async function insertPaymentsWaking(db: Db, rows: PaymentRow[]): Promise<Selectable<PaymentsTable>[]> {
  return db
    .with('created', (q) =>
      q
        .insertInto('payments')
        .values(rows)
        .onConflict((oc) => oc.constraint('payments_once').doNothing())
        .returningAll(),
    )
    .with('woke', (q) =>
      q
        .selectFrom('created')
        .where('created.xendit_payment_id', 'is not', null)
        .groupBy('created.merchant_id')
        .select(requeuePaymentIdCall(sql.ref('created.merchant_id'), sql`array_agg(created.xendit_payment_id)`, sql`min(created.created_at)`, null).as('n')),
    )
    .selectFrom('created')
    .selectAll('created')
    .where(sql<boolean>`(select count(*) from woke) >= 0`)
    .execute();
}

/**
 * Two-key advisory lock class of a payment's Xendit payment_id being filled in, keyed by merchant
 * and invoice: taken by callback_accept (callbacks.sql) and fillPaymentId, so a payment made while
 * its PAID callback is being stored is filled by one side or the other.
 */
export const PAYMENT_ID_FILL_LOCK_CLASS = 0x70696466; // 'pidf'

export async function fillPaymentId(db: Db, p: { id: string; merchantId: string; xenditInvoiceId: string }, now: Date): Promise<string | null> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${PAYMENT_ID_FILL_LOCK_CLASS}::int, hashtext(${p.merchantId}::text || ':' || ${p.xenditInvoiceId}::text))`.execute(
      trx,
    );
    const { rows } = await sql<{ xendit_payment_id: string }>`
      update payments set xendit_payment_id = c.id, updated_at = ${now}
      from (select min(raw->>'payment_id') as id from callback_events
            where merchant_id = ${p.merchantId} and xendit_invoice_id = ${p.xenditInvoiceId} and status in ('PAID', 'SETTLED')
              and jsonb_typeof(raw->'payment_id') = 'string' and length(raw->>'payment_id') between 1 and 100
            having count(distinct raw->>'payment_id') = 1) c
      where payments.id = ${p.id} and payments.xendit_payment_id is null
      returning payments.xendit_payment_id`.execute(trx);
    const filled = rows[0]?.xendit_payment_id ?? null;
    if (filled) await requeueWaitingPaymentId(trx, p.merchantId, filled, now);
    return filled;
  });
}
