import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, REFUNDABLE, refundWebhook, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, signedIn } from '../helpers/admin.js';
import { reportAroundToday, simDay } from '../helpers/report.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { paths } from '../../app/paths.js';

/**
 * The scheduled listings book what each stored Xendit key's account did (a live sale, refund or
 * withdrawal while test mode is in use, and the reverse into a test company): the reconciliation
 * report reads each account whose money the merchant's books hold, so that money is matched rather
 * than `missing_at_xendit`, each row naming its account's mode. Test money is never expected in a
 * real organisation. The harness's organisation is a test company, its test key in use.
 */
describeEachDatabase('reconciliation report: each Xendit account the books hold', ({ db }) => {
  let h: Harness;
  const LIVE_KEY = 'xnd_production_ReportEveryKey5566';
  beforeEach(async () => {
    h = await createHarness(db());
    h.sims.xendit.registerAccount({ secretKey: LIVE_KEY, callbackToken: h.merchant.callbackToken, businessName: 'Toko Test' });
    await h.stores.merchants.setXenditKeys(h.merchant.id, { live: LIVE_KEY }, h.clock());
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null);
  });
  afterEach(() => h.close());

  const switchTo = (mode: 'test' | 'live') => h.stores.merchants.switchXenditMode(h.merchant.id, mode, h.clock());
  const syncState = async (id: string) => (await h.stores.payments.byXenditInvoice(h.merchant.id, id))?.syncState;
  /** Paid through the gateway with `mode`'s key (switched to for the click), and the worker run. */
  async function paidIn(mode: 'test' | 'live') {
    await switchTo(mode);
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    return x;
  }
  /** The admin's report page from yesterday to tomorrow. */
  async function reportPage() {
    const ops = await signedIn(h.app, 'ops@example.com');
    const { $ } = await page(ops, `${paths.adminReport}?${new URLSearchParams({ merchant: h.merchant.id, from: simDay(-1), to: simDay(1) })}`);
    const row = (id: string) => $(`#report-rows tr[data-xendit-id="${id}"]`);
    return { $, status: (id: string) => row(id).attr('data-status'), mode: (id: string) => row(id).attr('data-mode') };
  }
  const rowsOf = (r: Awaited<ReturnType<typeof reportAroundToday>>, id: string) => r.rows.filter((row) => row.xenditInvoiceId === id);

  it('a live payment made while the test key is in use is matched, as live money (was: missing_at_xendit)', async () => {
    const x = await paidIn('live');
    assert.equal(await syncState(x.id), 'recorded');
    await switchTo('test');
    const p = await reportPage();
    assert.deepEqual([p.status(x.id), p.mode(x.id)], ['matched', 'live']);
    const r = await reportAroundToday(h);
    assert.deepEqual(r.xenditModes, ['test', 'live'], 'a test company holds both accounts’ money: both read, the key in use first');
    assert.ok(
      r.rows.every((row) => row.status !== 'missing_at_xendit'),
      JSON.stringify(r.rows),
    );
  });

  it('a test payment booked in a test company, the live key in use since, is matched, as test money (was: missing_at_xendit)', async () => {
    const x = await paidIn('test');
    assert.equal(await syncState(x.id), 'recorded');
    await switchTo('live');
    const p = await reportPage();
    assert.deepEqual([p.status(x.id), p.mode(x.id)], ['matched', 'test']);
  });

  it("the balances beside the report add both accounts' Xendit money, as the clearing account holds both (was: the key in use's alone)", async () => {
    const live = await paidIn('live');
    const test = await paidIn('test');
    assert.deepEqual([await syncState(live.id), await syncState(test.id)], ['recorded', 'recorded']);
    // Xero's Bank Summary is read up to the organisation's today; the simulators date things by the real clock.
    h.clock.advance(Math.max(0, Date.now() - h.clock().getTime()) + 86_400_000);
    const p = await reportPage();
    assert.equal(p.$('#report-balances tr[data-currency=IDR] .state').text().trim(), 'Balanced');
    assert.deepEqual([p.status(live.id), p.mode(live.id), p.status(test.id), p.mode(test.id)], ['matched', 'live', 'matched', 'test']);
    assert.equal(p.$('#verdict').attr('data-verdict'), 'reconciled', p.$('#verdict').text());
  });

  it('a real organisation: the live payment made while testing is matched, and the test money kept out of it is not expected there', async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xeroTestOrganisation: false }, h.clock());
    const live = await paidIn('live');
    const test = await paidIn('test');
    assert.deepEqual([await syncState(live.id), await syncState(test.id)], ['recorded', 'test_mode']);
    const r = await reportAroundToday(h);
    assert.deepEqual(r.xenditModes, ['live'], 'the test key’s account is not read: its money never reaches these books');
    assert.deepEqual(
      rowsOf(r, live.id).map((row) => [row.status, row.xenditMode]),
      [['matched', 'live']],
    );
    assert.deepEqual(rowsOf(r, test.id), [], 'not missing_in_xero: kept out by rule');
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
  });

  it('a live refund made at Xendit while the test key is in use is refunded, not missing_at_xendit', async () => {
    const x = await paidIn('live');
    await switchTo('test');
    const refund = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    await refundWebhook(h, refund.id).expect(200);
    await h.worker.drain();
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, refund.id))?.state, 'recorded');
    const r = await reportAroundToday(h);
    const rows = r.rows.filter((row) => row.note === `refund ${refund.id}`);
    assert.deepEqual(
      rows.map((row) => [row.status, row.xenditMode]),
      [['refunded', 'live']],
      JSON.stringify(r.rows),
    );
  });

  it('a live withdrawal booked while the test key is in use is transferred, not missing_at_xendit', async () => {
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    await h.stores.settlements.saveAndResume(h.merchant.id, { IDR: savings }, () => '', h.clock());
    const x = await paidIn('live');
    await h.sims.xendit.settle(x.id);
    await h.worker.drain();
    const w = h.sims.xendit.test.withdraw(LIVE_KEY, 'IDR', 100_000);
    await switchTo('test');
    await listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await h.worker.drain();
    assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'recorded');
    const r = await reportAroundToday(h);
    const rows = r.rows.filter((row) => row.note === `withdrawal ${w.id}`);
    assert.deepEqual(
      rows.map((row) => [row.status, row.xenditMode]),
      [['transferred', 'live']],
      JSON.stringify(r.rows),
    );
  });

  it('a key Xendit refuses (revoked): its payment is incomplete, not missing_at_xendit, the report says which key, and the page still answers', async () => {
    const x = await paidIn('live');
    await switchTo('test');
    h.sims.xendit.test.revokeKey(LIVE_KEY);
    const p = await reportPage();
    assert.equal(p.status(x.id), 'incomplete');
    const r = await reportAroundToday(h);
    assert.deepEqual(
      rowsOf(r, x.id).map((row) => row.status),
      ['incomplete'],
    );
    assert.match(rowsOf(r, x.id)[0].note, /Xendit refused the live key …5566/);
    const refused = r.rows.filter((row) => row.status === 'incomplete' && row.xenditInvoiceId === null && row.xenditMode === 'live');
    assert.equal(refused.length, 1, JSON.stringify(r.rows));
    assert.match(refused[0].note, /Xendit refused the live key …5566 \(.*401.*\): its account's paid invoices, .*refunds.* were not read/);
    assert.equal(r.reconciled, false);
    // The test account is still read: its own payment matched.
    const t = await paidIn('test');
    const again = await reportAroundToday(h);
    assert.deepEqual(
      rowsOf(again, t.id).map((row) => [row.status, row.xenditMode]),
      [['matched', 'test']],
    );
  });

  it('a key Xendit refuses a permission the report uses (Transactions: Read taken away, 403): its payment is not called matched, and the report still answers', async () => {
    const x = await paidIn('live');
    await switchTo('test');
    h.sims.xendit.test.updateAccount(LIVE_KEY, { permissions: { invoices: 'write', transactions: 'none' } });
    const r = await reportAroundToday(h);
    assert.deepEqual(
      rowsOf(r, x.id).map((row) => [row.status, row.xenditMode]),
      [['fee_tax_unknown', 'live']],
    );
    assert.match(rowsOf(r, x.id)[0].note, /Xendit refused the live key …5566/);
    const refused = r.rows.filter((row) => row.status === 'incomplete' && row.xenditMode === 'live');
    assert.equal(refused.length, 1, JSON.stringify(r.rows));
    assert.match(refused[0].note, /\(.*403.*\): its account's payment transactions, withdrawals, balance movements were not read/);
  });
});
