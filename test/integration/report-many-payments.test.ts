import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, signedIn } from '../helpers/admin.js';
import { paths } from '../../app/paths.js';
import { ONE_ADDRESS_MANY_CUSTOMERS } from '../helpers/pay-limits.js';

/**
 * Xendit allows 60 calls a minute per endpoint in test mode (docs.xendit.co/apidocs/rate-limits;
 * the simulator's default, not raised here). A report read one GET /transactions per paid invoice,
 * so a merchant with more paid invoices than that got 503 on the report page.
 */
describeEachDatabase('the report of a merchant with more paid invoices than Xendit takes calls a minute', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { env: { ...ONE_ADDRESS_MANY_CUSTOMERS } });
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null);
    // Both simulators count their windows on the test's clock, so the seeding below can wait them out.
    h.sims.xendit.test.useClock(h.clock);
    h.sims.xero.test.useClock(h.clock);
  });
  afterEach(() => h.close());

  const PAID = 75;

  it('lists the payments in pages: 200, every row matched, a handful of Xendit calls', async () => {
    const ids: string[] = [];
    for (let i = 0; i < PAID; i++) {
      const inv = h.addInvoice({});
      await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
      const x = h.sims.xendit.listInvoices().at(-1)!;
      await h.sims.xendit.pay(x.id);
      ids.push(x.id);
      // A few a minute, so neither Xendit's nor Xero's limit is met while the payments are booked.
      h.clock.advance(10_000);
      await h.worker.drain();
    }
    for (let i = 0; i < 5 && (await h.stores.jobs.list()).some((j) => j.state !== 'done'); i++) {
      h.clock.advance(61_000);
      await h.worker.drain();
    }
    assert.deepEqual(
      (await h.stores.jobs.list()).filter((j) => j.state !== 'done').map((j) => [j.kind, j.lastError]),
      [],
    );
    h.clock.advance(61_000); // the seeding's calls have left Xendit's window
    h.sims.xendit.test.clearRequests();

    const ops = await signedIn(h.app, 'ops@example.com');
    const day = h.clock().toISOString().slice(0, 10);
    const q = new URLSearchParams({ merchant: h.merchant.id, from: day, to: day }).toString();
    const { $ } = await page(ops, `${paths.adminReport}?${q}`);
    const statuses = new Map(
      $('#report-rows tr[data-xendit-id]')
        .map((_, tr) => [[$(tr).attr('data-xendit-id')!, $(tr).attr('data-status')!]])
        .get() as [string, string][],
    );
    assert.deepEqual(
      ids.filter((id) => statuses.get(id) !== 'matched').map((id) => [id, statuses.get(id)]),
      [],
    );
    assert.equal(statuses.size, PAID);
    // The fees come from one listing of the payments, 50 a page (2 calls), not a call per invoice; the
    // rest are a page per currency (IDR, PHP) of the withdrawals, their returns, the other movements
    // and, for the balances beside the report, the unsettled payments (2 pages) and pending withdrawals;
    // one more per currency asked at the same time, once per process, when Xendit refuses a type name
    // the other movements are asked by (clients/xendit/movements.ts: the simulator refuses the names
    // its reference no longer lists, so both currencies' first asks are refused and asked again).
    const transactions = h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: '/transactions' });
    assert.ok(transactions <= 15, `${transactions} calls to GET /transactions`);
    const all = h.sims.xendit.test.countRequests();
    assert.ok(all <= 22, `${all} Xendit calls`);
  });
});
