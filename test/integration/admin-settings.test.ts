import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { addUser, atOnce, formFields, seedAdminCast, page, signedIn, versionOf, type Agent } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import type { Merchant } from '../../app/store/merchants.js';

describeEachDatabase('admin: merchant settings (backend flow, fee posting, overpayments, sales tax)', ({ db }) => {
  let h: Harness;
  let other: Merchant;
  beforeEach(async () => {
    h = await createHarness(db());
    other = await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  const settingsPath = (id = h.merchant.id) => adminMerchantPath(id, 'adminMerchantSettings');
  const checked = ($: cheerio.CheerioAPI, name: string) => $(`input[name=${name}][checked]`).val();
  async function save(agent: Agent, body: Record<string, string>, status: number, id = h.merchant.id) {
    const form = await page(agent, settingsPath(id));
    // Forms that choose the fee posting also send the Xendit fee billing (default) unless they say otherwise.
    const billing = 'feePosting' in body ? { xenditFeeBilling: 'deducted' } : {};
    // Like a browser, the other switches send what is checked (the part payments switch, when a test does not choose it).
    const others = ['partialMinPercent', 'checkoutHours', 'xenditReceipts'].filter((k) => 'feePosting' in body && !(k in body));
    const partial = Object.fromEntries(others.map((k) => [k, String(checked(form.$, k))]));
    return agent
      .post(settingsPath(id))
      .type('form')
      .send({ _csrf: form.csrf(), version: versionOf(form.$, 'form[action$="/settings"]'), ...billing, ...partial, ...body })
      .expect(status);
  }
  const stored = async () => (await h.stores.merchants.byId(h.merchant.id))!;
  const SETTINGS = { backendFlow: 'false', feePosting: 'bank_transaction', overpayments: 'false', salesTaxType: '' };

  it('shows each switch with its explanation and current value, and saves it (merchant user, own merchant)', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(agent, settingsPath());
    assert.deepEqual(
      $('nav.tabs a[aria-current=page]')
        .map((_, el) => $(el).text())
        .get(),
      [$('nav.tabs a').eq(3).text()],
      'the tabs mark the step shown',
    );
    assert.equal(checked($, 'backendFlow'), 'false');
    assert.equal(checked($, 'feePosting'), 'bank_transaction');
    assert.equal($('#setting-backendFlow legend').text(), 'Payments made outside Xero (backend flow)');
    assert.match($('#h-backendFlow').text(), /recorded in Xero as a sale/);
    assert.match($('#h-feePosting').text(), /Spend Money/);
    assert.equal($('#setting-feePosting').attr('aria-describedby'), 'h-feePosting');
    assert.equal($('label[for=f-feePosting-off]').text(), 'Do not post fees');
    assert.equal($('[style]').length + $('script:not([src])').length, 0);

    assert.equal(checked($, 'overpayments'), 'false');
    assert.deepEqual(
      $('input[name=feePosting]')
        .map((_, el) => $(el).val())
        .get(),
      ['bank_transaction', 'manual_journal', 'off'],
    );
    assert.match($('#h-overpayments').text(), /needs review/);

    const res = await save(agent, { backendFlow: 'true', feePosting: 'off', overpayments: 'true', xeroTestOrganisation: 'true', salesTaxType: '' }, 303);
    assert.equal(res.headers.location, `${settingsPath()}?saved=1`);
    const s = await stored();
    assert.equal(s.backendFlow, true);
    assert.equal(s.feePosting, 'off');
    assert.equal(s.overpayments, true);
    const after = await page(agent, res.headers.location);
    assert.equal(after.$('p.notice').text(), 'Settings saved.');
    assert.equal(checked(after.$, 'backendFlow'), 'true');
    assert.equal(checked(after.$, 'feePosting'), 'off');
    assert.equal(checked(after.$, 'overpayments'), 'true');
    await save(agent, { backendFlow: 'true', feePosting: 'manual_journal', overpayments: 'false', xeroTestOrganisation: 'true', salesTaxType: '' }, 303);
    assert.equal((await stored()).feePosting, 'manual_journal');
    assert.equal(checked((await page(agent, settingsPath())).$, 'feePosting'), 'manual_journal', 'a merchant set to manual journals sees it chosen');
  });

  it('overpayments switched on here: a customer who paid more than is due gets a Xero overpayment for the rest', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    await save(ops, { backendFlow: 'false', feePosting: 'bank_transaction', overpayments: 'true', xeroTestOrganisation: 'true', salesTaxType: '' }, 303);
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    // The merchant records 50 000 cash in Xero after the customer opened the 150 000 checkout.
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account');
    h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '50000', savings.accountId, 'Cash');
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const overpayments = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.type === 'RECEIVE-OVERPAYMENT');
    assert.deepEqual(
      overpayments.map((t) => [t.lineItems.map((li) => li.description), t.total]),
      [[[`Paid at Xendit beyond ${inv.invoiceNumber} (Xendit invoice ${x.id})`], 5000000n]],
    );
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!.syncState, 'recorded');
  });

  it('the switches take effect: fees off → no Spend Money in Xero; backend flow on → a payment made outside Xero is recorded', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    await save(ops, { backendFlow: 'true', feePosting: 'off', overpayments: 'false', xeroTestOrganisation: 'true', salesTaxType: '' }, 303);
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id);
    const outside = h.sims.xendit.createInvoice({
      account: h.merchant.xenditSecretKey,
      currency: 'IDR',
      amount: 80_000,
      description: 'Walk-in',
      payerEmail: 'dewi@example.co.id',
      customerName: 'Dewi',
    });
    await h.sims.xendit.pay(outside.id);
    await h.worker.drain();
    const fees = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference.startsWith('Xendit fee'));
    assert.equal(fees.length, 0, 'no fee posted');
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!.syncState, 'recorded');
    const sale = h.sims.xero.invoicesOf(h.tenantId).filter((i) => i.reference === `Xendit ${outside.id}`);
    assert.equal(sale.length, 1, 'the backend flow recorded the sale');

    await save(ops, { backendFlow: 'false', feePosting: 'bank_transaction', overpayments: 'false', xeroTestOrganisation: 'true', salesTaxType: '' }, 303);
    const later = h.sims.xendit.createInvoice({
      account: h.merchant.xenditSecretKey,
      currency: 'IDR',
      amount: 90_000,
      description: 'Walk-in 2',
      customerName: 'Eko',
    });
    await h.sims.xendit.pay(later.id);
    await h.worker.drain();
    assert.equal(h.sims.xero.invoicesOf(h.tenantId).filter((i) => i.reference === `Xendit ${later.id}`).length, 0, 'backend flow off: left out of Xero');
  });

  it('refuses a missing or unknown option (422, next to the switch) and changes nothing', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    const res = await save(ops, { backendFlow: 'maybe', salesTaxType: '' }, 422);
    const $ = cheerio.load(res.text);
    assert.equal($('#e-backendFlow').text(), 'Choose one of the options.');
    assert.equal($('#e-feePosting').text(), 'Choose one of the options.');
    assert.equal($('#e-overpayments').text(), 'Choose one of the options.');
    assert.equal($('#setting-feePosting').attr('aria-describedby'), 'h-feePosting e-feePosting');
    const s = await stored();
    assert.equal(s.backendFlow, false);
    assert.equal(s.feePosting, 'bank_transaction');
  });

  it("answers 403 without the CSRF token and 404 to another merchant's user", async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    await ops.post(settingsPath()).type('form').send({ backendFlow: 'true', feePosting: 'off' }).expect(403);
    const b = await signedIn(h.app, 'b@lain.test');
    await b.get(settingsPath()).expect(404);
    const own = await page(b, settingsPath(other.id));
    await b.post(settingsPath()).type('form').send({ _csrf: own.csrf(), backendFlow: 'true', feePosting: 'off' }).expect(404);
    assert.equal((await stored()).backendFlow, false);
    await request(h.app).get(settingsPath()).expect(303);
  });

  it('two tabs: the settings form shown before another tab saved is refused (409) with what is stored now, and nothing is written', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    const tab1 = await page(ops, settingsPath());
    const tab2 = await page(ops, settingsPath());
    const form = 'form[action$="/settings"]';
    await ops
      .post(settingsPath())
      .type('form')
      .send({ ...formFields(tab1.$, form), overpayments: 'true' })
      .expect(303);
    const stale = await ops
      .post(settingsPath())
      .type('form')
      .send({ ...formFields(tab2.$, form), feePosting: 'off' })
      .expect(409);
    const $ = cheerio.load(stale.text);
    assert.match($('.errorsummary').text(), /Someone saved this form in another tab or session after you opened it\. Nothing was saved/);
    assert.equal(checked($, 'overpayments'), 'true', "the other tab's change is shown");
    assert.equal(checked($, 'feePosting'), 'bank_transaction', 'what is stored, not what this tab sent');
    assert.equal((await stored()).overpayments, true, 'not undone');
    assert.equal((await stored()).feePosting, 'bank_transaction');
    // The form shown again carries the version now stored: the change can be made on top of the other.
    await ops
      .post(settingsPath())
      .type('form')
      .send({ ...formFields($, form), feePosting: 'off' })
      .expect(303);
    assert.equal((await stored()).feePosting, 'off');
    assert.equal((await stored()).overpayments, true);
    const idPage = await page(ops, `${settingsPath()}?lang=id`);
    const idStale = await ops.post(`${settingsPath()}?lang=id`).type('form').send(formFields(tab2.$, form)).expect(409);
    assert.ok(idPage.res.ok);
    assert.match(cheerio.load(idStale.text)('.errorsummary').text(), /Seseorang menyimpan formulir ini di tab atau sesi lain/);
  });

  it('two tabs: the accounts form shown before another tab saved is refused (409) with what is stored now, and nothing is written', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    const accountsPath = adminMerchantPath(h.merchant.id, 'adminMerchantAccounts');
    const tab1 = await page(ops, accountsPath);
    const tab2 = await page(ops, accountsPath);
    const form = 'form[action$="/accounts"]';
    await ops
      .post(accountsPath)
      .type('form')
      .send({ ...formFields(tab1.$, form), withholdingAccountCode: '404' })
      .expect(303);
    assert.equal((await stored()).withholdingAccountCode, '404');
    const stale = await ops
      .post(accountsPath)
      .type('form')
      .send({ ...formFields(tab2.$, form), salesAccountCode: '' })
      .expect(409);
    const $ = cheerio.load(stale.text);
    assert.match($('.errorsummary').text(), /Someone saved this form in another tab or session after you opened it/);
    assert.equal($('#f-withholdingAccountCode option[selected]').val(), '404', "the other tab's change is shown");
    assert.equal((await stored()).withholdingAccountCode, '404', 'not undone');
    assert.equal((await stored()).salesAccountCode, '200');
    await ops
      .post(accountsPath)
      .type('form')
      .send({ ...formFields($, form), salesAccountCode: '' })
      .expect(303);
    assert.equal((await stored()).salesAccountCode, null);
    assert.equal((await stored()).withholdingAccountCode, '404');
  });

  it('two saves of one settings form at the same moment: one is saved, the other refused (409) with its values, and nothing of it written', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    const form = 'form[action$="/settings"]';
    const tab1 = await page(ops, settingsPath());
    const tab2 = await page(ops, settingsPath());
    const [a, b] = await atOnce(db(), h.merchant.id, [
      () =>
        ops
          .post(settingsPath())
          .type('form')
          .send({ ...formFields(tab1.$, form), overpayments: 'true' }),
      () =>
        ops
          .post(settingsPath())
          .type('form')
          .send({ ...formFields(tab2.$, form), feePosting: 'off' }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [303, 409], 'exactly one of the two is saved');
    const [won, refused] = a.status === 303 ? [{ overpayments: true, feePosting: 'bank_transaction' }, b] : [{ overpayments: false, feePosting: 'off' }, a];
    const s = await stored();
    assert.deepEqual({ overpayments: s.overpayments, feePosting: s.feePosting }, won, "the saved one's change stands, the refused one's is not written");
    const $ = cheerio.load(refused.text);
    assert.match($('.errorsummary').text(), /Someone saved this form in another tab or session after you opened it\. Nothing was saved/);
    assert.equal(checked($, 'overpayments'), String(won.overpayments), 'the refused tab is shown what the other saved');
    assert.equal(checked($, 'feePosting'), won.feePosting);
    assert.deepEqual(
      (await h.stores.audit.forMerchant(h.merchant.id)).map((e) => e.action),
      ['settings_changed'],
      'one change recorded',
    );
  });

  it('two saves of one accounts form at the same moment: one is saved, the other refused (409), and nothing of it written', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    const accountsPath = adminMerchantPath(h.merchant.id, 'adminMerchantAccounts');
    const form = 'form[action$="/accounts"]';
    const tab1 = await page(ops, accountsPath);
    const tab2 = await page(ops, accountsPath);
    const [a, b] = await atOnce(db(), h.merchant.id, [
      () =>
        ops
          .post(accountsPath)
          .type('form')
          .send({ ...formFields(tab1.$, form), withholdingAccountCode: '404' }),
      () =>
        ops
          .post(accountsPath)
          .type('form')
          .send({ ...formFields(tab2.$, form), salesAccountCode: '' }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [303, 409], 'exactly one of the two is saved');
    const won = a.status === 303 ? { withholdingAccountCode: '404', salesAccountCode: '200' } : { withholdingAccountCode: null, salesAccountCode: null };
    const s = await stored();
    assert.deepEqual({ withholdingAccountCode: s.withholdingAccountCode, salesAccountCode: s.salesAccountCode }, won);
    assert.match(
      cheerio
        .load((a.status === 409 ? a : b).text)('.errorsummary')
        .text(),
      /Someone saved this form in another tab or session/,
    );
  });

  it('a settings or accounts form sent without its version is refused (409) and shown again with what is stored; nothing is written', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    const shown = await page(ops, settingsPath());
    const { version, ...unversioned } = formFields(shown.$, 'form[action$="/settings"]');
    assert.ok(version, 'the page carries its version');
    const res = await ops
      .post(settingsPath())
      .type('form')
      .send({ ...unversioned, overpayments: 'true', feePosting: 'off' })
      .expect(409);
    const $ = cheerio.load(res.text);
    assert.match($('.errorsummary').text(), /arrived without the version it was shown with .* Nothing was saved: the form now shows what is stored/);
    assert.equal(checked($, 'overpayments'), 'false', 'what is stored, not what was sent');
    assert.ok($('form[action$="/settings"] input[name=version]').val(), 'with the version to save it again');
    assert.equal((await stored()).overpayments, false);
    assert.equal((await stored()).feePosting, 'bank_transaction');
    // A repeated field is no version either.
    await ops
      .post(settingsPath())
      .type('form')
      .send({ ...unversioned, overpayments: 'true', version: [version, version] })
      .expect(409);
    assert.equal((await stored()).overpayments, false);
    const accountsPath = adminMerchantPath(h.merchant.id, 'adminMerchantAccounts');
    const accounts = await page(ops, accountsPath);
    const { version: _, ...accountsUnversioned } = formFields(accounts.$, 'form[action$="/accounts"]');
    const refused = await ops
      .post(accountsPath)
      .type('form')
      .send({ ...accountsUnversioned, withholdingAccountCode: '404' })
      .expect(409);
    assert.match(cheerio.load(refused.text)('.errorsummary').text(), /arrived without the version/);
    assert.equal((await stored()).withholdingAccountCode, null);
    assert.deepEqual(await h.stores.audit.forMerchant(h.merchant.id), [], 'nothing recorded');
    const idRes = await ops.post(`${settingsPath()}?lang=id`).type('form').send(unversioned).expect(409);
    assert.match(cheerio.load(idRes.text)('.errorsummary').text(), /terkirim tanpa versi/);
  });

  it('"Create a Xendit bank account" reusing the "Xendit" account already in Xero audits the clearing account it switches to', async () => {
    const savings = h.sims.xero.addAccount(h.tenantId, { code: '091', name: 'Savings', type: 'BANK', currencyCode: 'IDR' });
    await h.stores.merchants.setAccounts(
      h.merchant.id,
      { clearingAccountId: savings.accountId, clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null },
      h.clock(),
    );
    const agent = await signedIn(h.app, 'a@toko.test');
    const accounts = await page(agent, adminMerchantPath(h.merchant.id, 'adminMerchantAccounts'));
    const bank = adminMerchantPath(h.merchant.id, 'adminMerchantXenditBank');
    const before = h.sims.xero.test.organisation(h.tenantId).accounts.length;
    await agent.post(bank).type('form').send({ _csrf: accounts.csrf(), currency: 'IDR' }).expect(303);
    assert.equal(h.sims.xero.test.organisation(h.tenantId).accounts.length, before, 'the "Xendit" account already there is reused');
    assert.equal((await stored()).clearingAccountId, h.clearingAccountId);
    const audited = await h.stores.audit.forMerchant(h.merchant.id);
    assert.deepEqual(
      audited.map((a) => [a.action, a.userEmail, a.detail.clearingAccountId]),
      [['accounts_changed', 'a@toko.test', h.clearingAccountId]],
    );
    // Nothing changes the second time: nothing recorded.
    await agent.post(bank).type('form').send({ _csrf: accounts.csrf(), currency: 'IDR' }).expect(303);
    assert.equal((await h.stores.audit.forMerchant(h.merchant.id)).length, 1);
  });

  it('test-key money goes into the books only of a Xero Demo Company: an owner marks the organisation a test one only when Xero says it is one, else only an operator can', async () => {
    // The harness's organisation is not a Demo Company (Xero's default); the merchant starts with test money kept out.
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xeroTestOrganisation: false }, h.clock());
    const owner = await signedIn(h.app, 'a@toko.test');
    const form = await page(owner, settingsPath());
    assert.equal(form.$('#f-xeroTestOrganisation-true').attr('disabled'), 'disabled', 'the owner is not offered it');
    assert.match(form.$('#w-xeroTestOrganisation').text(), /Demo Company/);
    const refused = await save(owner, { ...SETTINGS, xeroTestOrganisation: 'true' }, 422);
    assert.match(cheerio.load(refused.text)('#e-xeroTestOrganisation').text(), /operator/);
    assert.equal((await stored()).xeroTestOrganisation, false, 'a real organisation is not marked a test one by its owner');
    // The owner's other changes are saved as ever.
    await save(owner, { ...SETTINGS, xeroTestOrganisation: 'false', overpayments: 'true' }, 303);
    assert.equal((await stored()).overpayments, true);
    // An operator may (a sandbox organisation Xero does not call a Demo Company); the owner then keeps it as it is.
    const ops = await signedIn(h.app, 'ops@example.com');
    assert.equal((await page(ops, settingsPath())).$('#f-xeroTestOrganisation-true').attr('disabled'), undefined);
    await save(ops, { ...SETTINGS, xeroTestOrganisation: 'true' }, 303);
    assert.equal((await stored()).xeroTestOrganisation, true);
    await save(owner, { ...SETTINGS, xeroTestOrganisation: 'true', overpayments: 'false' }, 303);
    assert.equal((await stored()).xeroTestOrganisation, true);

    // The owner of a merchant whose organisation Xero reports as its Demo Company may mark it.
    const n = randomUUID().slice(0, 6);
    const demoOrg = h.sims.xero.addOrganisation({
      clientId: `demo-${n}`,
      clientSecret: `demo-secret-${n}`,
      name: 'Demo Company (Global)',
      shortCode: `!D${n}`,
      baseCurrency: 'IDR',
      isDemoCompany: true,
    });
    const demo = await h.stores.merchants.add({
      name: 'Demo',
      shortCode: demoOrg.shortCode,
      xero: { clientId: `demo-${n}`, clientSecret: `demo-secret-${n}`, tenantId: '' },
      xenditSecretKey: 'xnd_development_demo',
      callbackToken: 'demo-token',
      clearingAccountId: h.sims.xero.bankAccountFor(demoOrg.tenantId, 'Xendit').accountId,
    });
    assert.equal(demo.xeroTestOrganisation, false);
    await addUser(h.stores, 'owner@demo.test', demo.id, h.clock());
    const demoOwner = await signedIn(h.app, 'owner@demo.test');
    assert.equal((await page(demoOwner, settingsPath(demo.id))).$('#f-xeroTestOrganisation-true').attr('disabled'), undefined);
    await save(demoOwner, { ...SETTINGS, xeroTestOrganisation: 'true' }, 303, demo.id);
    assert.equal((await h.stores.merchants.byId(demo.id))!.xeroTestOrganisation, true);
  });

  it('speaks Indonesian', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(agent, `${settingsPath()}?lang=id`);
    assert.equal($('h1').text(), 'Setelan — Toko Test');
    assert.equal($('#setting-feePosting legend').text(), 'Biaya Xendit di Xero');
    assert.equal($('label[for=f-backendFlow-true]').text(), 'Aktif: catat di Xero');
    const res = await save(agent, { backendFlow: 'x', feePosting: 'off', salesTaxType: '' }, 422);
    assert.equal(cheerio.load(res.text)('#e-backendFlow').text(), 'Pilih salah satu opsi.');
  });
});
