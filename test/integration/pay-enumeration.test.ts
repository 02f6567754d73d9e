import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';

/**
 * Someone with one pay link (so a ShortCode) walks invoice numbers. The link's currency and amount
 * must match the invoice: a made-up amount learns nothing about the invoice and creates nothing.
 */
describeEachDatabase('/pay: walking invoice numbers', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const guess = (invoiceNumber: string) => h.payUrl(invoiceNumber, { currency: 'IDR', amount: '100000.00' });
  const pageText = (html: string) => cheerio.load(html)('main').text().replace(/\s+/g, ' ').trim();

  it('an open, a paid and a voided invoice look the same to a wrong amount, and no Xendit invoice is made', async () => {
    const open = h.addInvoice({ contact: { name: 'Budi Santoso', email: 'budi@example.co.id' } });
    const paid = h.addInvoice({ status: 'PAID' });
    const voided = h.addInvoice({ status: 'VOIDED' });
    const answers = await Promise.all([open, paid, voided].map((i) => request(h.app).get(guess(i.invoiceNumber)).set('Accept-Language', 'en').expect(409)));
    const texts = answers.map((r) => pageText(r.text).replace(/INV-\S+/g, 'INV'));
    assert.equal(new Set(texts).size, 1, 'one answer whatever the state');
    assert.match(texts[0]!, /This payment link is out of date/);
    assert.doesNotMatch(answers[0]!.text, /Budi|budi@example/);
    assert.equal(h.sims.xendit.listInvoices().length, 0, 'no Xendit invoice, so no customer e-mail sent to Xendit');
    assert.equal(await h.count('checkouts'), 0);
  });

  it('the link Xero made (its currency and amount due) still pays, and an old link of a paid invoice says paid', async () => {
    const inv = h.addInvoice({});
    const link = h.payUrl(inv.invoiceNumber);
    await request(h.app).get(link).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const again = await request(h.app).get(link).set('Accept-Language', 'en').expect(200);
    assert.match(again.text, /already paid/);
  });

  it('a link without currency or amount is refused the same way', async () => {
    const inv = h.addInvoice({});
    await request(h.app)
      .get(`/pay?${new URLSearchParams({ invoiceNo: inv.invoiceNumber, shortCode: h.merchant.shortCode })}`)
      .expect(409);
    assert.equal(h.sims.xendit.listInvoices().length, 0);
  });
});
