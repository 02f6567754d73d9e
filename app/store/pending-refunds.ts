/**
 * Refunds the scheduled refund listing saw PENDING, per merchant and key mode, read again by id
 * until they end or outlast the hold (jobs/sync/list-refunds.ts; migration 20261206T1946).
 */
import type { Db } from './db.js';
import { MOVEMENT_STATUSES, type XenditMode } from './merchant-model.js';

export interface PendingRefund {
  merchantId: string;
  mode: XenditMode;
  xenditRefundId: string;
  /** When Xendit made it: the hold counts from here. */
  created: Date;
}

export function createPendingRefundStore(db: Db) {
  return {
    /** Seen PENDING (now): kept, marked as read now so the same run does not read it again by id. */
    async watch(p: PendingRefund, now: Date): Promise<void> {
      await db
        .insertInto('pending_refunds')
        .values({ merchant_id: p.merchantId, mode: p.mode, xendit_refund_id: p.xenditRefundId, created: p.created, looked_at: now })
        .onConflict((oc) => oc.columns(['merchant_id', 'mode', 'xendit_refund_id']).doUpdateSet({ looked_at: now }))
        .execute();
    },

    /** Read again (still PENDING, or could not be read): to the back of the queue. */
    async looked(p: Pick<PendingRefund, 'merchantId' | 'mode' | 'xenditRefundId'>, now: Date): Promise<void> {
      await db
        .updateTable('pending_refunds')
        .set({ looked_at: now })
        .where('merchant_id', '=', p.merchantId)
        .where('mode', '=', p.mode)
        .where('xendit_refund_id', '=', p.xenditRefundId)
        .execute();
    },

    /** Ended (or passed after the hold): nothing more to read. */
    async ended(merchantId: string, mode: XenditMode, xenditRefundIds: readonly string[]): Promise<void> {
      if (!xenditRefundIds.length) return;
      await db
        .deleteFrom('pending_refunds')
        .where('merchant_id', '=', merchantId)
        .where('mode', '=', mode)
        .where('xendit_refund_id', 'in', [...xenditRefundIds])
        .execute();
    },

    /**
     * Those not read since `before` (the run's start: one the listing read this run is not read
     * again), of merchants whose money is still listed (listsMovements), the longest unread first.
     */
    async due(before: Date, limit: number): Promise<PendingRefund[]> {
      const rows = await db
        .selectFrom('pending_refunds as p')
        .innerJoin('merchants as m', 'm.id', 'p.merchant_id')
        .where('m.status', 'in', [...MOVEMENT_STATUSES])
        .where('p.looked_at', '<', before)
        .select(['p.merchant_id', 'p.mode', 'p.xendit_refund_id', 'p.created'])
        .orderBy('p.looked_at')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ merchantId: r.merchant_id, mode: r.mode, xenditRefundId: r.xendit_refund_id, created: new Date(r.created) }));
    },
  };
}

export type PendingRefundStore = ReturnType<typeof createPendingRefundStore>;
