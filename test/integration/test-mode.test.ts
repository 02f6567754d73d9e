import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { seedAdminCast, page, signedIn } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';

/** Test money never reaches real books: Xendit test-mode payments and a real Xero organisation. */
describeEachDatabase('Xendit test mode', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
    // The merchant's real organisation: not marked as a test company.
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xeroTestOrganisation: false }, h.clock());
  });
  afterEach(() => h.close());

  const xeroPayments = (invoiceId: string) => h.sims.xero.paymentsOf(invoiceId);

  it('a payment made with a test key is kept out of a Xero organisation not marked as a test company', async () => {
    const { inv, x } = await paidThroughGateway(h);
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 0, 'nothing in Xero');
    assert.equal(h.sims.xero.bankTransactionsOf(h.tenantId).length, 0, 'no fee either');
    const payment = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
    assert.equal(payment?.syncState, 'test_mode');
    assert.match(payment?.lastError ?? '', /not recorded in Xero/);
    // The job is done, not failing or waiting: nothing for an operator to chase.
    assert.deepEqual(
      (await h.stores.jobs.list()).map((j) => j.state),
      ['done'],
    );
  });

  it('is recorded once the merchant marks the organisation as a test company', async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xeroTestOrganisation: true }, h.clock());
    const { inv } = await paidThroughGateway(h);
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 1);
  });

  it('a test payment kept out of Xero does not hold up the real payment once the merchant goes live', async () => {
    const { inv, x } = await paidThroughGateway(h);
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'test_mode');
    // Going live: a live key saved and made the active one (the admin's Xendit page).
    const live = 'xnd_production_GoLive7788';
    h.sims.xendit.registerAccount({
      secretKey: live,
      callbackToken: h.merchant.callbackToken,
      callbackUrl: h.baseUrl + h.callbackPath,
      businessName: 'Toko Test',
    });
    await h.stores.merchants.setXenditKeys(h.merchant.id, { live }, h.clock());
    assert.ok(await h.stores.merchants.switchXenditMode(h.merchant.id, 'live', h.clock()));

    // The invoice is still due in Xero: the customer's click gets a real checkout, not "being recorded".
    const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const fresh = h.sims.xendit.listInvoices().at(-1)!;
    assert.notEqual(fresh.id, x.id);
    assert.equal(res.headers.location, fresh.invoice_url);
    assert.equal(fresh.amount, 150000);
  });

  it('a sale paid in test mode outside Xero (backend flow) creates nothing in Xero', async () => {
    await h.stores.merchants.setSettings(
      h.merchant.id,
      {
        backendFlow: true,
        feePosting: 'bank_transaction',
        xenditFeeBilling: 'deducted',
        overpayments: false,
        xeroTestOrganisation: false,
        salesTaxType: null,
        partialMinPercent: null,
        checkoutHours: null,
        xenditReceipts: false,
        paymentMethods: null,
      },
      h.clock(),
    );
    const before = h.sims.xero.invoicesOf(h.tenantId).length;
    const x = h.sims.xendit.createInvoice({ account: h.merchant.xenditSecretKey, currency: 'IDR', amount: 250_000, customerName: 'Sari' });
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    await request(h.app)
      .post(h.callbackPath)
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ id: x.id, external_id: x.externalId, status: 'PAID' })
      .expect(200);
    await h.worker.drain();
    assert.equal(h.sims.xero.invoicesOf(h.tenantId).length, before);
    assert.equal(await h.count('payments'), 0);
  });

  it('the admin says test mode on every merchant page and never "live"', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    for (const path of [
      adminMerchantPath(h.merchant.id),
      adminMerchantPath(h.merchant.id, 'adminMerchantSettings'),
      adminMerchantPath(h.merchant.id, 'adminMerchantXendit'),
    ]) {
      const { $ } = await page(agent, path);
      assert.match($('.banner.test-mode').text(), /Test mode: payments use Xendit test money and are not recorded in your real Xero books/, path);
    }
    const golive = await page(agent, adminMerchantPath(h.merchant.id));
    assert.match(golive.$('[role=status]').first().text(), /^Test mode, not live/);
    assert.doesNotMatch(golive.$('[role=status]').first().text(), /This merchant is live/);
  });
});
