import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createOAuthHarness, oauthMerchantReadyToSell, type OAuthHarness } from '../helpers/xero-oauth.js';
import { addUser, clearAdminTables, page, signedIn } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { DEFAULT_OAUTH_SCOPES } from '../../config/constants.js';

const WITH_PAYMENT_SERVICES = [...DEFAULT_OAUTH_SCOPES, 'paymentservices'].join(' ');

/** "Add Pay with Xendit to my invoices": the payment service made and applied through Xero's API. */
describeEachDatabase('go-live: the payment service added in Xero for the merchant', ({ db }) => {
  let h: OAuthHarness;
  let n = 0;
  beforeEach(async () => {
    h = await createOAuthHarness(db(), { XERO_SCOPES: WITH_PAYMENT_SERVICES });
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null, h.clock());
  });
  afterEach(() => h.close());

  const psCalls = () => h.sims.xero.test.countRequests({ pathPrefix: '/api.xro/2.0/PaymentServices' });

  it('with the paymentservices scope: picks invoice templates, creates the service once, applies it', async () => {
    const { merchant, tenantId } = await oauthMerchantReadyToSell(h, ++n, { scope: WITH_PAYMENT_SERVICES });
    const ops = await signedIn(h.app, 'ops@example.com');
    const goLive = adminMerchantPath(merchant.id);
    const first = await page(ops, `${goLive}?lang=en`);
    const boxes = first.$('#payment-service input[name=themes]');
    assert.deepEqual(boxes.map((_, b) => first.$(b).parent().text().trim()).get(), ['Standard', 'Special projects']);
    const standard = boxes.first().val() as string;
    const done = await ops
      .post(adminMerchantPath(merchant.id, 'adminMerchantPaymentService'))
      .type('form')
      .send({ _csrf: first.csrf(), themes: standard })
      .expect(303);
    assert.equal(done.headers.location, `${goLive}?added=1`);
    assert.deepEqual(h.sims.xero.test.brandingThemes(tenantId), [{ name: 'Standard', paymentService: 'Pay with Xendit' }, { name: 'Special projects' }]);
    const after = await page(ops, `${done.headers.location}&lang=en`);
    assert.match(after.$('#service-added').text(), /1 invoice template/);
    assert.match(after.$('#payment-service p').first().text(), /already a payment service/);

    // Again, with both: the service is reused (one PUT in all), both templates offer it.
    const both = after
      .$('#payment-service input[name=themes]')
      .map((_, b) => after.$(b).val() as string)
      .get();
    h.sims.xero.test.clearRequests();
    await ops.post(adminMerchantPath(merchant.id, 'adminMerchantPaymentService')).type('form').send({ _csrf: after.csrf(), themes: both }).expect(303);
    assert.equal(h.sims.xero.test.countRequests({ method: 'PUT', pathPrefix: '/api.xro/2.0/PaymentServices' }), 0);
    assert.deepEqual(
      h.sims.xero.test.brandingThemes(tenantId).map((t) => t.paymentService),
      ['Pay with Xendit', 'Pay with Xendit'],
    );
    // A template Xero does not have, or none: refused with the reason, nothing applied.
    const bad = await ops
      .post(adminMerchantPath(merchant.id, 'adminMerchantPaymentService'))
      .type('form')
      .send({ _csrf: after.csrf(), themes: 'not-a-theme' })
      .expect(422);
    assert.match(bad.text, /Choose at least one of the invoice templates listed/);
    const audit = await h.stores.audit.forMerchant(merchant.id);
    assert.equal(audit.filter((e) => e.action === 'payment_service_added').length, 2);
  });

  it("without the scope in the merchant's consent: Xero refuses, the page says so and keeps the manual steps", async () => {
    const { merchant, tenantId } = await oauthMerchantReadyToSell(h, ++n); // consented before the scope was asked for
    const ops = await signedIn(h.app, 'ops@example.com');
    const { $, csrf } = await page(ops, `${adminMerchantPath(merchant.id)}?lang=en`);
    assert.equal($('#payment-service').length, 0);
    assert.match($('#service-refused').text(), /did not let the gateway add the payment service/);
    assert.equal($('ol.xerosteps li').length, 4, 'the manual steps');
    await ops.post(adminMerchantPath(merchant.id, 'adminMerchantPaymentService')).type('form').send({ _csrf: csrf(), themes: 'x' }).expect(422);
    assert.deepEqual(
      h.sims.xero.test.brandingThemes(tenantId).map((t) => t.paymentService),
      [undefined, undefined],
    );
  });

  it('a Custom Connection merchant gets the manual steps, and no payment-services call is made', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    h.sims.xero.test.clearRequests();
    const { $ } = await page(ops, adminMerchantPath(h.merchant.id));
    assert.equal($('#payment-service').length + $('#service-refused').length, 0);
    assert.equal(psCalls(), 0);
  });
});
