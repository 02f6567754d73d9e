import { strict as assert } from 'node:assert';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { box } from '../helpers/harness.js';
import { createStores } from '../../app/store/index.js';
import * as m010 from '../../app/store/migrations/010_dashboard.js';

describeEachDatabase('migration 010: existing Xendit keys land in the column of their mode', ({ db }) => {
  it('copies a live key to xendit_live_key_enc and a test key to xendit_test_key_enc, keeping the one in use', async () => {
    await sql`truncate jobs, payments, callback_events, checkouts, merchants restart identity cascade`.execute(db());
    const stores = createStores(db(), box);
    const xero = { clientId: 'c', clientSecret: 's', tenantId: '' };
    const live = await stores.merchants.add({ name: 'Live', shortCode: '!MIG1', xero, xenditSecretKey: 'xnd_production_Mig1', callbackToken: 't' });
    const test = await stores.merchants.add({ name: 'Test', shortCode: '!MIG2', xero, xenditSecretKey: 'xnd_development_Mig2', callbackToken: 't' });
    const none = await stores.merchants.add({ name: 'None', shortCode: '!MIG3', xero });
    // Back to before 010 (as a database upgraded from an older release), then forward again.
    await m010.down(db());
    await m010.up(db());
    assert.deepEqual((await stores.merchants.byId(live.id))!.xenditKeys, { test: '', live: 'xnd_production_Mig1' });
    assert.deepEqual((await stores.merchants.byId(test.id))!.xenditKeys, { test: 'xnd_development_Mig2', live: '' });
    assert.deepEqual((await stores.merchants.byId(none.id))!.xenditKeys, { test: '', live: '' });
    assert.equal((await stores.merchants.byId(live.id))!.xenditSecretKey, 'xnd_production_Mig1');
    // The mode switch works on migrated rows: no test key stored, so no switch.
    assert.equal(await stores.merchants.switchXenditMode(live.id, 'test', new Date()), false);
    assert.equal(await stores.merchants.switchXenditMode(live.id, 'live', new Date()), true);
    await sql`truncate merchants restart identity cascade`.execute(db());
  });
});
