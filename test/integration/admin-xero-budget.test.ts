import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminMerchantPath, paths } from '../../app/paths.js';

/**
 * The admin's pages read Xero on every load, out of the same minute and day as the customers' pay
 * clicks: a staff user reloading /admin (or a tab that refreshes itself) took the merchant's whole
 * minute, and every pay click got 503.
 */
describeEachDatabase("admin pages and the customers' Xero budget", ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    // The default limits: 60 Xero calls a minute per organisation.
    h = await createHarness(db(), { xeroLimits: {} });
    // Xero's own limits counted in the test's minutes, as the gateway's budget counts them.
    h.sims.xero.test.useClock(h.clock);
    await seedAdminCast(h, db());
  });
  afterEach(async () => {
    h.sims.xero.test.useClock();
    await h.close();
  });

  const calls = (pathPrefix: string) => h.sims.xero.test.countRequests({ pathPrefix });

  it("/admin loaded 30 times in a minute (pages, filters) reads the balances once; a customer's click then gets its checkout", async () => {
    const inv = h.addInvoice({});
    const staff = await signedIn(h.app, 'a@toko.test');
    h.sims.xero.test.clearRequests();
    const urls = [paths.admin, `${paths.admin}?page=2`, `${paths.admin}?state=pending`, `${paths.admin}?q=kopi`];
    for (let i = 0; i < 30; i++) {
      const res = await staff.get(urls[i % urls.length]).expect(200);
      assert.match(res.text, /id="balances"/, `load ${i + 1} shows the balances`);
      h.clock.advance(1_000);
    }
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(calls('/api.xro/2.0/Organisation'), 1, 'GET /Organisation once for the 30 loads');
    assert.equal(calls('/api.xro/2.0/Reports/BankSummary'), 1, 'the Bank Summary once for the 30 loads');

    // A minute later the figures are read again.
    h.clock.advance(31_000);
    await staff.get(paths.admin).expect(200);
    assert.equal(calls('/api.xro/2.0/Reports/BankSummary'), 2);
  });

  it("the accounts page reloaded over and over reads Xero once a minute: every load is shown, and a customer's click still gets its checkout", async () => {
    const inv = h.addInvoice({});
    const staff = await signedIn(h.app, 'a@toko.test');
    const accounts = adminMerchantPath(h.merchant.id, 'adminMerchantAccounts');
    h.sims.xero.test.clearRequests();
    for (let i = 0; i < 20; i++) {
      await staff.get(accounts).expect(200);
      h.clock.advance(1_000);
    }
    // 5 Xero calls a load: once for the 20 (merchants/xero-lists.ts), not until half of the minute's 60 was spent.
    assert.equal(calls('/api.xro'), 5);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
  });
});

describeEachDatabase("admin pages and the customers' Xero day", ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    // A small day (100 calls): the admin's share of it (25 %) is 25 calls, five loads of the accounts page.
    h = await createHarness(db(), { xeroLimits: { perDay: 100 } });
    h.sims.xero.test.useClock(h.clock);
    await seedAdminCast(h, db());
  });
  afterEach(async () => {
    h.sims.xero.test.useClock();
    await h.close();
  });

  it("the accounts page loaded each time its lists are a minute old spends only the admin's share of the day: then 'try again', and a customer's click still gets its checkout", async () => {
    const inv = h.addInvoice({});
    const staff = await signedIn(h.app, 'a@toko.test');
    const accounts = adminMerchantPath(h.merchant.id, 'adminMerchantAccounts');
    h.sims.xero.test.clearRequests();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await staff.get(accounts)).status);
      h.clock.advance(61_000);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 503, 503, 503]);
    assert.equal(h.sims.xero.test.countRequests({ pathPrefix: '/api.xro' }), 25);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
  });
});
