/** Refunds asked of Xendit from the admin (migration 20261205T1010). */
import type { Selectable, Updateable } from 'kysely';
import type { Db } from './db.js';
import { int8 } from './int8.js';
import type { RefundRequestState, RefundRequestsTable } from './schema.js';
import type { Currency } from '../money.js';

export interface RefundRequest {
  id: string;
  merchantId: string;
  paymentId: string;
  requestedBy: string | null;
  currency: Currency;
  amount: number; // minor units
  reason: string;
  state: RefundRequestState;
  xenditRefundId: string | null;
  /** Set while a request may have reached Xendit without an answer. */
  attemptAt: Date | null;
  lastError: string | null;
  createdAt: Date;
}

const toRequest = (r: Selectable<RefundRequestsTable>): RefundRequest => ({
  id: r.id,
  merchantId: r.merchant_id,
  paymentId: r.payment_id,
  requestedBy: r.requested_by,
  currency: r.currency as Currency,
  amount: int8(r.amount),
  reason: r.reason,
  state: r.state,
  xenditRefundId: r.xendit_refund_id,
  attemptAt: r.attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
});

export function createRefundRequestStore(db: Db) {
  const update = async (id: string, set: Updateable<RefundRequestsTable>, now: Date) => {
    await db
      .updateTable('refund_requests')
      .set({ ...set, updated_at: now })
      .where('id', '=', id)
      .execute();
  };
  return {
    /** The request with this id, made now unless the same form was sent before (then the first one). */
    async getOrCreate(r: Pick<RefundRequest, 'id' | 'merchantId' | 'paymentId' | 'requestedBy' | 'currency' | 'amount' | 'reason'>, now: Date) {
      await db
        .insertInto('refund_requests')
        .values({
          id: r.id,
          merchant_id: r.merchantId,
          payment_id: r.paymentId,
          requested_by: r.requestedBy,
          currency: r.currency,
          amount: r.amount,
          reason: r.reason,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      return toRequest(await db.selectFrom('refund_requests').selectAll().where('id', '=', r.id).executeTakeFirstOrThrow());
    },

    async forPayment(paymentId: string): Promise<RefundRequest[]> {
      const rows = await db.selectFrom('refund_requests').selectAll().where('payment_id', '=', paymentId).orderBy('created_at').execute();
      return rows.map(toRequest);
    },

    /** Committed before Xendit is asked; null once Xendit answered. */
    noteAttempt: (id: string, at: Date | null, now: Date) => update(id, { attempt_at: at }, now),
    sent: (id: string, xenditRefundId: string, now: Date) =>
      update(id, { state: 'sent', xendit_refund_id: xenditRefundId, attempt_at: null, last_error: null }, now),
    refused: (id: string, reason: string, now: Date) => update(id, { state: 'refused', attempt_at: null, last_error: reason.slice(0, 1000) }, now),
    noteError: (id: string, error: string, now: Date) => update(id, { last_error: error.slice(0, 1000) }, now),
  };
}
