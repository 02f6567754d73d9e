import { sql } from 'kysely';
import type { Db } from './db.js';
import { insertJob, type NewJobRow } from './jobs.js';
import { MOVEMENT_STATUSES, type XenditMode } from './merchant-model.js';

/**
 * Where the backend flow's listing of paid Xendit invoices stands for a merchant's key of one mode
 * (each key's account is listed on its own, migration 20261206T1944): invoices paid after
 * `paidAfter` are still to be seen; a window [paidAfter, windowEnd] is walked page by page,
 * continuing after `lastInvoiceId`. paidAfter null: never listed with this key.
 */
export interface ListingCursor {
  merchantId: string;
  mode: XenditMode;
  paidAfter: Date | null;
  windowEnd: Date | null;
  lastInvoiceId: string | null;
}

/**
 * The backend flow is being turned back on (off → on, in the transaction that turns it on): its
 * cursors are forgotten, so the next listing starts where a first one does
 * (BACKEND_LISTING_LOOKBACK_MINUTES back), for every key. Kept, they would reach back to where the
 * listing stopped when it was turned off and book every sale paid while it was off, which the
 * merchant may have entered by hand meanwhile.
 */
export async function restartListing(trx: Db, merchantId: string): Promise<void> {
  const was = await trx.selectFrom('merchants').select('backend_flow').where('id', '=', merchantId).forNoKeyUpdate().executeTakeFirst();
  if (was && !was.backend_flow) await trx.deleteFrom('paid_listing_cursors').where('merchant_id', '=', merchantId).execute();
}

export function createListingStore(db: Db) {
  return {
    /**
     * Merchants whose listing runs, the least recently listed first: backend flow on, a Xendit key
     * set, and onboarding, active or disabled. A disabled merchant's backend-flow callbacks are still
     * recorded (callback_accept), so the listing that stands in for a lost one runs for it too.
     */
    async due(merchantId?: string): Promise<string[]> {
      let q = db
        .selectFrom('merchants as m')
        .select('m.id')
        .where('m.backend_flow', '=', true)
        .where('m.status', 'in', ['onboarding', ...MOVEMENT_STATUSES])
        .where('m.xendit_secret_key_enc', 'is not', null)
        .orderBy(sql`(select min(c.paid_after) from paid_listing_cursors c where c.merchant_id = m.id)`, (ob) => ob.asc().nullsFirst())
        .orderBy('m.id');
      if (merchantId) q = q.where('m.id', '=', merchantId);
      return (await q.execute()).map((r) => r.id);
    },

    async cursor(merchantId: string, mode: XenditMode): Promise<ListingCursor> {
      const r = await db.selectFrom('paid_listing_cursors').selectAll().where('merchant_id', '=', merchantId).where('mode', '=', mode).executeTakeFirst();
      return {
        merchantId,
        mode,
        paidAfter: r ? new Date(r.paid_after) : null,
        windowEnd: r?.window_end ? new Date(r.window_end) : null,
        lastInvoiceId: r?.last_invoice_id ?? null,
      };
    },

    /** Fixes the window this and the next runs walk until it is done. */
    async openWindow(merchantId: string, mode: XenditMode, paidAfter: Date, windowEnd: Date): Promise<void> {
      const values = { paid_after: paidAfter, window_end: windowEnd, last_invoice_id: null };
      await db
        .insertInto('paid_listing_cursors')
        .values({ merchant_id: merchantId, mode, ...values })
        .onConflict((oc) => oc.columns(['merchant_id', 'mode']).doUpdateSet(values))
        .execute();
    },

    /**
     * One page seen: the jobs for its unknown paid invoices are queued (the backend flow's, with the
     * same dedupe key as a callback's) and the cursor moves on, in ONE transaction, so the cursor
     * never gets ahead of what is durably queued. `next`: continue after this invoice; `narrowed`:
     * the window now ends here and is walked again from its first page (the rest is the next
     * window's); `done`: the cursor moves to the window's end. Returns how many jobs were new.
     */
    async queuePage(
      c: { merchantId: string; mode: XenditMode; windowEnd: Date },
      jobs: NewJobRow[],
      move: { next: string } | { narrowed: Date } | 'done',
    ): Promise<number> {
      return db.transaction().execute(async (trx) => {
        let added = 0;
        for (const job of jobs) if (await insertJob(trx, job)) added++;
        await trx
          .updateTable('paid_listing_cursors')
          .set(
            move === 'done'
              ? { paid_after: c.windowEnd, window_end: null, last_invoice_id: null }
              : 'narrowed' in move
                ? { window_end: move.narrowed, last_invoice_id: null }
                : { last_invoice_id: move.next },
          )
          .where('merchant_id', '=', c.merchantId)
          .where('mode', '=', c.mode)
          .execute();
        return added;
      });
    },
  };
}

export type ListingStore = ReturnType<typeof createListingStore>;
