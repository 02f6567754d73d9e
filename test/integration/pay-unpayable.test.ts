import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { decodeMessage } from '../../app/i18n/index.js';
import type { StoredAlert } from '../../app/store/alerts.js';

const heading = (html: string) => cheerio.load(html)('h1').text().trim();
const body = (html: string) => cheerio.load(html)('main p').first().text().replace(/\s+/g, ' ');

/**
 * Invoices only the merchant can make payable: refused before anything is made at Xendit (so no
 * customer pays what cannot be charged or recorded as it stands), the customer told so in their
 * language, the merchant told once by alert.
 */
describeEachDatabase('GET /pay: invoices the merchant has to fix first', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const xenditCalls = () => h.sims.xendit.test.countRequests({});
  /** The alerts waiting to be mailed, taken out as the digest takes them. */
  async function alerts(): Promise<StoredAlert[]> {
    const seen: StoredAlert[] = [];
    await h.stores.alerts.digest(h.clock(), (a) => (seen.push(...a), []));
    return seen;
  }

  it('a rupiah invoice with sen (11% PPN on an odd price): a page naming the amount and asking the business to round it, one alert naming the invoice, nothing at Xendit', async () => {
    const inv = h.addInvoice({ lineItems: [{ description: 'Jasa', quantity: '1', unitAmount: '10091.01' }] });
    const before = xenditCalls();
    for (let i = 0; i < 3; i++) {
      const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'en').expect(422);
      assert.equal(heading(res.text), "This invoice's amount cannot be charged as it stands");
      assert.match(body(res.text), new RegExp(`Invoice ${inv.invoiceNumber} is for IDR 10091\\.01\\. .*whole amounts.*round the invoice`));
      assert.doesNotMatch(res.text, /cannot collect this invoice's currency/);
    }
    const id = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'id').expect(422);
    assert.equal(heading(id.text), 'Jumlah invoice ini tidak dapat ditagih apa adanya');
    assert.match(body(id.text), /IDR 10091\.01/);
    assert.equal(xenditCalls(), before, 'nothing asked of Xendit, nothing truncated and charged');
    assert.equal(await h.count('checkouts'), 0);

    const raised = (await alerts()).filter((a) => a.kind === 'amountNotWhole');
    assert.equal(raised.length, 1, 'one alert, not one per click');
    assert.equal(raised[0].merchantId, h.merchant.id);
    assert.deepEqual(decodeMessage(raised[0].message), {
      key: 'alerts:amountNotWhole',
      params: { invoice: inv.invoiceNumber, amount: '10091.01', currency: 'IDR' },
    });

    // Rounded in Xero (here the sen written off): the next click is charged the whole rupiah due.
    h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '0.01', h.clearingAccountId, 'Rounding');
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(h.sims.xendit.listInvoices()[0].amount, 10091);
  });
});
