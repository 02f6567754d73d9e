/** Fees Xendit gave back with a refund, and their entries in Xero (migration 20261205T2100). */
import { sql, type Selectable } from 'kysely';
import type { Db } from './db.js';
import { int8 } from './int8.js';
import { fencedUpdate, type Claim } from './claim-fence.js';
import type { FeeReturnEntryKind, FeeReturnsTable } from './schema.js';

/** Another job over the same payment marked or booked its fee return after this run read it: nothing was sent. */
export class MarkMoved extends Error {
  constructor(paymentId: string) {
    super(`the fee given back of payment ${paymentId} was marked or booked by another job meanwhile: nothing sent`);
  }
}

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
  /** The account it was sent to, with entryKind (null: sent before it was kept, migration 20261206T1815). */
  entryAccount: string | null;
  /** Set while the entry may have reached Xero without an answer. */
  attemptAt: Date | null;
  xeroEntryId: string | null;
  createdAt: Date;
}

/** Where a fee given back is sent: a Receive Money into that bank account, or a manual journal on that account. */
export interface FeeReturnEntry {
  kind: FeeReturnEntryKind;
  accountId: string;
}

const toFeeReturn = (r: Selectable<FeeReturnsTable>): FeeReturn => ({
  paymentId: r.payment_id,
  merchantId: r.merchant_id,
  refundId: r.refund_id,
  returnedAt: r.returned_at,
  fee: int8(r.fee),
  tax: int8(r.tax),
  entryKind: r.entry_kind,
  entryAccount: r.entry_account,
  attemptAt: r.attempt_at,
  xeroEntryId: r.xero_entry_id,
  createdAt: r.created_at,
});

export function createFeeReturnStore(db: Db) {
  return {
    async byPayment(paymentId: string): Promise<FeeReturn | null> {
      return (await this.byPayments([paymentId])).get(paymentId) ?? null;
    },

    /** The fee returns of these payments, by payment. */
    async byPayments(paymentIds: string[]): Promise<Map<string, FeeReturn>> {
      if (!paymentIds.length) return new Map();
      const rows = await db.selectFrom('fee_returns').selectAll().where('payment_id', 'in', paymentIds).execute();
      return new Map(rows.map((r) => [r.payment_id, toFeeReturn(r)]));
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

    /**
     * Committed before the entry is sent (with its kind and account, kept from then on); null once
     * Xero answered that it did not take it. With `claim`, only while it holds its job (send-once.ts).
     * Only over the mark `seen` (the one this run read, or set), and not once booked: each refund of
     * the payment and each daily look has its own job over this one row, so a claim alone does not
     * stop two jobs from sending (a mark set meanwhile throws MarkMoved; a clear over another run's
     * mark writes nothing).
     */
    async noteAttempt(paymentId: string, entry: FeeReturnEntry, at: Date | null, now: Date, seen: Date | null, claim?: Claim): Promise<boolean> {
      const written = await fencedUpdate(
        db
          .updateTable('fee_returns')
          .set({ entry_kind: entry.kind, entry_account: entry.accountId, attempt_at: at, updated_at: now })
          .where('payment_id', '=', paymentId)
          .where('xero_entry_id', 'is', null)
          .where(sql<boolean>`attempt_at is not distinct from ${seen}`),
        claim,
      );
      if (written || at === null) return written;
      const row = await this.byPayment(paymentId);
      if (row && (row.xeroEntryId || row.attemptAt?.getTime() !== seen?.getTime())) throw new MarkMoved(paymentId);
      return false;
    },

    async booked(paymentId: string, xeroEntryId: string, now: Date): Promise<void> {
      await db.updateTable('fee_returns').set({ xero_entry_id: xeroEntryId, attempt_at: null, updated_at: now }).where('payment_id', '=', paymentId).execute();
    },
  };
}
