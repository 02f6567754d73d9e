import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { createApp } from '../../app/server.js';
import { createI18n, PAY_LANGS } from '../../app/i18n/index.js';

/** PAY_PART_HOLD_MINUTES by default. */
const HOLD_MS = 60 * 60_000;
const MINUTE = 60_000;

/**
 * A part payment started is not ended by a click for another amount (README: Paying part of an
 * invoice): anyone holding the Xero link could otherwise expire the payer's Xendit invoice, and with
 * it the virtual account number they are about to pay into, by choosing another amount.
 */
describeEachDatabase('GET /pay: a part payment in progress is kept', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await h.stores.merchants.setSettings(h.merchant.id, { ...h.merchant, salesTaxType: null, partialMinPercent: 10 }, h.clock());
  });
  afterEach(() => h.close());

  type SimInvoice = { id: string; amount: number; status: string; invoice_url: string; failure_redirect_url?: string };
  const xenditInvoices = () => h.sims.xendit.listInvoices() as SimInvoice[];
  const statuses = () => xenditInvoices().map((x) => `${x.amount} ${x.status}`);
  /** The link with the amount chosen, as the "how much" form sends it. */
  const partUrl = (invoiceNumber: string, part: string, extra: Record<string, string> = {}) => h.payUrl(invoiceNumber, { part, lang: 'en', ...extra });
  const pathOf = (url: string) => {
    const u = new URL(url, h.baseUrl);
    return `${u.pathname}${u.search}`;
  };
  /** A customer starts paying 50 000 of the 150 000 due. */
  async function started() {
    const inv = h.addInvoice({});
    const first = await request(h.app).get(partUrl(inv.invoiceNumber, '50000')).expect(303);
    const [x] = xenditInvoices();
    assert.equal(first.headers.location, x.invoice_url);
    return { inv, x };
  }

  it('another amount chosen while it is recent gets the "in progress" page, not a second invoice: the first stays payable at Xendit', async () => {
    const { inv, x } = await started();
    h.clock.advance(HOLD_MS - MINUTE);
    const res = await request(h.app).get(partUrl(inv.invoiceNumber, '50001')).expect(409);
    assert.deepEqual(statuses(), ['50000 PENDING'], 'the payer can still pay into the virtual account they were shown');
    assert.equal(res.headers['cache-control'], 'no-store');
    const $ = cheerio.load(res.text);
    assert.equal($('h1').text(), 'A payment for this invoice is in progress');
    assert.match($('main').text(), new RegExp(`IDR\\s50,000 for invoice ${inv.invoiceNumber}`));
    assert.equal($('#continue').attr('href'), x.invoice_url, 'a button on to the payment in progress');
    // Created 03:00 UTC, held an hour: Jakarta (the rupiah's home zone; the simulated organisation names none) is UTC+7.
    assert.match($('#hold-note').text(), /from 11:00\sAM GMT\+7/);
    assert.equal(await h.count('checkouts'), 1, 'nothing written');
  });

  it('a concurrent click that read the checkouts before the payment opened is still sent to the page, not past it', async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(partUrl(inv.invoiceNumber, '50000')).expect(303);
    // The other click read no live checkout (it read before the first was claimed), then met it open when claiming.
    const checkouts = { ...h.stores.checkouts, forInvoice: async () => [] };
    const late = createApp({ ...h.deps, stores: { ...h.stores, checkouts } });
    const res = await request(late).get(partUrl(inv.invoiceNumber, '60000')).expect(409);
    assert.equal(cheerio.load(res.text)('h1').text(), 'A payment for this invoice is in progress');
    assert.deepEqual(statuses(), ['50000 PENDING']);
  });

  it('the payer who started it may change the amount: a click carrying its own retry id ends it', async () => {
    const { inv, x } = await started();
    // Back from Xendit without paying: "Try again" names the checkout; the amount page's form carries it on.
    const failed = await request(h.app)
      .get(`${pathOf(x.failure_redirect_url!)}&lang=en`)
      .expect(200);
    const again = await request(h.app).get(cheerio.load(failed.text)('a.button').attr('href')!).expect(200);
    const $ = cheerio.load(again.text);
    const retry = String($('#amount-form input[name=retry]').val());
    assert.ok(retry);
    const chosen = await request(h.app)
      .get(partUrl(inv.invoiceNumber, '70000', { retry }))
      .expect(303);
    assert.deepEqual(statuses(), ['50000 EXPIRED', '70000 PENDING']);
    assert.equal(chosen.headers.location, xenditInvoices()[1].invoice_url);
  });

  it("another checkout's retry id does not end it", async () => {
    const { inv, x } = await started();
    const ref = new URL(x.failure_redirect_url!).searchParams.get('ref')!;
    // The payer changes to 70 000 with their retry id; someone holding the old id tries again later.
    await request(h.app)
      .get(partUrl(inv.invoiceNumber, '70000', { retry: ref }))
      .expect(303);
    await request(h.app)
      .get(partUrl(inv.invoiceNumber, '80000', { retry: ref }))
      .expect(409);
    assert.deepEqual(statuses(), ['50000 EXPIRED', '70000 PENDING']);
  });

  it('once the hold has passed, another amount ends it as before', async () => {
    const { inv } = await started();
    h.clock.advance(HOLD_MS);
    const res = await request(h.app).get(partUrl(inv.invoiceNumber, '60000')).expect(303);
    assert.deepEqual(statuses(), ['50000 EXPIRED', '60000 PENDING'], 'never two payable invoices for one bill');
    assert.equal(res.headers.location, xenditInvoices()[1].invoice_url);
  });

  it('the same amount goes to the same invoice without holding it longer: the hold runs from when it was made', async () => {
    const { inv, x } = await started();
    // Anyone with the link could otherwise keep it held for the Xendit invoice's whole life by clicking its amount.
    for (let i = 0; i < 3; i++) {
      h.clock.advance(15 * MINUTE);
      const same = await request(h.app).get(partUrl(inv.invoiceNumber, '50.000')).expect(303);
      assert.equal(same.headers.location, x.invoice_url);
    }
    assert.equal(xenditInvoices().length, 1);
    // 45 minutes after it was made, just clicked again: still held, until an hour after it was made.
    const held = await request(h.app).get(partUrl(inv.invoiceNumber, '60000')).expect(409);
    assert.match(cheerio.load(held.text)('#hold-note').text(), /from 11:00\sAM GMT\+7/);
    h.clock.advance(15 * MINUTE);
    await request(h.app).get(partUrl(inv.invoiceNumber, '60000')).expect(303);
    assert.deepEqual(statuses(), ['50000 EXPIRED', '60000 PENDING']);
  });

  it('says so in every customer language, in words from its catalogue', async () => {
    const { inv, x } = await started();
    const i18n = createI18n();
    for (const lang of PAY_LANGS) {
      const res = await request(h.app)
        .get(partUrl(inv.invoiceNumber, '60000', { lang }))
        .expect(409);
      const $ = cheerio.load(res.text);
      const t = i18n.fixed(lang, 'pay');
      const money = i18n.formats(lang).money(50000, 'IDR');
      assert.equal($('html').attr('lang'), lang);
      assert.equal($('h1').text(), t('inProgressTitle'), lang);
      assert.equal($('#continue').text().trim(), t('inProgressContinue', { amount: money }), lang);
      assert.equal($('#continue').attr('href'), x.invoice_url);
      assert.ok($('main').text().includes(money), `${lang}: names the amount`);
      assert.doesNotMatch($('main').text(), /inProgress|\{\w+\}/, `${lang}: no key or parameter left unfilled`);
      assert.ok($('#hold-note').text().trim(), lang);
    }
    assert.deepEqual(statuses(), ['50000 PENDING']);
  });
});
