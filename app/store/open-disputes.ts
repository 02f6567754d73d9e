/** Disputes still open when last read, looked at again until Xendit says WON or LOST (migration 20261205T2320). */
import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import { MOVEMENT_STATUSES } from './merchant-model.js';
import type { OpenDisputesTable } from './schema.js';

export interface OpenDispute {
  merchantId: string;
  xenditDisputeId: string;
  status: string;
  nextLookAt: Date;
  createdAt: Date;
}

const toOpenDispute = (r: Selectable<OpenDisputesTable>): OpenDispute => ({
  merchantId: r.merchant_id,
  xenditDisputeId: r.xendit_dispute_id,
  status: r.status,
  nextLookAt: r.next_look_at,
  createdAt: r.created_at,
});

export function createOpenDisputeStore(db: Db) {
  return {
    /** Open when read: kept (or its status and next look updated). */
    async watch(merchantId: string, xenditDisputeId: string, status: string, nextLookAt: Date, now: Date): Promise<void> {
      await db
        .insertInto('open_disputes')
        .values({ merchant_id: merchantId, xendit_dispute_id: xenditDisputeId, status, next_look_at: nextLookAt, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['merchant_id', 'xendit_dispute_id']).doUpdateSet({ status, next_look_at: nextLookAt, updated_at: now }))
        .execute();
    },

    /** WON or LOST: nothing more to look for. */
    async settled(merchantId: string, xenditDisputeId: string): Promise<void> {
      await db.deleteFrom('open_disputes').where('merchant_id', '=', merchantId).where('xendit_dispute_id', '=', xenditDisputeId).execute();
    },

    /** A merchant's, the longest open first (the admin's Disputes page). */
    async forMerchant(merchantId: string, limit: number): Promise<OpenDispute[]> {
      const rows = await db.selectFrom('open_disputes').selectAll().where('merchant_id', '=', merchantId).orderBy('created_at').limit(limit).execute();
      return rows.map(toOpenDispute);
    },

    /** Those due a look, of merchants whose money is still listed (listsMovements), the longest waiting first. */
    async due(now: Date, limit: number): Promise<OpenDispute[]> {
      const rows = await db
        .selectFrom('open_disputes as d')
        .innerJoin('merchants as m', 'm.id', 'd.merchant_id')
        .where('m.status', 'in', [...MOVEMENT_STATUSES])
        .where('d.next_look_at', '<=', now)
        .selectAll('d')
        .orderBy('d.next_look_at')
        .limit(limit)
        .execute();
      return rows.map(toOpenDispute);
    },
  };
}

export type OpenDisputeStore = ReturnType<typeof createOpenDisputeStore>;
