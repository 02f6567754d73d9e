import { strict as assert } from 'node:assert';
import request from 'supertest';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { seedAdminCast, signedIn } from '../helpers/admin.js';
import { schedule } from '../../app/jobs/schedules.js';
import { adminMerchantPath } from '../../app/paths.js';

/**
 * Since 2 March 2026 an app on Xero's free Starter tier may make 1 000 calls a day per organisation
 * (simulators/xero/limits.ts), where the gateway assumed XERO_LIMIT_PER_DAY's 5 000. Every day share
 * was of the 5 000: the invented numbers' 20 % (1 000) was more than everything Xero allowed outside
 * the payment writes' reserve, so one person trying invoice numbers spent the merchant's day, and
 * the customers' clicks and the admin's pages got "try again" until Xero's window freed calls.
 */
describeEachDatabase("a Xero app allowed fewer calls a day than configured (Xero's Starter tier)", ({ db }) => {
  let h: Harness;
  afterEach(async () => {
    h?.sims.xero.test.useClock();
    await h?.close();
  });

  async function click(path: string): Promise<number> {
    const res = await request(h.app).get(path).set('Accept-Language', 'en');
    return res.status;
  }

  it("invented numbers stop at 20 % of the organisation's 1 000, a customer's click and an admin page still work; 5 000 again once the tier rises", async function () {
    this.timeout(180_000);
    // The configured limits (5 000 a day), the per-minute click limits off: only the day shares count here.
    h = await createHarness(db(), {
      env: { PAY_RATE_LIMIT_PER_IP: '0', PAY_UNKNOWN_PER_WINDOW: '0', PAY_UNKNOWN_PER_CLIENT: '0', PAY_UNKNOWN_PER_NETWORK: '0' },
      xeroLimits: {},
    });
    h.sims.xero.test.useClock(h.clock);
    h.sims.xero.test.setDayLimit(h.merchant.xero.clientId, 1000);
    await seedAdminCast(h, db());
    const customer = h.addInvoice({});
    // The open invoices read from Xero: the customer's link is known, and counted apart from invented numbers.
    await schedule(h, 'sync-open-invoices', 60);
    await h.worker.drain();
    h.sims.xero.test.clearRequests();
    const invoiceReads = () => h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: '/api.xro/2.0/Invoices' });

    // 600 invented numbers, 50 a minute (inside Xero's 60): more than Xero allows outside the reserve of 1 000 (900).
    const statuses = new Map<number, number>();
    for (let minute = 0; minute < 12; minute++) {
      for (let i = 0; i < 50; i++) {
        const s = await click(h.payUrl(`GUESS-${minute * 50 + i}`));
        statuses.set(s, (statuses.get(s) ?? 0) + 1);
      }
      h.clock.advance(60_000);
    }
    assert.deepEqual([...statuses.keys()].sort(), [404, 429], `not found, then too many attempts: ${JSON.stringify([...statuses])}`);
    assert.equal(invoiceReads(), 200, 'Xero was asked about invented numbers until 20 % of 1 000 was spent, then no more');
    const learned = async () =>
      (await sql<{ day_learned: number | null }>`select day_learned from xero_calls where key like ${`org:${h.merchant.xero.clientId}:%`}`.execute(db()))
        .rows[0].day_learned;
    assert.equal(await learned(), 1000, "learned from Xero's answers");

    assert.equal(await click(h.payUrl(customer.invoiceNumber)), 303, 'the customer gets their checkout');
    const staff = await signedIn(h.app, 'a@toko.test');
    await staff.get(adminMerchantPath(h.merchant.id, 'adminMerchantAccounts')).expect(200);

    // The app moved to a paid tier: the next answer Xero gives (the worker's hourly read of the open
    // invoices; a click's slot is released after its answer, unawaited) tells, and the shares are of 5 000 again.
    h.sims.xero.test.setDayLimit(h.merchant.xero.clientId, 5000);
    h.clock.advance(3_600_000);
    await schedule(h, 'sync-open-invoices', 60);
    await h.worker.drain();
    assert.equal(await learned(), null);
    assert.equal(await click(h.payUrl('GUESS-AFTER')), 404, 'Xero is asked again: 601 clicks are inside 20 % of 5 000');
  });
});
