import { strict as assert } from 'node:assert';
import { performance } from 'node:perf_hooks';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { BILLING_REPORT_HEAD, monthlyBilledHarness } from '../helpers/fee-bills.js';
import type { Harness } from '../helpers/harness.js';
import { page, signedIn } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { FEE_REPORT_MB } from '../../app/admin/fee-bills/controller.js';

const HEAD = BILLING_REPORT_HEAD;

/** A Billing Report of `rows` transactions whose references are long quoted text with commas and spaces (each 3 bytes URL-encoded). */
function bigReport(rows: number): string {
  const reference = `"${'1, 2; '.repeat(20)}"`;
  const lines = Array.from({ length: rows }, (_, i) => `txn_${i},${reference},VA_PAYMENT,BCA,DEFAULT,biz_1,2026-10-05 10:00:00,IDR,150000,4500,495`);
  return [HEAD, ...lines].join('\r\n');
}

/** The upload limit is of the report as a merchant has it, not of the larger form body the browser sends. */
describeEachDatabase('Xendit fee bills: the size of an upload', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await monthlyBilledHarness(db());
  });
  afterEach(() => h.close());

  const pagePath = () => adminMerchantPath(h.merchant.id, 'adminMerchantFeeBills');
  const preview = () => adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsPreview');

  it(`a report under ${FEE_REPORT_MB} MB is checked even though the form sends it two to three times larger`, async () => {
    const report = bigReport(30_000);
    const encoded = new URLSearchParams({ report }).toString().length;
    assert.ok(report.length < FEE_REPORT_MB * 2 ** 20 && encoded > FEE_REPORT_MB * 2 ** 20, `${report.length} raw, ${encoded} encoded`);
    const agent = await signedIn(h.app, 'a@toko.test');
    const { csrf } = await page(agent, pagePath());
    const res = await agent.post(preview()).type('form').send({ _csrf: csrf(), report }).expect(200);
    const $ = cheerio.load(res.text);
    assert.equal($('#fee-preview tr[data-period="2026-10"][data-currency=IDR] td').eq(2).text(), '30000');
  });

  it('an amount of millions of digits, in a report or typed in, is refused at once with its reason: the server is not held for seconds', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { csrf } = await page(agent, pagePath());
    const digits = '9'.repeat(7_000_000); // under the 8 MB a report may be
    const report = `${HEAD}\r\ntxn_1,ref,VA_PAYMENT,BCA,DEFAULT,biz_1,2026-10-05 10:00:00,IDR,150000,${digits},0`;
    const uploaded = await agent.post(preview()).type('form').send({ _csrf: csrf(), report }).expect(400);
    assert.match(cheerio.load(uploaded.text)('#e-report').text(), /line 2 has a cell longer than 1000 characters: it is not a Xendit report/);

    // The typed totals of a PDF invoice have no cell limit: the amount is sized before it is parsed.
    // Timed against a field as long that is no number at all (refused by its pattern, before and
    // after): 20 million digits took ~17 s longer, with every merchant's /pay and callbacks waiting.
    const typing = async (fees: string) => {
      const started = performance.now();
      const res = await agent
        .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook'))
        .type('form')
        .send({ _csrf: csrf(), mode: 'manual', period: '2026-10', currency: 'IDR', fees, vat: '', xenditInvoiceNumber: '' })
        .expect(422);
      return { res, ms: performance.now() - started };
    };
    const letters = await typing('x'.repeat(20_000_000));
    const typed = await typing('9'.repeat(20_000_000));
    // Loose enough for a machine busy with other work (two test workers and a database on two
    // cores), tight enough for the ~17 s the parse took.
    assert.ok(typed.ms < 3 * letters.ms + 5000, `digits answered in ${Math.round(typed.ms)} ms, letters in ${Math.round(letters.ms)} ms`);
    assert.equal(
      cheerio.load(typed.res.text)('#e-fees').text().trim(),
      'Type an amount in IDR, digits only with no thousands separators, and a total above zero.',
    );
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id)).length, 0);
  });

  it('a report posted to any spelling the route answers (trailing slash, capitals) is read with the upload limit, not the 16 kB of other forms', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { csrf } = await page(agent, pagePath());
    const report = bigReport(300);
    assert.ok(report.length > 16 * 1024);
    for (const path of [`${preview()}/`, preview().toUpperCase().replace(h.merchant.id.toUpperCase(), h.merchant.id)]) {
      const res = await agent.post(path).type('form').send({ _csrf: csrf(), report }).expect(200);
      const $ = cheerio.load(res.text);
      assert.equal($('#fee-preview tr[data-period="2026-10"][data-currency=IDR] td').eq(2).text(), '300', path);
    }
    const disputes = adminMerchantPath(h.merchant.id, 'adminMerchantDisputesReport');
    const res = await agent
      .post(`${disputes}/`)
      .type('form')
      .send({ _csrf: csrf(), report: 'x'.repeat(20 * 1024) });
    assert.notEqual(res.status, 413);
  });

  it('a report over the limit gets the page again saying to export a shorter period, not a bare 413 page', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { csrf } = await page(agent, pagePath());
    const report = 'x'.repeat(3 * FEE_REPORT_MB * 2 ** 20 + 1);
    for (const path of [preview(), adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook')]) {
      const res = await agent.post(path).type('form').send({ _csrf: csrf(), report }).expect(413);
      const $ = cheerio.load(res.text);
      assert.equal(
        $('#e-report').text(),
        "This report is larger than the 8 MB the upload takes. Nothing was checked or booked: export a shorter period (a month at a time) and paste each part, or type the totals of Xendit's invoice below.",
      );
      assert.equal($('#fee-upload textarea[name=report]').length, 1, 'the upload form is there to paste a part');
    }
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id)).length, 0);
  });
});
