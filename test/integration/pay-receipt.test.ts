import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';

const heading = (html: string) => cheerio.load(html)('h1').text().trim();
/** The receipt's rows as label → value. */
const rows = (html: string) => {
  const $ = cheerio.load(html);
  return Object.fromEntries(
    $('dl.receipt dt')
      .map((i, dt) => [[$(dt).text().trim(), $($('dl.receipt dd')[i]).text().trim()]])
      .get() as [string, string][],
  );
};

/** The customer's way back from Xendit: the success (or failure) URL the gateway gave Xendit, and a receipt read from our state. */
describeEachDatabase('GET /pay/return (receipt)', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  /** A pay click, and the path of the success (or failure) redirect Xendit was given for it. */
  async function checkout(seed: Parameters<Harness['addInvoice']>[0] = {}) {
    const inv = h.addInvoice(seed);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    const path = (which: 'success' | 'failure', lang?: string) => {
      const url = new URL(which === 'success' ? x.success_redirect_url! : x.failure_redirect_url!);
      if (lang) url.searchParams.set('lang', lang);
      return url.pathname + url.search;
    };
    return { inv, x, path };
  }

  it('shows a receipt from stored state once the payment is confirmed: business, invoice, amount, time in the zone, method, reference', async () => {
    // A live key: real money, no test-mode banner.
    await h.stores.merchants.setXendit(h.merchant.id, { secretKey: 'xnd_production_receipt', callbackToken: h.merchant.callbackToken }, h.clock());
    h.sims.xendit.registerAccount({
      secretKey: 'xnd_production_receipt',
      callbackToken: h.merchant.callbackToken,
      callbackUrl: h.baseUrl + h.callbackPath,
      businessName: 'Toko Test',
    });
    const { inv, x, path } = await checkout({ lineItems: [{ description: 'Kopi', quantity: '3', unitAmount: '125000' }] });
    await h.sims.xendit.pay(x.id, { paymentMethod: 'EWALLET', paymentChannel: 'OVO' });
    await h.worker.drain();

    const res = await request(h.app).get(path('success', 'id')).expect(200);
    assert.equal(heading(res.text), 'Terima kasih atas pembayaran Anda');
    const r = rows(res.text);
    assert.equal(r['Dibayar kepada'], h.merchant.name);
    assert.equal(r['Invoice'], inv.invoiceNumber);
    assert.equal(r['Jumlah'].replace(/\s/g, ' '), 'Rp 375.000');
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    assert.ok(merchant.xeroTimezone, 'the worker read the organisation time zone');
    // The organisation's Xero zone, "SE Asia Standard Time" (UTC+7, Jakarta's), not UTC.
    assert.equal(merchant.xeroTimezone, 'SEASIASTANDARDTIME');
    const day = new Intl.DateTimeFormat('id-ID', { timeZone: 'Asia/Bangkok', day: 'numeric', month: 'long', year: 'numeric' }).format(payment.paidAt);
    assert.ok(r['Dibayar pada'].startsWith(day), `${r['Dibayar pada']} is the day at UTC+7 (${day})`);
    assert.match(r['Dibayar pada'], /\(Asia\/Bangkok\)$/, 'the zone is named');
    assert.equal(r['Metode pembayaran'], 'Dompet digital · OVO');
    assert.equal(r['Referensi Xendit'], x.id);
    assert.equal(r['Status'], 'Lunas');
    assert.equal(cheerio.load(res.text)('#test-mode').length, 0, 'live: no test-mode banner');
    assert.equal(cheerio.load(res.text)('meta[http-equiv=refresh]').length, 0, 'done: no more refreshing');
    assert.equal(res.headers['cache-control'], 'no-store');

    const en = rows((await request(h.app).get(path('success', 'en')).expect(200)).text);
    assert.equal(en['Amount'].replace(/\s/g, ' '), 'IDR 375,000');
    assert.equal(en['Payment method'], 'E-wallet · OVO');
  });

  it('says "confirming" and refreshes itself without JavaScript until the worker has confirmed, then shows the receipt', async () => {
    const { inv, x, path } = await checkout();
    await h.sims.xendit.pay(x.id); // the callback is stored; the worker has not run
    const first = await request(h.app).get(path('success', 'en')).expect(200);
    assert.equal(heading(first.text), 'Confirming your payment');
    assert.match(cheerio.load(first.text)('#test-mode').text(), /No real money is taken/, 'a test key: said on the page');
    assert.match(cheerio.load(first.text)('main p').first().text(), new RegExp(inv.invoiceNumber));
    const refresh = cheerio.load(first.text)('meta[http-equiv=refresh]').attr('content') ?? '';
    const [seconds, next] = refresh.split(';url=');
    assert.equal(seconds, '3');
    assert.match(next, /^\/pay\/return\?.*tries=1/, 'reloads itself, counting');

    // After two minutes of looking, it stops and offers to look again.
    const slow = await request(h.app).get(next.replace('tries=1', 'tries=40')).expect(200);
    assert.equal(cheerio.load(slow.text)('meta[http-equiv=refresh]').length, 0);
    assert.match(cheerio.load(slow.text)('main p').first().text(), /longer than usual.*do not pay again/);
    assert.match(cheerio.load(slow.text)('a.button').attr('href') ?? '', /tries=0/);

    await h.worker.drain();
    const done = await request(h.app).get(next).expect(200);
    assert.equal(heading(done.text), 'Thank you for your payment');
    assert.equal(rows(done.text)['Status'], 'Test payment', 'the harness pays with a test key');
  });

  it('after a failed or unfinished payment offers "try again" back to the pay link, which reuses the open checkout', async () => {
    const { inv, x, path } = await checkout();
    const res = await request(h.app).get(path('failure', 'en')).expect(200);
    assert.equal(heading(res.text), 'The payment was not completed');
    assert.match(cheerio.load(res.text)('main p').first().text(), new RegExp(inv.invoiceNumber));
    const retry = cheerio.load(res.text)('a.button').attr('href')!;
    assert.match(retry, /^\/pay\?/);
    const again = await request(h.app).get(retry).expect(303);
    assert.equal(again.headers.location, x.invoice_url, 'the link check passes and the same Xendit invoice is reused');
    assert.equal(h.sims.xendit.listInvoices().length, 1);
    // The failure URL is no proof either way: once paid, the same URL shows the receipt.
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    assert.equal(heading((await request(h.app).get(path('failure', 'en')).expect(200)).text), 'Thank you for your payment');
  });

  it('after the checkout expired at Xendit says so, and "try again" makes a new checkout for what is due now', async () => {
    const { x, path } = await checkout();
    await h.sims.xendit.expire(x.id); // Xendit's EXPIRED callback
    await h.worker.drain(); // the worker confirms it with Xendit
    const res = await request(h.app).get(path('success', 'en')).expect(200);
    assert.equal(heading(res.text), 'This payment page has closed');
    const again = await request(h.app).get(cheerio.load(res.text)('a.button').attr('href')!).expect(303);
    const fresh = h.sims.xendit.listInvoices();
    assert.equal(fresh.length, 2, 'a new Xendit invoice');
    assert.equal(again.headers.location, fresh[1].invoice_url);
  });

  it('marks a test-key payment kept out of Xero as a test payment', async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xeroTestOrganisation: false }, h.clock());
    const { x, path } = await checkout();
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const res = await request(h.app).get(path('success', 'en')).expect(200);
    assert.equal(rows(res.text)['Status'], 'Test payment');
    assert.match(cheerio.load(res.text)('p.warn').text(), /no money was moved/);
    assert.match(cheerio.load(res.text)('#test-mode').text(), /^Test mode/, 'the banner of every customer page in test mode');
  });

  it('in Thai, Vietnamese and Malay too: heading, amounts through Intl, the language switch at the top', async () => {
    // Baht are recorded into a clearing account in baht (else /pay refuses the invoice).
    const thb = h.sims.xero.addAccount(h.tenantId, { code: '094', name: 'Xendit THB', type: 'BANK', currencyCode: 'THB' });
    await h.stores.merchants.setClearingAccount(h.merchant.id, 'THB', thb.accountId);
    const { x, path } = await checkout({ currency: 'THB', lineItems: [{ description: 'Kafae', quantity: '1', unitAmount: '1250.50' }] });
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const expected: Record<string, { title: string; amount: RegExp }> = {
      th: { title: 'ขอบคุณสำหรับการชำระเงิน', amount: /฿1,250\.50/ },
      vi: { title: 'Cảm ơn bạn đã thanh toán', amount: /1\.250,50\s฿/ },
      ms: { title: 'Terima kasih atas pembayaran anda', amount: /THB\s?1,250\.50/ },
    };
    for (const [lang, want] of Object.entries(expected)) {
      const res = await request(h.app).get(path('success', lang)).expect(200);
      const $ = cheerio.load(res.text);
      assert.equal($('html').attr('lang'), lang);
      assert.equal(heading(res.text), want.title, lang);
      assert.match($('dl.receipt dd').eq(2).text(), want.amount, lang);
      const switcher = $('nav.langs');
      assert.ok(switcher.index() < $('main').index(), 'the switch is above the page');
      assert.equal(switcher.find('[aria-current]').attr('lang'), lang);
      assert.deepEqual(
        switcher
          .find('a')
          .map((_, a) => $(a).attr('lang'))
          .get()
          .sort(),
        ['en', 'id', 'ms', 'th', 'vi'].filter((l) => l !== lang),
      );
    }
    // No ?lang=: the browser's language, then the currency (baht reads Thai), English when neither.
    const byBrowser = await request(h.app)
      .get(path('success').replace(/&?lang=[a-z]+/, ''))
      .set('Accept-Language', 'vi-VN,vi;q=0.9')
      .expect(200);
    assert.equal(cheerio.load(byBrowser.text)('html').attr('lang'), 'vi');
    const byCurrency = await request(h.app)
      .get(path('success').replace(/&?lang=[a-z]+/, ''))
      .set('Accept-Language', 'fil-PH')
      .expect(200);
    assert.equal(cheerio.load(byCurrency.text)('html').attr('lang'), 'th');
  });
});
