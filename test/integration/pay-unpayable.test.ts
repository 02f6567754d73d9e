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

  it('an invoice in a currency no clearing account holds: "cannot be paid online, contact the business", one alert naming the currency, nothing at Xendit; a USD clearing account chosen, it pays', async () => {
    const inv = h.addInvoice({ currency: 'USD', lineItems: [{ description: 'Consulting', quantity: '1', unitAmount: '120.50' }] });
    const before = xenditCalls();
    for (let i = 0; i < 3; i++) {
      const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'en').expect(422);
      assert.equal(heading(res.text), 'Online payment is not available for this invoice');
      assert.match(body(res.text), new RegExp(`Invoice ${inv.invoiceNumber} cannot be paid online.*Nothing was charged.*contact the business`));
      assert.equal(res.headers.location, undefined);
    }
    const id = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'id').expect(422);
    assert.equal(heading(id.text), 'Pembayaran online tidak tersedia untuk invoice ini');
    assert.equal(xenditCalls(), before, 'nothing made at Xendit');
    assert.equal(await h.count('checkouts'), 0);

    const raised = (await alerts()).filter((a) => a.kind === 'clearingAccountMissing');
    assert.equal(raised.length, 1, 'one alert, not one per click');
    assert.equal(raised[0].merchantId, h.merchant.id);
    assert.deepEqual(decodeMessage(raised[0].message), {
      key: 'alerts:clearingAccountMissing',
      params: { invoice: inv.invoiceNumber, currency: 'USD', accountCurrency: 'IDR' },
    });

    // Invoices of the currencies the clearing accounts hold are paid as ever.
    await request(h.app)
      .get(h.payUrl(h.addInvoice({}).invoiceNumber))
      .expect(303);
    await request(h.app)
      .get(h.payUrl(h.addInvoice({ currency: 'PHP', lineItems: [{ description: 'Tour', quantity: '1', unitAmount: '500' }] }).invoiceNumber))
      .expect(303);

    const usd = h.sims.xero.addAccount(h.tenantId, { code: '093', name: 'Xendit USD', type: 'BANK', currencyCode: 'USD' });
    await h.stores.merchants.setClearingAccount(h.merchant.id, 'USD', usd.accountId);
    const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(res.headers.location, h.sims.xendit.listInvoices().at(-1)!.invoice_url);
  });

  it("learns the default clearing account's currency from Xero once when it was never stored, and refuses the same way", async () => {
    // A merchant whose clearing account was chosen before its currency was kept.
    await h.stores.db.updateTable('merchants').set({ clearing_currency: null }).where('id', '=', h.merchant.id).execute();
    const xeroCalls = () =>
      h.sims.xero.test
        .requests()
        .filter((r) => r.path.startsWith('/api.xro/'))
        .map((r) => `${r.method} ${r.path}`);
    const inv = h.addInvoice({ currency: 'USD', lineItems: [{ description: 'Consulting', quantity: '1', unitAmount: '120.50' }] });
    h.sims.xero.test.clearRequests();
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(422);
    assert.deepEqual(xeroCalls(), ['GET /api.xro/2.0/Invoices', 'GET /api.xro/2.0/Accounts'], 'the invoice, then the bank accounts once');
    assert.equal((await h.stores.merchants.byId(h.merchant.id))!.clearingCurrency, 'IDR');
    assert.equal((await alerts()).filter((a) => a.kind === 'clearingAccountMissing').length, 1);

    h.sims.xero.test.clearRequests();
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(422);
    await request(h.app)
      .get(h.payUrl(h.addInvoice({}).invoiceNumber))
      .expect(303);
    assert.deepEqual(xeroCalls(), ['GET /api.xro/2.0/Invoices', 'GET /api.xro/2.0/Invoices'], 'kept: the invoice read only');
    assert.equal(h.sims.xendit.listInvoices().length, 1, 'only the IDR invoice reached Xendit');
  });

  it('keeps the known currency while the default clearing account stays, and forgets it when the account changes', async () => {
    const m = () => h.stores.merchants.byId(h.merchant.id);
    const accounts = { clearingAccounts: { PHP: h.clearingPhpAccountId }, feeAccountCode: '404', salesAccountCode: null };
    await h.stores.merchants.setAccounts(h.merchant.id, { clearingAccountId: h.clearingAccountId, ...accounts }, h.clock());
    assert.equal((await m())!.clearingCurrency, 'IDR', 'same account: still known');
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    await h.stores.merchants.setAccounts(h.merchant.id, { clearingAccountId: savings, ...accounts }, h.clock());
    assert.equal((await m())!.clearingCurrency, null, 'another account: not known until read');
    // A currency read for the account no longer the default is not kept.
    await h.stores.merchants.noteClearingCurrency(h.merchant.id, h.clearingAccountId, 'IDR');
    assert.equal((await m())!.clearingCurrency, null);
    await h.stores.merchants.setAccounts(h.merchant.id, { clearingAccountId: h.clearingAccountId, clearingCurrency: 'IDR', ...accounts }, h.clock());
    assert.equal((await m())!.clearingCurrency, 'IDR');
  });
});
