/** Refunds asked of Xendit from the admin (migration 20261205T1010). */
import type { Selectable, Updateable } from 'kysely';
import type { Db } from './db.js';
import { int8 } from './int8.js';
import type { RefundRequestState, RefundRequestsTable } from './schema.js';
import type { Currency } from '../money.js';
import { isUuid } from '../security/uuid.js';

/**
 * How much of a reason is kept. A longer one is cut here, which would break an encoded message
 * (i18n encodeMessage): those are made to fit (jobs/sync/refund-refusal.ts).
 */
export const LAST_ERROR_CHARS = 1000;

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
    /**
     * The request with this id, made now unless the same form was sent before (then the first
     * one), and only while the payment has room for it: `room` is told what the payment's other
     * requests ask (refused ones aside) and says whether this one still fits. Requests of one
     * payment are made one at a time (the payment row is locked), so two forms sent at once cannot
     * both take what is left. Undefined when it does not fit; `made` false for the earlier one.
     */
    async createIfRoom(
      r: Pick<RefundRequest, 'id' | 'merchantId' | 'paymentId' | 'requestedBy' | 'currency' | 'amount' | 'reason'>,
      room: (asked: { amount: number; xenditRefundId: string | null }[]) => boolean,
      now: Date,
    ): Promise<{ request: RefundRequest; made: boolean } | undefined> {
      return db.transaction().execute(async (trx) => {
        await trx.selectFrom('payments').select('id').where('id', '=', r.paymentId).forUpdate().execute();
        const same = await trx.selectFrom('refund_requests').selectAll().where('id', '=', r.id).executeTakeFirst();
        if (same) return { request: toRequest(same), made: false };
        const asked = await trx
          .selectFrom('refund_requests')
          .select(['amount', 'xendit_refund_id'])
          .where('payment_id', '=', r.paymentId)
          .where('state', '!=', 'refused')
          .execute();
        if (!room(asked.map((a) => ({ amount: int8(a.amount), xenditRefundId: a.xendit_refund_id })))) return undefined;
        const row = await trx
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
          .returningAll()
          .executeTakeFirstOrThrow();
        return { request: toRequest(row), made: true };
      });
    },

    async forPayment(paymentId: string): Promise<RefundRequest[]> {
      const rows = await db.selectFrom('refund_requests').selectAll().where('payment_id', '=', paymentId).orderBy('created_at').execute();
      return rows.map(toRequest);
    },

    /**
     * Committed before Xendit is asked, and only by whoever still sees the request as it was
     * (`seen`: its attempt mark when read, taken over only once older than `staleBefore`); false
     * when another sender got there first, which then owns the ask.
     */
    async claimAttempt(id: string, seen: Date | null, now: Date, staleBefore: Date): Promise<boolean> {
      // A mark younger than `staleBefore` may be an ask still waiting for Xendit's answer: its
      // sender owns it, and a second sender now would ask twice.
      if (seen && seen >= staleBefore) return false;
      const res = await db
        .updateTable('refund_requests')
        .set({ attempt_at: now, updated_at: now })
        .where('id', '=', id)
        .where('state', '=', 'sending')
        .where((eb) => (seen ? eb('attempt_at', '=', seen) : eb('attempt_at', 'is', null)))
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },
    /** Only from `sending`: a FAILED refund's job may have refused the request meanwhile. */
    async sent(id: string, xenditRefundId: string, now: Date): Promise<void> {
      await db
        .updateTable('refund_requests')
        .set({ state: 'sent', xendit_refund_id: xenditRefundId, attempt_at: null, last_error: null, updated_at: now })
        .where('id', '=', id)
        .where('state', '=', 'sending')
        .execute();
    },
    refused: (id: string, reason: string, now: Date) => update(id, { state: 'refused', attempt_at: null, last_error: reason.slice(0, LAST_ERROR_CHARS) }, now),
    /**
     * Xendit ended the refund FAILED (or it was cancelled). Only the request whose own refund it is
     * (its refund id stored from Xendit's answer) is refused, so its amount may be refunded again.
     * One found only by its reference_id (Xendit's answer was lost) or refused as a DUPLICATE_ERROR
     * may have a live twin, another refund of the same request still PENDING or SUCCEEDED (Xendit's
     * refund.failed example is such a duplicate): it keeps its amount counted and shows the reason;
     * the payment page's next look finds the live one or asks again (admin/payments/refund.ts).
     */
    async failedAtXendit(
      merchantId: string,
      r: { xenditRefundId: string; referenceId?: string; failureCode?: string },
      reason: string,
      now: Date,
    ): Promise<RefundRequest | null> {
      const own = r.failureCode !== 'DUPLICATE_ERROR';
      const row = await db
        .updateTable('refund_requests')
        .set(
          own
            ? { state: 'refused', attempt_at: null, last_error: reason.slice(0, LAST_ERROR_CHARS), updated_at: now }
            : { last_error: reason.slice(0, LAST_ERROR_CHARS), updated_at: now },
        )
        .where('merchant_id', '=', merchantId)
        .where('state', 'in', ['sending', 'sent'])
        .where('xendit_refund_id', '=', r.xenditRefundId)
        .returningAll()
        .executeTakeFirst();
      if (row) return toRequest(row);
      // Request ids are uuids (the column's type): any other reference_id is not one of ours.
      if (!isUuid(r.referenceId)) return null;
      const noted = await db
        .updateTable('refund_requests')
        .set({ last_error: reason.slice(0, LAST_ERROR_CHARS), updated_at: now })
        .where('merchant_id', '=', merchantId)
        .where('id', '=', r.referenceId)
        .where('state', '=', 'sending')
        .where('xendit_refund_id', 'is', null)
        .returningAll()
        .executeTakeFirst();
      return noted ? toRequest(noted) : null;
    },

    /**
     * A live refund at Xendit (PENDING or SUCCEEDED) whose reference_id is a request still `sending`
     * without a refund id: Xendit made it though our ask's answer was lost. The request is `sent`
     * with that refund's id, so the refund and the request count once in what is left to refund.
     */
    async madeAtXendit(merchantId: string, refund: { id: string; status: string; referenceId?: string | null }, now: Date): Promise<boolean> {
      const requestId = refund.referenceId;
      if ((refund.status !== 'PENDING' && refund.status !== 'SUCCEEDED') || !requestId || !isUuid(requestId)) return false;
      const xenditRefundId = refund.id;
      const res = await db
        .updateTable('refund_requests')
        .set({ state: 'sent', xendit_refund_id: xenditRefundId, attempt_at: null, last_error: null, updated_at: now })
        .where('id', '=', requestId)
        .where('merchant_id', '=', merchantId)
        .where('state', '=', 'sending')
        .where('xendit_refund_id', 'is', null)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },

    /** The request with this id (a refund's reference_id when the gateway asked for it), of this merchant. */
    async byId(merchantId: string, id: string): Promise<RefundRequest | null> {
      if (!isUuid(id)) return null;
      const row = await db.selectFrom('refund_requests').selectAll().where('id', '=', id).where('merchant_id', '=', merchantId).executeTakeFirst();
      return row ? toRequest(row) : null;
    },
    /** The request Xendit made this refund for (its id stored from Xendit's answer), of this merchant. */
    async byXenditRefundId(merchantId: string, xenditRefundId: string): Promise<RefundRequest | null> {
      const row = await db
        .selectFrom('refund_requests')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('xendit_refund_id', '=', xenditRefundId)
        .executeTakeFirst();
      return row ? toRequest(row) : null;
    },
    noteError: (id: string, error: string, now: Date) => update(id, { last_error: error.slice(0, LAST_ERROR_CHARS) }, now),
  };
}
