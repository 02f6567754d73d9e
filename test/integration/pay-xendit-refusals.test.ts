import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidCallback, type Harness } from '../helpers/harness.js';
import { decodeMessage } from '../../app/i18n/index.js';
import type { StoredAlert } from '../../app/store/alerts.js';
import { page, seedAdminCast, signedIn } from '../helpers/admin.js';

const heading = (html: string) => cheerio.load(html)('h1').text().trim();

/** Xendit refusing to create the checkout (400 on Create invoice) is no outage: /pay says so, and the merchant is told. */
describeEachDatabase('GET /pay when Xendit refuses the checkout', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { creationWaitMs: 5000 });
  });
  afterEach(() => h.close());

  const key = () => h.merchant.xenditSecretKey;
  const xenditInvoices = () => h.sims.xendit.listInvoices();
  const xeroWrites = () => h.sims.xero.test.countRequests({ method: 'PUT' }) + h.sims.xero.test.countRequests({ method: 'POST', pathPrefix: '/api.xro' });
  /** The alerts waiting to be mailed, taken out as the digest takes them. */
  async function alerts(): Promise<StoredAlert[]> {
    const seen: StoredAlert[] = [];
    await h.stores.alerts.digest(h.clock(), (a) => (seen.push(...a), []));
    return seen;
  }

  it('a payment method not activated at Xendit: the page says to contact the business, one alert for many clicks, nothing in Xero; once activated, the next click pays', async () => {
    await h.stores.merchants.setSettings(h.merchant.id, { paymentMethods: ['QRIS', 'OVO'] }, h.clock());
    h.sims.xendit.test.updateAccount(key(), { activatedChannels: ['QRIS', 'BCA', 'BNI'] });
    const inv = h.addInvoice({});
    const writesBefore = xeroWrites();
    for (let i = 0; i < 3; i++) {
      const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'en').expect(502);
      assert.equal(heading(res.text), 'Online payment is not available for this invoice');
      assert.match(res.text, new RegExp(`${inv.invoiceNumber}.*contact the business`));
      assert.equal(res.headers['retry-after'], undefined, 'trying again soon does not help');
      assert.equal(res.headers.location, undefined);
    }
    assert.equal(xenditInvoices().length, 0);
    assert.equal(await h.count('checkouts'), 0, 'no checkout left half-made');
    assert.equal(xeroWrites(), writesBefore, 'nothing written to Xero');
    assert.equal(h.sims.xero.findInvoice(inv.invoiceId)!.amountPaid, 0n);

    const raised = (await alerts()).filter((a) => a.kind === 'checkoutRefused');
    assert.equal(raised.length, 1, 'one alert, not one per click');
    assert.equal(raised[0].merchantId, h.merchant.id);
    const m = decodeMessage(raised[0].message);
    assert.equal(m.params?.code, 'UNAVAILABLE_PAYMENT_METHOD_ERROR');
    assert.equal(m.params?.invoice, inv.invoiceNumber);
    assert.deepEqual(m.params?.fix, { key: 'alerts:checkoutFix_UNAVAILABLE_PAYMENT_METHOD_ERROR', params: { currency: 'IDR' } });
    // In the customer's language.
    const id = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'id').expect(502);
    assert.equal(heading(id.text), 'Pembayaran online tidak tersedia untuk invoice ini');

    // The merchant activates OVO in Xendit's dashboard: the next click gets its checkout.
    h.sims.xendit.test.updateAccount(key(), { activatedChannels: ['QRIS', 'OVO', 'BCA', 'BNI'] });
    const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const [created] = xenditInvoices();
    assert.equal(res.headers.location, created.invoice_url);
    assert.equal(h.sims.xendit.getInvoice(created.id)!.paymentMethods?.join(), 'QRIS,OVO');
    assert.equal((await h.stores.checkouts.live(h.merchant.id, inv.invoiceId, created.amount * 1))?.status, 'open');
  });

  it("the refusal shows on the dashboard of the merchant's users and the operators for a day, naming Xendit's code; not on another merchant's", async () => {
    const other = await seedAdminCast(h, db());
    await h.stores.merchants.setSettings(h.merchant.id, { paymentMethods: ['OVO'] }, h.clock());
    h.sims.xendit.test.updateAccount(key(), { activatedChannels: ['BCA'] });
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(502);
    const banner = async (email: string, query = '') => (await page(await signedIn(h.app, email), `/admin?lang=en${query}`)).$('[data-checkout-refused]');
    for (const email of ['a@toko.test', 'ops@example.com']) {
      const shown = await banner(email);
      assert.equal(shown.length, 1, email);
      assert.equal(shown.attr('data-checkout-refused'), h.merchant.id);
      assert.match(shown.text(), /Xendit refused to make a checkout/);
      assert.match(shown.text(), /UNAVAILABLE_PAYMENT_METHOD_ERROR/);
    }
    assert.equal((await banner('b@lain.test')).length, 0, "another merchant's users do not see it");
    assert.equal((await banner('ops@example.com', `&merchant=${other.id}`)).length, 0, 'nor the operator looking at another merchant');
    h.clock.advance(86_400_000 + 1000);
    assert.equal((await banner('a@toko.test')).length, 0, 'gone a day after the latest refusal');
  });

  it("a currency the Xendit account does not have: the same page and an alert naming Xendit's code", async () => {
    h.sims.xendit.test.updateAccount(key(), { activatedCurrencies: ['PHP'] });
    const inv = h.addInvoice({});
    const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'en').expect(502);
    assert.equal(heading(res.text), 'Online payment is not available for this invoice');
    assert.equal(await h.count('checkouts'), 0);
    const [alert] = (await alerts()).filter((a) => a.kind === 'checkoutRefused');
    assert.equal(decodeMessage(alert.message).params?.code, 'UNSUPPORTED_CURRENCY');
  });

  it('no channel activated for the currency: the same page and an alert naming NO_COLLECTION_METHODS_ERROR', async () => {
    h.sims.xendit.test.updateAccount(key(), { activatedChannels: ['GCASH'] });
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(502);
    const [alert] = (await alerts()).filter((a) => a.kind === 'checkoutRefused');
    assert.equal(decodeMessage(alert.message).params?.code, 'NO_COLLECTION_METHODS_ERROR');
  });

  it('a Xero contact e-mail Xendit refuses: the checkout is made without it, for the same checkout row, paid and recorded once', async () => {
    await h.stores.merchants.setSettings(h.merchant.id, { xenditReceipts: true }, h.clock());
    const inv = h.addInvoice({ contact: { name: 'Budi', email: 'budi@localhost' } });
    h.sims.xendit.test.clearRequests();
    const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(h.sims.xendit.test.countRequests({ method: 'POST', pathPrefix: '/v2/invoices' }), 2, 'refused with the e-mail, made without');
    const created = xenditInvoices();
    assert.equal(created.length, 1, 'one Xendit invoice');
    assert.equal(res.headers.location, created[0].invoice_url);
    assert.equal(created[0].payer_email, undefined);
    assert.equal(created[0].customer, undefined, 'no receipt e-mail to an address Xendit refused');
    const checkout = (await h.stores.checkouts.forXenditInvoice(h.merchant.id, created[0].id, created[0].external_id))!;
    assert.equal(checkout.status, 'open');
    assert.equal(await h.count('checkouts'), 1);
    assert.equal((await alerts()).filter((a) => a.kind === 'checkoutRefused').length, 0, 'nothing for the merchant to fix at Xendit');

    await h.sims.xendit.pay(created[0].id, { sendCallback: false });
    await paidCallback(h, created[0]);
    await paidCallback(h, created[0]);
    await h.worker.drain();
    assert.equal(await h.count('payments'), 1);
    const xero = h.sims.xero.findInvoice(inv.invoiceId)!;
    assert.equal(xero.status, 'PAID');
    assert.equal(xero.amountPaid, xero.total, 'recorded once');
  });

  it('an outage is still "briefly unavailable": 503 with Retry-After, no alert, and the next click works', async () => {
    const inv = h.addInvoice({});
    h.sims.xendit.faults.failNext(1, 500, { method: 'POST', path: '/v2/invoices' });
    const down = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'en').expect(503);
    assert.equal(heading(down.text), 'Payments are briefly unavailable');
    assert.ok(down.headers['retry-after']);
    // Kept, not deleted: a 5xx or no answer does not say Xendit made nothing. The page says "try
    // again in a minute"; a click sooner waits out the creation wait (5 s here).
    h.clock.advance(5001);
    h.sims.xendit.faults.hang('forever', { method: 'POST', path: '/v2/invoices' });
    const hung = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'en').expect(503);
    assert.equal(heading(hung.text), 'Payments are briefly unavailable');
    h.sims.xendit.faults.reset();
    assert.deepEqual(
      (await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId)).map((c) => c.status),
      ['creating'],
    );
    assert.equal((await alerts()).filter((a) => a.kind === 'checkoutRefused').length, 0);
    h.clock.advance(5001);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(h.sims.xendit.listInvoices().length, 1);
  });
});
