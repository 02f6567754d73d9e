import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { getSims } from '../helpers/sims.js';
import { page, seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminPaymentPath, paths, xeroInvoiceUrl } from '../../app/paths.js';
import { formatMoney, type Currency } from '../../app/money.js';
import type { Merchant } from '../../app/store/merchants.js';
import { PAGE_SIZE } from '../../app/admin/payments/service.js';
import { CHART } from '../../app/admin/payments/chart.js';

describeEachDatabase('admin: customer, date filter, Xero links and the paid-per-day chart', ({ db }) => {
  let h: Harness;
  let other: Merchant;
  beforeEach(async () => {
    const sims = await getSims();
    h = await createHarness(db(), { env: { XERO_APP_URL: sims.xeroUrl } });
    other = await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  let seq = 0;
  /** A payment row paid at the given UTC time (the listing and chart do not care how it got there). */
  async function paid(merchantId: string, at: string, o: { currency?: Currency; amount?: number } = {}) {
    return h.stores.payments.getOrCreate(
      {
        id: randomUUID(),
        merchantId,
        checkoutId: null,
        xenditInvoiceId: `xv-${++seq}`,
        xeroInvoiceId: `xero-inv-v${seq}`,
        currency: o.currency ?? 'IDR',
        amount: o.amount ?? 100000,
        fee: 2900,
        paidAt: new Date(at),
        reference: `Xendit xv-${seq}`,
      },
      h.clock(),
    );
  }
  const rowsOf = ($: cheerio.CheerioAPI) =>
    $('#payments tbody tr')
      .map((_, tr) => $(tr).attr('data-payment-id'))
      .get();

  it('shows the customer from the Xero invoice (pay link) and from Xendit (backend flow), with a link to the invoice in Xero', async () => {
    const inv = h.addInvoice({ contact: { name: 'Budi Santoso', email: 'budi@example.co.id' } });
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id);
    await h.stores.db.updateTable('merchants').set({ backend_flow: true }).where('id', '=', h.merchant.id).execute();
    const outside = h.sims.xendit.createInvoice({
      account: h.merchant.xenditSecretKey,
      currency: 'IDR',
      amount: 250_000,
      description: 'Catering',
      payerEmail: 'sari@example.co.id',
      customerName: 'Sari Wulandari',
    });
    await h.sims.xendit.pay(outside.id);
    await h.worker.drain();
    const viaLink = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    const viaBackend = (await h.stores.payments.byXenditInvoice(h.merchant.id, outside.id))!;
    assert.equal(viaLink.syncState, 'recorded');
    assert.equal(viaBackend.syncState, 'recorded');

    const agent = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(agent, paths.admin);
    const customer = (id: string) => ['.name', '.email'].map((c) => $(`tr[data-payment-id="${id}"] td.customer ${c}`).text()).join(' ');
    assert.equal(customer(viaLink.id), 'Budi Santoso budi@example.co.id');
    assert.equal(customer(viaBackend.id), 'Sari Wulandari sari@example.co.id');

    const link = $(`tr[data-payment-id="${viaLink.id}"] a.xero-link`);
    assert.equal(link.attr('href'), xeroInvoiceUrl(h.sims.xeroUrl, inv.invoiceId));
    assert.equal(link.attr('href'), `${h.sims.xeroUrl}/AccountsReceivable/View.aspx?InvoiceID=${inv.invoiceId}`);
    assert.equal(link.attr('aria-label'), `Open invoice ${inv.invoiceNumber} in Xero`);
    // The simulated Xero shows that invoice, paid.
    const xeroPage = cheerio.load(await (await fetch(link.attr('href')!)).text());
    assert.equal(xeroPage('#invoice-number').text(), `Invoice ${inv.invoiceNumber}`);
    assert.equal(xeroPage('#invoice-status').text(), 'PAID');
    assert.equal(xeroPage('#invoice-contact').text(), 'Budi Santoso');
    assert.equal((await fetch(`${h.sims.xeroUrl}/AccountsReceivable/View.aspx?InvoiceID=nope`)).status, 404);

    const detail = await page(agent, adminPaymentPath(viaBackend.id));
    assert.equal(detail.$('#customer').text(), 'Sari Wulandari <sari@example.co.id>');
    assert.equal(detail.$('a.xero-link').attr('href'), xeroInvoiceUrl(h.sims.xeroUrl, viaBackend.xeroInvoiceId));
  });

  it('filters by paid date (inclusive, UTC days) and keeps the range across pages', async () => {
    const before = await paid(h.merchant.id, '2026-11-09T23:59:59Z');
    const first = await paid(h.merchant.id, '2026-11-10T00:00:00Z');
    const last = await paid(h.merchant.id, '2026-11-12T23:59:59Z');
    const after = await paid(h.merchant.id, '2026-11-13T00:00:00Z');
    const agent = await signedIn(h.app, 'a@toko.test');

    const ranged = await page(agent, `${paths.admin}?from=2026-11-10&to=2026-11-12`);
    assert.deepEqual(rowsOf(ranged.$), [last.id, first.id]);
    assert.equal(ranged.$('#f-from').val(), '2026-11-10');
    assert.equal(ranged.$('#f-to').val(), '2026-11-12');
    assert.deepEqual(rowsOf((await page(agent, `${paths.admin}?from=2026-11-13`)).$), [after.id]);
    assert.deepEqual(rowsOf((await page(agent, `${paths.admin}?to=2026-11-09`)).$), [before.id]);
    const none = await page(agent, `${paths.admin}?from=2026-10-01&to=2026-10-02`);
    assert.match(none.$('#no-payments').text(), /No payments match this view/);

    for (let i = 0; i < PAGE_SIZE; i++) await paid(h.merchant.id, `2026-11-11T0${i % 10}:00:00Z`);
    const p1 = await page(agent, `${paths.admin}?from=2026-11-10&to=2026-11-12`);
    assert.equal(p1.$('a[rel=next]').attr('href'), '/admin?from=2026-11-10&to=2026-11-12&page=2');
    const p2 = await page(agent, p1.$('a[rel=next]').attr('href')!);
    assert.equal(rowsOf(p2.$).length, 2);
    assert.equal(p2.$('a[rel=prev]').attr('href'), '/admin?from=2026-11-10&to=2026-11-12');
  });

  it('answers a bad date with 400 and a message next to the field, in English and Indonesian', async () => {
    await paid(h.merchant.id, '2026-11-10T10:00:00Z');
    const agent = await signedIn(h.app, 'a@toko.test');
    const bad = await page(agent, `${paths.admin}?from=2026-02-30`, 400);
    assert.equal(bad.$('#e-from').text(), 'Enter a date as YYYY-MM-DD, for example 2026-11-25.');
    assert.equal(bad.$('#f-from').attr('aria-invalid'), 'true');
    assert.equal(bad.$('#f-from').attr('aria-describedby'), 'e-from');
    assert.equal(rowsOf(bad.$).length, 1, 'the bad bound is not applied');
    const reversed = await page(agent, `${paths.admin}?from=2026-11-12&to=2026-11-10`, 400);
    assert.equal(reversed.$('#e-to').text(), 'This date is before the start date.');
    const tooLong = await page(agent, `${paths.admin}?from=2025-01-01&to=2026-11-10`, 400);
    assert.equal(tooLong.$('#e-to').text(), 'A range covers at most 366 days.');
    const id = await page(agent, `${paths.admin}?from=11/10/2026&lang=id`, 400);
    assert.equal(id.$('#e-from').text(), 'Masukkan tanggal dengan format TTTT-BB-HH, misalnya 2026-11-25.');
    await page(agent, `${paths.admin}?from=2026-11-01&from=2026-11-02&lang=en`, 400);
  });

  it('draws paid volume per day and currency as SVG with a title, a description and a table, only for the merchant shown', async () => {
    // The harness clock is 2026-11-25 03:00 UTC: the default range is 2026-10-27 .. 2026-11-25.
    await paid(h.merchant.id, '2026-11-20T01:00:00Z', { amount: 100000 });
    await paid(h.merchant.id, '2026-11-20T09:00:00Z', { amount: 50000 });
    await paid(h.merchant.id, '2026-11-24T09:00:00Z', { amount: 300000 });
    await paid(h.merchant.id, '2026-11-23T09:00:00Z', { currency: 'PHP', amount: 123456 });
    await paid(h.merchant.id, '2026-10-01T09:00:00Z', { amount: 999999 }); // outside the last 30 days
    await paid(other.id, '2026-11-24T10:00:00Z', { amount: 700000 }); // another merchant's
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $, res } = await page(agent, paths.admin);

    const idr = $('figure.chart[data-currency="IDR"]');
    const svg = idr.find('svg');
    assert.equal(svg.attr('role'), 'img');
    assert.equal(svg.attr('aria-labelledby'), 'chart-IDR-title chart-IDR-desc');
    assert.equal(idr.find('#chart-IDR-title').text(), 'Paid per day in IDR, 2026-10-27 to 2026-11-25');
    assert.match(idr.find('#chart-IDR-desc').text(), new RegExp(`total ${formatMoney(450000, 'IDR', 'en-US').replace(/[.$]/g, '\\$&')} in 3 payments`));
    const bars = svg
      .find('rect.bar')
      .map((_, r) => ({ day: $(r).attr('data-day'), height: Number($(r).attr('height')) }))
      .get();
    const plot = CHART.height - CHART.top - CHART.bottom;
    assert.deepEqual(bars, [
      { day: '2026-11-20', height: plot / 2 },
      { day: '2026-11-24', height: plot },
    ]);
    const table = idr
      .find('table.chart-table tbody tr')
      .map((_, tr) =>
        $(tr)
          .find('th, td')
          .map((_, c) => $(c).text())
          .get()
          .join('|'),
      )
      .get();
    assert.deepEqual(table, [`2026-11-20|${formatMoney(150000, 'IDR', 'en-US')}|2`, `2026-11-24|${formatMoney(300000, 'IDR', 'en-US')}|1`]);
    assert.equal($('figure.chart[data-currency="PHP"] rect.bar').length, 1);
    assert.equal($('figure.chart').length, 2);
    assert.equal($('[style]').length, 0, 'no inline style (strict CSP)');
    assert.ok(!res.text.includes('<style'), 'no style element');

    const october = await page(agent, `${paths.admin}?from=2026-10-01&to=2026-10-31`);
    assert.equal(october.$('#chart-IDR-title').text(), 'Paid per day in IDR, 2026-10-01 to 2026-10-31');
    assert.deepEqual(
      october
        .$('figure.chart[data-currency="IDR"] rect.bar')
        .map((_, r) => october.$(r).attr('data-day'))
        .get(),
      ['2026-10-01'],
    );
    assert.equal(october.$('figure.chart[data-currency="PHP"]').length, 0);
    const empty = await page(agent, `${paths.admin}?from=2026-09-01&to=2026-09-30`);
    assert.equal(empty.$('#chart-empty').text(), 'Nothing paid from 2026-09-01 to 2026-09-30.');

    const ops = await signedIn(h.app, 'ops@example.com');
    const all = await page(ops, paths.admin);
    assert.match(all.$('#chart-IDR-desc').text(), /in 4 payments/, 'an operator without a merchant filter sees every merchant');
    const onlyOther = await page(ops, `${paths.admin}?merchant=${other.id}`);
    assert.match(onlyOther.$('#chart-IDR-desc').text(), /in 1 payments/);
  });

  it('is behind sign-in: no session → the sign-in page', async () => {
    await request(h.app).get(`${paths.admin}?from=2026-11-01`).expect(303).expect('location', paths.adminLogin);
  });
});
