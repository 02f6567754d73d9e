import { strict as assert } from 'node:assert';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { box } from '../helpers/harness.js';
import { createStores } from '../../app/store/index.js';
import * as perKey from '../../app/store/migrations/20261206T1944_listing_cursors_per_key.js';

describeEachDatabase('migration 20261206T1944_listing_cursors_per_key: each listing keeps a cursor per key mode', ({ db }) => {
  it("the cursors kept so far become those of the mode in use (the only key listed until then); the other key's listings start fresh", async () => {
    await sql`truncate merchants restart identity cascade`.execute(db());
    const stores = createStores(db(), box);
    const merchant = await stores.merchants.add({
      name: 'M',
      shortCode: '!MIGLC',
      xero: { clientId: 'c', clientSecret: 's', tenantId: '' },
      xenditSecretKey: 'xnd_production_MigrationLive1234',
      callbackToken: 't',
      clearingAccountId: 'acc',
    });
    const paidAfter = new Date('2026-12-01T00:00:00Z');
    const windowEnd = new Date('2026-12-01T01:00:00Z');
    await perKey.down(db());
    await sql`update merchants set listing_paid_after = ${paidAfter}, listing_window_end = ${windowEnd}, listing_last_invoice_id = 'inv_9',
      refund_list_after_id = 'rfd_9' where id = ${merchant.id}`.execute(db());
    await sql`insert into withdrawal_list_cursors (merchant_id, currency, listing, since, after_id, started_at)
      values (${merchant.id}, 'IDR', 'created', ${paidAfter}, 'txn_9', ${windowEnd})`.execute(db());
    await perKey.up(db());

    assert.deepEqual(await stores.listing.cursor(merchant.id, 'live'), { merchantId: merchant.id, mode: 'live', paidAfter, windowEnd, lastInvoiceId: 'inv_9' });
    assert.equal((await stores.listing.cursor(merchant.id, 'test')).paidAfter, null);
    assert.equal(await stores.refundListing.cursor(merchant.id, 'live'), 'rfd_9');
    assert.equal(await stores.refundListing.cursor(merchant.id, 'test'), null);
    const at = { merchantId: merchant.id, currency: 'IDR', listing: 'created' } as const;
    assert.equal((await stores.settlements.listCursor({ ...at, mode: 'live' }))?.afterId, 'txn_9');
    assert.equal(await stores.settlements.listCursor({ ...at, mode: 'test' }), null);
    // Each mode's cursor moves on its own.
    await stores.settlements.setListCursor({ ...at, mode: 'test' }, { since: paidAfter, afterId: 'txn_t', startedAt: windowEnd });
    assert.equal((await stores.settlements.listCursor({ ...at, mode: 'live' }))?.afterId, 'txn_9');
  });
});
