import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { page, seedAdminCast, signedIn, versionOf } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { CHANNELS } from '../../app/clients/xendit/channels.js';

const SETTINGS_FORM = 'form[action$="/settings"]';

/** Checkout options per merchant, passed to each new Xendit invoice. */
describeEachDatabase('checkout options per merchant', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  const settingsPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantSettings');
  /** The settings form as a browser sends it: every switch as shown, these changed. */
  async function saveSettings(change: Record<string, string>) {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $, csrf } = await page(agent, settingsPath());
    const form: Record<string, string> = { _csrf: csrf(), version: versionOf($, SETTINGS_FORM) };
    $('form input[type=radio][checked]').each((_, el) => void (form[$(el).attr('name')!] = $(el).val() as string));
    const tax = $('form select[name=salesTaxType]').val();
    if (typeof tax === 'string') form.salesTaxType = tax;
    await agent
      .post(settingsPath())
      .type('form')
      .send({ ...form, ...change })
      .expect(303);
  }
  const pay = async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    return h.sims.xendit.listInvoices().at(-1)!;
  };

  it('how long a checkout stays payable: the default, then the merchant’s choice', async () => {
    const a = await pay();
    assert.equal((Date.parse(a.expiry_date) - Date.parse(a.created)) / 1000, 86400, 'XENDIT_INVOICE_DURATION_SECONDS');
    await saveSettings({ checkoutHours: '1' });
    assert.equal((await h.stores.merchants.byId(h.merchant.id))!.checkoutHours, 1);
    const b = await pay();
    assert.equal((Date.parse(b.expiry_date) - Date.parse(b.created)) / 1000, 3600);
    const checkout = (await h.stores.checkouts.forXenditInvoice(h.merchant.id, b.id, b.external_id))!;
    assert.equal((checkout.expiresAt.getTime() - checkout.createdAt.getTime()) / 1000, 3600, 'our record agrees with Xendit');
  });

  it("Xendit's receipt e-mail: off by default, on when the merchant says so", async () => {
    const a = await pay();
    await h.sims.xendit.pay(a.id);
    assert.deepEqual(h.sims.xendit.test.notifications(), []);
    await saveSettings({ xenditReceipts: 'true' });
    const b = await pay();
    await h.sims.xendit.pay(b.id);
    assert.deepEqual(
      h.sims.xendit.test.notifications().map((n) => [n.invoiceId, n.event, n.channel, n.to]),
      [[b.id, 'invoice_paid', 'email', 'budi@example.co.id']],
    );
  });

  it('refuses a value the form never offered (400/422), saving nothing', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { csrf } = await page(agent, settingsPath());
    const res = await agent.post(settingsPath()).type('form').send({ _csrf: csrf(), checkoutHours: '5000' });
    assert.ok(res.status === 400 || res.status === 422, String(res.status));
    assert.equal((await h.stores.merchants.byId(h.merchant.id))!.checkoutHours, null);
  });

  it('payment methods: every channel by default; the ticked ones for the invoice currency once chosen', async () => {
    const a = await pay();
    assert.equal(h.sims.xendit.getInvoice(a.id)!.paymentMethods, undefined);
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $, csrf } = await page(agent, settingsPath());
    assert.ok($('#setting-paymentMethods input[value=QRIS]').length);
    const form: Record<string, string | string[]> = { _csrf: csrf(), version: versionOf($, SETTINGS_FORM) };
    $('form input[type=radio][checked]').each((_, el) => void (form[$(el).attr('name')!] = $(el).val() as string));
    form.salesTaxType = '';
    // QRIS and OVO for rupiah, GCASH for pesos: a rupiah invoice offers only the first two.
    await agent
      .post(settingsPath())
      .type('form')
      .send({ ...form, paymentMethods: ['QRIS', 'OVO', 'GCASH'] })
      .expect(303);
    const b = await pay();
    assert.deepEqual(h.sims.xendit.getInvoice(b.id)!.paymentMethods, ['QRIS', 'OVO']);
    const again = await page(agent, settingsPath());
    assert.deepEqual(
      again
        .$('#setting-paymentMethods input:checked')
        .map((_, el) => again.$(el).val())
        .get()
        .sort(),
      ['GCASH', 'OVO', 'QRIS'],
    );
    // A code Xendit does not list: refused, nothing saved.
    await agent
      .post(settingsPath())
      .type('form')
      .send({ ...form, _csrf: again.csrf(), paymentMethods: ['QRIS', 'BITCOIN'] })
      .expect(422);
    assert.deepEqual((await h.stores.merchants.byId(h.merchant.id))!.paymentMethods, ['QRIS', 'OVO', 'GCASH']);
  });

  it('saves the form with every channel ticked: all rupiah ones, then all 80 boxes of every currency', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $, csrf } = await page(agent, settingsPath());
    const form: Record<string, string | string[]> = { _csrf: csrf(), version: versionOf($, SETTINGS_FORM) };
    $('form input[type=radio][checked]').each((_, el) => void (form[$(el).attr('name')!] = $(el).val() as string));
    form.salesTaxType = '';
    const boxes = $('#setting-paymentMethods input[type=checkbox]')
      .map((_, el) => $(el).val() as string)
      .get();
    assert.equal(boxes.length, 80);
    await agent
      .post(settingsPath())
      .type('form')
      .send({ ...form, paymentMethods: [...CHANNELS.IDR] })
      .expect(303);
    assert.deepEqual((await h.stores.merchants.byId(h.merchant.id))!.paymentMethods, [...CHANNELS.IDR]);
    // The page shown again, as a browser would: the form sent before is not the one stored now.
    const again = await page(agent, settingsPath());
    await agent
      .post(settingsPath())
      .type('form')
      .send({ ...form, version: versionOf(again.$, SETTINGS_FORM), paymentMethods: boxes })
      .expect(303);
    assert.deepEqual((await h.stores.merchants.byId(h.merchant.id))!.paymentMethods, [...new Set(boxes)]);
  });
});
