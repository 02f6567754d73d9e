import type { Db } from './db.js';

/**
 * Where the scheduled refund listing continues for a merchant when Xendit lists refunds oldest
 * first (jobs/sync/list-refunds.ts): the id of the last refund read whose job is queued, given
 * back to Xendit as after_id. Null: read from the start.
 */
export function createRefundListingStore(db: Db) {
  return {
    async cursor(merchantId: string): Promise<string | null> {
      const row = await db.selectFrom('merchants').select('refund_list_after_id').where('id', '=', merchantId).executeTakeFirst();
      return row?.refund_list_after_id ?? null;
    },

    /** Called only once the jobs of what it moves past are committed, so it never gets ahead of them. */
    async setCursor(merchantId: string, afterId: string | null): Promise<void> {
      await db.updateTable('merchants').set({ refund_list_after_id: afterId }).where('id', '=', merchantId).execute();
    },
  };
}

export type RefundListingStore = ReturnType<typeof createRefundListingStore>;
