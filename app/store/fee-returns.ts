/** Fees Xendit gave back with a refund, and their entries in Xero (migration 20261205T2100). */
import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import { int8 } from './int8.js';
import type { FeeReturnEntryKind, FeeReturnsTable } from './schema.js';

export interface FeeReturn {
  paymentId: string;
  merchantId: string;
  /** The refund whose booking found it. */
  refundId: string;
  /** When Xendit gave it back: the refund's time. */
  returnedAt: Date;
  fee: number; // minor units
  tax: number; // minor units
  /** Decided once, before the first attempt: what a retry looks for. */
  entryKind: FeeReturnEntryKind | null;
  /** Set while the entry may have reached Xero without an answer. */
  attemptAt: Date | null;
  xeroEntryId: string | null;
  createdAt: Date;
}

const toFeeReturn = (r: Selectable<FeeReturnsTable>): FeeReturn => ({
  paymentId: r.payment_id,
  merchantId: r.merchant_id,
  refundId: r.refund_id,
  returnedAt: r.returned_at,
  fee: int8(r.fee),
  tax: int8(r.tax),
  entryKind: r.entry_kind,
  attemptAt: r.attempt_at,
  xeroEntryId: r.xero_entry_id,
  createdAt: r.created_at,
});

export function createFeeReturnStore(db: Db) {
  return {
    async byPayment(paymentId: string): Promise<FeeReturn | null> {
      const row = await db.selectFrom('fee_returns').selectAll().where('payment_id', '=', paymentId).executeTakeFirst();
      return row ? toFeeReturn(row) : null;
    },

    /** The payment's fee return: this one, or the one a concurrent booking wrote first. */
    async getOrCreate(r: Pick<FeeReturn, 'paymentId' | 'merchantId' | 'refundId' | 'returnedAt' | 'fee' | 'tax'>, now: Date): Promise<FeeReturn> {
      await db
        .insertInto('fee_returns')
        .values({
          payment_id: r.paymentId,
          merchant_id: r.merchantId,
          refund_id: r.refundId,
          returned_at: r.returnedAt,
          fee: r.fee,
          tax: r.tax,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('payment_id').doNothing())
        .execute();
      return (await this.byPayment(r.paymentId))!;
    },

    /** Committed before the entry is sent (with its kind, kept from then on); null once Xero answered that it did not take it. */
    async noteAttempt(paymentId: string, kind: FeeReturnEntryKind, at: Date | null, now: Date): Promise<void> {
      await db.updateTable('fee_returns').set({ entry_kind: kind, attempt_at: at, updated_at: now }).where('payment_id', '=', paymentId).execute();
    },

    async booked(paymentId: string, xeroEntryId: string, now: Date): Promise<void> {
      await db.updateTable('fee_returns').set({ xero_entry_id: xeroEntryId, attempt_at: null, updated_at: now }).where('payment_id', '=', paymentId).execute();
    },
  };
}
