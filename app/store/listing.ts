import type { Db } from './db.js';
import { insertJob, type NewJobRow } from './jobs.js';
import { MOVEMENT_STATUSES } from './merchant-model.js';

/**
 * Where the backend flow's listing of paid Xendit invoices stands for a merchant: invoices paid
 * after `paidAfter` are still to be seen; a window [paidAfter, windowEnd] is walked page by page,
 * continuing after `lastInvoiceId`.
 */
export interface ListingCursor {
  merchantId: string;
  paidAfter: Date | null;
  windowEnd: Date | null;
  lastInvoiceId: string | null;
}

export function createListingStore(db: Db) {
  return {
    /**
     * Merchants whose listing runs: backend flow on, a Xendit key set, and onboarding, active or
     * disabled. A disabled merchant's backend-flow callbacks are still recorded (callback_accept),
     * so the listing that stands in for a lost one runs for it too.
     */
    async due(merchantId?: string): Promise<ListingCursor[]> {
      let q = db
        .selectFrom('merchants')
        .select(['id', 'listing_paid_after', 'listing_window_end', 'listing_last_invoice_id'])
        .where('backend_flow', '=', true)
        .where('status', 'in', ['onboarding', ...MOVEMENT_STATUSES])
        .where('xendit_secret_key_enc', 'is not', null)
        .orderBy('listing_paid_after', (ob) => ob.asc().nullsFirst())
        .orderBy('id');
      if (merchantId) q = q.where('id', '=', merchantId);
      const rows = await q.execute();
      return rows.map((r) => ({
        merchantId: r.id,
        paidAfter: r.listing_paid_after ? new Date(r.listing_paid_after) : null,
        windowEnd: r.listing_window_end ? new Date(r.listing_window_end) : null,
        lastInvoiceId: r.listing_last_invoice_id,
      }));
    },

    /** Fixes the window this and the next runs walk until it is done. */
    async openWindow(merchantId: string, paidAfter: Date, windowEnd: Date): Promise<void> {
      await db
        .updateTable('merchants')
        .set({ listing_paid_after: paidAfter, listing_window_end: windowEnd, listing_last_invoice_id: null })
        .where('id', '=', merchantId)
        .execute();
    },

    /**
     * One page seen: the jobs for its unknown paid invoices are queued (the backend flow's, with the
     * same dedupe key as a callback's) and the cursor moves on, in ONE transaction, so the cursor
     * never gets ahead of what is durably queued. `next`: continue after this invoice; `narrowed`:
     * the window now ends here and is walked again from its first page (the rest is the next
     * window's); `done`: the cursor moves to the window's end. Returns how many jobs were new.
     */
    async queuePage(c: { merchantId: string; windowEnd: Date }, jobs: NewJobRow[], move: { next: string } | { narrowed: Date } | 'done'): Promise<number> {
      return db.transaction().execute(async (trx) => {
        let added = 0;
        for (const job of jobs) if (await insertJob(trx, job)) added++;
        await trx
          .updateTable('merchants')
          .set(
            move === 'done'
              ? { listing_paid_after: c.windowEnd, listing_window_end: null, listing_last_invoice_id: null }
              : 'narrowed' in move
                ? { listing_window_end: move.narrowed, listing_last_invoice_id: null }
                : { listing_last_invoice_id: move.next },
          )
          .where('id', '=', c.merchantId)
          .execute();
        return added;
      });
    },
  };
}

export type ListingStore = ReturnType<typeof createListingStore>;
