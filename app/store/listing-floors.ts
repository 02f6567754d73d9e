import type { Db } from './db.js';

/** From when a listing an upgrade added may book (migrations 20261207T1655, 20261208T0050); null: no floor recorded. */
export function createListingFloorStore(db: Db) {
  return {
    async since(listing: 'chargeback' | 'refund'): Promise<Date | null> {
      const r = await db.selectFrom('listing_floors').select('since').where('listing', '=', listing).executeTakeFirst();
      return r ? new Date(r.since) : null;
    },
  };
}
