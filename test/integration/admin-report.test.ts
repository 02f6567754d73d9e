import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, signedIn } from '../helpers/admin.js';
import { sql } from 'kysely';
import { paths } from '../../app/paths.js';
import { createApp } from '../../app/server.js';
import { REPORT_LEASE_MS } from '../../app/admin/reconciliation/runs.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { toCsv } from '../../app/report/output.js';
import { createI18n } from '../../app/i18n/index.js';

const NOT_READY = createI18n().t('en', 'errors:merchantNotReady');
import type { Merchant } from '../../app/store/merchants.js';

describeEachDatabase('admin: reconciliation report page', ({ db }) => {
  let h: Harness;
  let other: Merchant;
  beforeEach(async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
    other = await h.stores.merchants.add({
      name: 'Warung Lain',
      shortCode: `!O${randomUUID().slice(0, 6)}`,
      xero: { clientId: 'other', clientSecret: 'other-secret', tenantId: '' },
    });
    await addUser(h.stores, 'ops@example.com', null);
    await addUser(h.stores, 'a@toko.test', h.merchant.id);
    await addUser(h.stores, 'b@lain.test', other.id);
  });
  afterEach(() => h.close());

  // The shared simulators run on real time: a range of three days around today covers every date.
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const query = (o: Record<string, string> = {}) => new URLSearchParams({ merchant: h.merchant.id, from: day(-1), to: day(1), ...o }).toString();

  async function paid(callback = true) {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id, { sendCallback: callback });
    return { ...x, invoiceNumber: inv.invoiceNumber };
  }

  it('shows matched and flagged rows with totals, and the same report as CSV (operator)', async () => {
    const ok = await paid();
    const missing = await paid(false); // no callback came: not in Xero yet
    await h.worker.drain();
    const ops = await signedIn(h.app, 'ops@example.com');

    const blank = await page(ops, paths.adminReport);
    assert.equal(blank.$('#report').length, 0, 'nothing is asked of Xero or Xendit before the form is sent');
    assert.equal(blank.$('#f-to').val(), h.clock().toISOString().slice(0, 10));
    assert.deepEqual(
      blank
        .$('#f-merchant option')
        .map((_, o) => blank.$(o).text())
        .get(),
      ['Choose…', 'Toko Test', 'Warung Lain'],
    );

    const { $ } = await page(ops, `${paths.adminReport}?${query()}`);
    const status = (id: string) => $(`#report-rows tr[data-xendit-id="${id}"]`).attr('data-status');
    assert.equal(status(ok.id), 'matched');
    assert.equal(status(missing.id), 'missing_in_xero');
    assert.equal($(`#report-rows tr[data-xendit-id="${missing.id}"] .badge`).text(), 'missing in Xero');
    assert.match($('#verdict').text(), /Not reconciled: see the flagged rows\.\s+1 matched, 1 flagged/);
    const totals = $('#report-totals tr[data-currency="IDR"] td')
      .map((_, td) => $(td).text().replace(/\s/g, ' '))
      .get();
    assert.deepEqual(totals, ['IDR 291,300', 'IDR 145,650', 'IDR 145,650', 'IDR 0'], 'amounts as money, not raw decimals');
    // What people know the payment by: the Xero invoice number and the customer.
    const row = $(`#report-rows tr[data-xendit-id="${ok.id}"]`);
    assert.equal(row.find('td.invoice').text(), ok.invoiceNumber);
    assert.equal(row.find('td.customer').text(), 'Budi');
    assert.equal(row.find('td.num').first().text().replace(/\s/g, ' '), 'IDR 150,000');
    const id = await page(ops, `${paths.adminReport}?${query()}&lang=id`);
    assert.equal(id.$(`#report-rows tr[data-xendit-id="${ok.id}"] td.num`).first().text().replace(/\s/g, ' '), 'Rp 150.000');

    const csvUrl = $('#csv').attr('href')!;
    assert.equal(csvUrl, `${paths.adminReportCsv}?${query()}`);
    const csv = await ops
      .get(csvUrl)
      .expect(200)
      .expect('content-type', /^text\/csv/)
      .expect('content-disposition', /^attachment; filename="?reconciliation-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv/);
    // The CLI's CSV, with the invoice number and customer after the Xendit invoice id.
    const cli = toCsv(await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, h.merchant, { from: day(-1), to: day(1) }));
    const lines = csv.text.split('\r\n').filter(Boolean);
    assert.equal(lines.length, 3);
    assert.equal(lines[0], 'date,xendit_invoice_id,invoice_number,customer,currency,xendit_amount,xendit_fee,xero_payment,xero_fee,status,xendit_mode,note');
    const withoutLabels = lines.map((l) => {
      const cells = l.split(',');
      return [...cells.slice(0, 2), ...cells.slice(4)].join(',');
    });
    assert.deepEqual(withoutLabels, cli.split('\r\n').filter(Boolean));
    assert.ok(
      lines.some((l) => l.includes(`${ok.id},${ok.invoiceNumber},Budi,IDR,150000.00`)),
      csv.text,
    );
  });

  it('validates the form: dates required and real, end not before start, a merchant chosen and set up', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    const missing = await page(ops, `${paths.adminReport}?merchant=&from=&to=`, 400);
    assert.equal(missing.$('#e-from').text(), 'Enter the start date.');
    assert.equal(missing.$('#e-to').text(), 'Enter the end date.');
    assert.equal(missing.$('#e-merchant').text(), 'Choose a merchant from the list.');
    const bad = await page(ops, `${paths.adminReport}?${query({ from: '2026-13-01' })}`, 400);
    assert.equal(bad.$('#e-from').text(), 'Enter a date as YYYY-MM-DD, for example 2026-11-25.');
    const reversed = await page(ops, `${paths.adminReport}?${query({ from: day(1), to: day(-1) })}`, 400);
    assert.equal(reversed.$('#e-to').text(), 'This date is before the start date.');
    const notReady = await page(ops, `${paths.adminReport}?${query({ merchant: other.id })}`, 422);
    assert.equal(notReady.$('#e-merchant').text(), NOT_READY);
    await ops.get(`${paths.adminReportCsv}?${query({ from: 'x' })}`).expect(422);
    assert.equal(notReady.$('#report').length, 0);
  });

  it('a merchant user sees only their merchant: no merchant choice, another merchant → 404', async () => {
    await paid();
    await h.worker.drain();
    const a = await signedIn(h.app, 'a@toko.test');
    const own = await page(a, `${paths.adminReport}?from=${day(-1)}&to=${day(1)}`);
    assert.equal(own.$('#f-merchant').length, 0);
    assert.match(own.$('#report-heading').text(), /^Toko Test, /);
    assert.equal(own.$('#report-rows tbody tr').length, 1);
    const b = await signedIn(h.app, 'b@lain.test');
    await b.get(`${paths.adminReport}?${query()}`).expect(404);
    await b.get(`${paths.adminReportCsv}?${query()}`).expect(404);
    await request(h.app).get(`${paths.adminReport}?${query()}`).expect(303).expect('location', paths.adminLogin);
  });

  it("defaults to the last 30 days ending today in the merchant's zone; a range with nothing in it is never called reconciled", async () => {
    await h.stores.merchants.setXeroTimezone(h.merchant.id, 'SE Asia Standard Time');
    // 2026-11-25 20:00 in Bangkok/Jakarta (UTC+7) is 13:00 UTC: still the 25th in UTC. At 18:00 UTC it is the 26th there.
    h.clock.advance(15 * 3_600_000);
    const agent = await signedIn(h.app, 'a@toko.test');
    const form = await page(agent, paths.adminReport);
    assert.equal(form.$('#f-to').val(), '2026-11-26');
    assert.equal(form.$('#f-from').val(), '2026-10-28');
    const empty = await page(agent, `${paths.adminReport}?${new URLSearchParams({ merchant: h.merchant.id, from: '2020-01-01', to: '2020-01-02' })}`);
    assert.equal(empty.$('#verdict').attr('data-verdict'), 'empty');
    assert.doesNotMatch(empty.$('#report').text(), /Reconciled/);
  });

  it('prepares one report per merchant at a time; the CSV link reuses the report just shown for a few minutes', async () => {
    await paid();
    await h.worker.drain();
    const ops = await signedIn(h.app, 'ops@example.com');
    const url = `${paths.adminReport}?${query()}`;
    const csvUrl = `${paths.adminReportCsv}?${query()}`;
    const listing = { method: 'GET', pathPrefix: '/v2/invoices' };

    // A report still waiting on Xendit: a second tab is told to wait, and asks Xero and Xendit nothing.
    const gate = h.sims.xendit.faults.gate({ path: '/v2/invoices', method: 'GET' });
    const first = ops.get(url).then((r) => r);
    await gate.untilParked(1);
    h.sims.xendit.test.clearRequests();
    const xeroBefore = h.sims.xero.test.requests().length;
    for (const busyUrl of [url, csvUrl]) {
      const busy = await page(ops, busyUrl, 429);
      assert.equal(busy.res.headers['retry-after'], '30');
      assert.equal(busy.$('.errorsummary .error').text(), 'A report for this merchant is already being prepared. Try again in a minute.');
      assert.equal(busy.$('#report').length, 0);
    }
    assert.equal(h.sims.xendit.test.countRequests(listing), 0);
    assert.equal(h.sims.xero.test.requests().length, xeroBefore);
    gate.open();
    assert.equal((await first).status, 200);

    // Its CSV is the report just made: nothing asked again.
    h.sims.xendit.test.clearRequests();
    const csv = await ops
      .get(csvUrl)
      .expect(200)
      .expect('content-type', /^text\/csv/);
    assert.equal(csv.text.split('\r\n').filter(Boolean).length, 2);
    assert.equal(h.sims.xendit.test.countRequests(), 0);
    // Another range, or the same one minutes later, is read afresh.
    await ops.get(`${paths.adminReportCsv}?${query({ from: day(-2) })}`).expect(200);
    assert.ok(h.sims.xendit.test.countRequests(listing) > 0);
    h.sims.xendit.test.clearRequests();
    await ops.get(csvUrl).expect(200);
    assert.ok(h.sims.xendit.test.countRequests(listing) > 0, 'the last report is of another range now');
    h.sims.xendit.test.clearRequests();
    await ops.get(csvUrl).expect(200);
    assert.equal(h.sims.xendit.test.countRequests(), 0);
    h.clock.advance(5 * 60_000 + 1);
    await ops.get(csvUrl).expect(200);
    assert.ok(h.sims.xendit.test.countRequests(listing) > 0, 'five minutes on, the CSV is made again');
    // The page itself always reads afresh.
    h.sims.xendit.test.clearRequests();
    await page(ops, url);
    assert.ok(h.sims.xendit.test.countRequests(listing) > 0);
  });

  it('one report per merchant across web processes: another instance is told to wait (429) while one runs, and runs its own once that one ended, failed or lost its client', async () => {
    await paid();
    await h.worker.drain();
    // A second web process: its own app on the same database.
    const second = createApp(h.deps);
    const ops1 = await signedIn(h.app, 'ops@example.com');
    const ops2 = await signedIn(second, 'ops@example.com');
    const url = `${paths.adminReport}?${query()}`;
    const csvUrl = `${paths.adminReportCsv}?${query()}`;
    const listing = { method: 'GET', pathPrefix: '/v2/invoices' };
    const leases = async () => Number((await sql<{ n: number }>`select count(*)::int as n from report_runs`.execute(db())).rows[0].n);
    // A run whose client has gone has no answer to wait for: its end shows as its lease gone.
    const released = async () => {
      while ((await leases()) > 0) await new Promise(setImmediate);
    };

    const gate = h.sims.xendit.faults.gate({ path: '/v2/invoices', method: 'GET' });
    const first = ops1.get(url).then((r) => r);
    await gate.untilParked(1);
    h.sims.xendit.test.clearRequests();
    for (const busyUrl of [url, csvUrl]) {
      const busy = await page(ops2, busyUrl, 429);
      assert.equal(busy.res.headers['retry-after'], '30');
      assert.equal(busy.$('.errorsummary .error').text(), 'A report for this merchant is already being prepared. Try again in a minute.');
    }
    assert.equal(h.sims.xendit.test.countRequests(listing), 0, 'the other process asked Xendit nothing');
    gate.open();
    assert.equal((await first).status, 200);
    assert.equal(await leases(), 0, 'released when the report is made');
    await page(ops2, url);

    // A run that fails (Xendit refuses the listing) releases it too.
    h.sims.xendit.faults.failNext(1, 400, { path: '/v2/invoices', method: 'GET' });
    const failed = await ops1.get(url);
    assert.equal(failed.status, 503, "Xendit's refusal is the try-again page");
    assert.equal(await leases(), 0, 'released when the report fails');
    await page(ops2, url);

    // A client that hangs up: its run goes on to its end (no second one meanwhile), then releases.
    const gate2 = h.sims.xendit.faults.gate({ path: '/v2/invoices', method: 'GET' });
    const abandoned = ops1.get(url);
    const hungUp = abandoned.then(
      () => 'answered',
      () => 'hung up',
    );
    await gate2.untilParked(1);
    abandoned.abort();
    assert.equal(await hungUp, 'hung up');
    await page(ops2, url, 429);
    gate2.open();
    await released();
    await page(ops2, url);
  });

  it('a report left held by a process that died keeps the merchant waiting only until its lease lapses', async () => {
    await paid();
    const ops = await signedIn(h.app, 'ops@example.com');
    const url = `${paths.adminReport}?${query()}`;
    // What a web process that died mid-report leaves: its lease, renewed no more.
    const now = h.clock();
    assert.ok(await h.stores.reportRuns.take(h.merchant.id, randomUUID(), now, new Date(now.getTime() + REPORT_LEASE_MS)));
    await page(ops, url, 429);
    h.clock.advance(REPORT_LEASE_MS - 1);
    await page(ops, url, 429);
    h.clock.advance(1);
    await page(ops, url);
    await page(ops, url);
  });

  it('speaks Indonesian', async () => {
    await paid(false);
    const ops = await signedIn(h.app, 'ops@example.com');
    const { $ } = await page(ops, `${paths.adminReport}?${query({ lang: 'id' })}`);
    assert.equal($('h1').text(), 'Rekonsiliasi');
    assert.equal($('#report-rows .badge').first().text(), 'tidak ada di Xero');
    assert.match($('#verdict').text(), /Belum cocok/);
    assert.equal($('#csv').text(), 'Unduh CSV');
  });
});
