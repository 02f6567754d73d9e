import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { rawRequest } from '../helpers/raw-request.js';

const STACK_TRACE = /\bat .*\.(ts|js):\d+/;

/**
 * Request targets no browser sends, over a raw connection (supertest would drop a `#` and make the
 * target origin-form): a fragment, which Node passes through in the target, and absolute-form
 * ("http://host:port/path"), which HTTP/1.1 servers must accept (RFC 9112 §3.2.2).
 */
describeEachDatabase('GET /pay and /pay/return: request targets a browser does not send', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const get = (path: string) => rawRequest(h.baseUrl, 'GET', path, { accept: 'text/html', 'accept-language': 'en' });
  const xeroAskedFor = (text: string) => h.sims.xero.test.requests().filter((r) => decodeURIComponent(r.query ?? '').includes(text)).length;

  it('a raw "#" ends the query for the invoice number as for the parser: what follows never reaches PostgreSQL, Xero or the page', async () => {
    const shortCode = encodeURIComponent(h.merchant.shortCode);
    // A NUL after the "#": PostgreSQL refused it in the click's counting statement (a 500 with a stack trace, the click not counted).
    const nul = await get(`/pay?shortCode=${shortCode}&currency=IDR&amount=1&invoiceNo=X#%00${'A'.repeat(100)}`);
    assert.equal(nul.status, 404, nul.body.slice(0, 300));
    assert.doesNotMatch(nul.body, STACK_TRACE);

    // 16 kB after the "#" of a real invoice's own link: the number is the one before it, as a
    // browser would send the link, never a 16 kB number asked of Xero and kept as a miss.
    const inv = h.addInvoice({});
    const smuggled = `${'A'.repeat(16_000)}`;
    const res = await get(`/pay?shortCode=${shortCode}&currency=IDR&amount=150000.00&invoiceNo=${encodeURIComponent(inv.invoiceNumber)}#${smuggled}`);
    assert.equal(res.status, 303, res.body.slice(0, 300));
    assert.equal(h.sims.xendit.listInvoices().length, 1);
    assert.equal(xeroAskedFor('AAAA'), 0, 'Xero was never asked for the text after "#"');
  });

  it('absolute-form /pay/return of a payment being confirmed: the page, looking again on this site, never a 500', async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const ref = new URL(h.sims.xendit.listInvoices()[0].success_redirect_url!).searchParams.get('ref')!;

    // Port 99999: not even a URL.
    const first = await get(`http://a:99999/pay/return?ref=${ref}&lang=en`);
    assert.equal(first.status, 200, first.body.slice(0, 300));
    const $ = cheerio.load(first.body);
    assert.equal($('h1').text().trim(), 'Confirming your payment');
    assert.equal($('meta[http-equiv=refresh]').attr('content'), `3;url=/pay/return?ref=${ref}&lang=en&tries=1`);
    const langs = $('nav.langs a')
      .map((_, a) => $(a).attr('href'))
      .get();
    assert.ok(langs.length > 0 && langs.every((l) => l.startsWith(`/pay/return?ref=${ref}&lang=`)), langs.join(' '));

    // Another host named: the links stay on this site's page (they went to "/" before).
    const slow = await get(`http://evil.example/pay/return?ref=${ref}&lang=en&tries=40`);
    assert.equal(slow.status, 200);
    assert.equal(cheerio.load(slow.body)('a.button').attr('href'), `/pay/return?ref=${ref}&lang=en&tries=0`);
  });
});
