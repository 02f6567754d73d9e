import type { Db } from './db.js';
import type { XenditMode } from './merchant-model.js';

/**
 * Where the scheduled refund listing continues for a merchant's key of one mode (each key's account
 * is listed on its own, migration 20261206T1944) when Xendit lists refunds oldest first
 * (jobs/sync/list-refunds.ts): the id of the last refund read whose job is queued, given back to
 * Xendit as after_id. Null: read from the start.
 */
export function createRefundListingStore(db: Db) {
  return {
    async cursor(merchantId: string, mode: XenditMode): Promise<string | null> {
      const row = await db
        .selectFrom('refund_list_cursors')
        .select('after_id')
        .where('merchant_id', '=', merchantId)
        .where('mode', '=', mode)
        .executeTakeFirst();
      return row?.after_id ?? null;
    },

    /** Called only once the jobs of what it moves past are committed, so it never gets ahead of them. */
    async setCursor(merchantId: string, mode: XenditMode, afterId: string | null): Promise<void> {
      if (afterId === null) {
        await db.deleteFrom('refund_list_cursors').where('merchant_id', '=', merchantId).where('mode', '=', mode).execute();
        return;
      }
      await db
        .insertInto('refund_list_cursors')
        .values({ merchant_id: merchantId, mode, after_id: afterId })
        .onConflict((oc) => oc.columns(['merchant_id', 'mode']).doUpdateSet({ after_id: afterId }))
        .execute();
    },
  };
}

export type RefundListingStore = ReturnType<typeof createRefundListingStore>;
