import type { Db } from './db.js';
import type { XenditMode } from './merchant-model.js';

/** A refund as Xendit listed it: its id (none for a point in time only) and when Xendit made it. */
export interface RefundMark {
  id: string | null;
  created: Date;
}

/**
 * Where the refund listing stands when Xendit lists refunds newest first (migration 20261206T2129).
 * `mark`: every refund listed down to this one has been read (null: no walk finished yet). `walk`:
 * a walk from the newest that a run's page budget did not finish, continued after `afterId`; `top`,
 * the newest refund it read, becomes the mark once it reaches the old one.
 */
export interface NewestFirstListing {
  mark: RefundMark | null;
  walk: { afterId: string; top: RefundMark | null; startedAt: Date } | null;
}

/**
 * Where the scheduled refund listing continues for a merchant's key of one mode (each key's account
 * is listed on its own, migration 20261206T1944) (jobs/sync/list-refunds.ts). Oldest first: the id
 * of the last refund read whose job is queued, given back to Xendit as after_id (null: read from
 * the start). Newest first: how far back it has read (newestFirst).
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

    async newestFirst(merchantId: string, mode: XenditMode): Promise<NewestFirstListing | null> {
      const r = await db.selectFrom('refund_list_marks').selectAll().where('merchant_id', '=', merchantId).where('mode', '=', mode).executeTakeFirst();
      if (!r) return null;
      const at = (id: string | null, created: Date | null): RefundMark | null => (created ? { id, created: new Date(created) } : null);
      return {
        mark: at(r.mark_id, r.mark_created),
        walk:
          r.walk_after_id && r.walk_started_at
            ? { afterId: r.walk_after_id, top: at(r.walk_top_id, r.walk_top_created), startedAt: new Date(r.walk_started_at) }
            : null,
      };
    },

    /** Called only once the jobs of what it moves past are committed; null (or nothing kept): the next run judges the order again. */
    async setNewestFirst(merchantId: string, mode: XenditMode, l: NewestFirstListing | null): Promise<void> {
      if (!l || (!l.mark && !l.walk)) {
        await db.deleteFrom('refund_list_marks').where('merchant_id', '=', merchantId).where('mode', '=', mode).execute();
        return;
      }
      const values = {
        mark_id: l.mark?.id ?? null,
        mark_created: l.mark?.created ?? null,
        walk_after_id: l.walk?.afterId ?? null,
        walk_top_id: l.walk?.top?.id ?? null,
        walk_top_created: l.walk?.top?.created ?? null,
        walk_started_at: l.walk?.startedAt ?? null,
      };
      await db
        .insertInto('refund_list_marks')
        .values({ merchant_id: merchantId, mode, ...values })
        .onConflict((oc) => oc.columns(['merchant_id', 'mode']).doUpdateSet(values))
        .execute();
    },
  };
}

export type RefundListingStore = ReturnType<typeof createRefundListingStore>;
