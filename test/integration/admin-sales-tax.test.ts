import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { seedAdminCast, page, saveSettings, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';

const TAX_RATES = '/api.xro/2.0/TaxRates';

describeEachDatabase('admin: tax on sales recorded from Xendit (backend flow)', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  const settingsPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantSettings');
  const save = (agent: Agent, salesTaxType: string | undefined, status: number) =>
    saveSettings(agent, h.merchant.id, { backendFlow: 'true', salesTaxType }, status);
  const stored = async () => (await h.stores.merchants.byId(h.merchant.id))!;
  const setStored = (taxType: string | null) => h.stores.db.updateTable('merchants').set({ sales_tax_type: taxType }).where('id', '=', h.merchant.id).execute();
  const options = ($: cheerio.CheerioAPI) =>
    $('#f-salesTaxType option')
      .map((_, o) => [[$(o).val(), $(o).text()]])
      .get() as unknown as [string, string][];
  const selected = ($: cheerio.CheerioAPI) =>
    $('#f-salesTaxType option[selected]')
      .map((_, o) => $(o).val())
      .get();
  const taxRateCalls = () => h.sims.xero.test.requests().filter((r) => r.path === TAX_RATES).length;

  it('lists the organisation\'s active sales tax rates, read from Xero, after "No tax" (the default)', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const before = taxRateCalls();
    const { $ } = await page(agent, settingsPath());
    assert.equal(taxRateCalls(), before + 1, 'read live from Xero');
    assert.equal($('#setting-salesTaxType legend').text(), 'Tax on sales recorded from Xendit');
    assert.equal($('label[for=f-salesTaxType]').text(), 'Tax rate');
    assert.match($('#h-salesTaxType').text(), /total stays what the customer paid/);
    // NONE is "No tax"; INPUT is for purchases only; TAX001 is archived.
    assert.deepEqual(options($), [
      ['', 'No tax'],
      ['OUTPUT', 'PPN 11% (11%)'],
      ['EXEMPTOUTPUT', 'Exempt Sales (0%)'],
    ]);
    assert.deepEqual(selected($), []);
    assert.equal($('#f-salesTaxType').attr('aria-describedby'), 'h-salesTaxType');
    assert.equal($('#w-salesTaxType').length, 0);
    assert.equal($('[style]').length + $('script:not([src])').length, 0);
  });

  it('saves a rate from the list, and the next sale made outside Xero carries it, tax-inclusive', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const res = await save(agent, 'OUTPUT', 303);
    assert.equal(res.headers.location, `${settingsPath()}?saved=1`);
    assert.equal((await stored()).salesTaxType, 'OUTPUT');
    assert.equal((await stored()).backendFlow, true);
    assert.deepEqual(selected((await page(agent, res.headers.location)).$), ['OUTPUT']);

    const x = h.sims.xendit.createInvoice({
      account: h.merchant.xenditSecretKey,
      currency: 'IDR',
      amount: 150_000,
      description: 'Walk-in',
      customerName: 'Dewi',
    });
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const [inv] = h.sims.xero.invoicesOf(h.tenantId).filter((i) => i.reference === `Xendit ${x.id}`);
    assert.deepEqual([inv.total, inv.totalTax, inv.lineAmountTypes, inv.status], [15_000_000n, 1_486_486n, 'Inclusive', 'PAID']);

    await save(agent, '', 303);
    assert.equal((await stored()).salesTaxType, null, '"No tax" stores nothing');
  });

  it('refuses a code Xero did not offer with 400, the reason next to the list, and saves nothing', async () => {
    const ops = await signedIn(h.app, 'ops@example.com');
    for (const code of ['VAT99', 'INPUT', 'TAX001', 'NONE', 'output', undefined]) {
      const res = await save(ops, code, 400);
      const $ = cheerio.load(res.text);
      assert.equal($('#e-salesTaxType').text(), 'Choose a tax rate from the list, or no tax.', String(code));
      assert.equal($('#f-salesTaxType').attr('aria-invalid'), 'true');
      assert.equal($('#f-salesTaxType').attr('aria-describedby'), 'h-salesTaxType e-salesTaxType');
      assert.equal($('#setting-salesTaxType').hasClass('invalid'), true);
    }
    const s = await stored();
    assert.deepEqual([s.salesTaxType, s.backendFlow], [null, false], 'the switches sent with it were not saved either');
  });

  it('speaks Indonesian (a rate with decimals too)', async () => {
    h.sims.xero.test.addTaxRate(h.tenantId, {
      taxType: 'TAX002',
      name: 'PPN khusus',
      rate: 125_000n,
      status: 'ACTIVE',
      canApplyToRevenue: true,
      canApplyToExpenses: false,
      reportTaxType: 'OUTPUT',
    });
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(agent, `${settingsPath()}?lang=id`);
    assert.equal($('#setting-salesTaxType legend').text(), 'Pajak atas penjualan yang dicatat dari Xendit');
    assert.equal($('label[for=f-salesTaxType]').text(), 'Tarif pajak');
    assert.deepEqual(options($), [
      ['', 'Tanpa pajak'],
      ['OUTPUT', 'PPN 11% (11%)'],
      ['EXEMPTOUTPUT', 'Exempt Sales (0%)'],
      ['TAX002', 'PPN khusus (12,5%)'],
    ]);
    const res = await save(agent, 'VAT99', 400);
    assert.equal(cheerio.load(res.text)('#e-salesTaxType').text(), 'Pilih tarif pajak dari daftar, atau tanpa pajak.');
    const en = await page(agent, `${settingsPath()}?lang=en`);
    assert.equal(options(en.$).at(-1)?.[1], 'PPN khusus (12.5%)');
  });

  it('when Xero cannot be asked: the page shows the rate in use with a warning, the other switches still save, a new rate waits (503)', async () => {
    await setStored('OUTPUT');
    h.sims.xero.faults.failNext(20, 503, { path: TAX_RATES });
    const ops = await signedIn(h.app, 'ops@example.com');
    const { $ } = await page(ops, settingsPath());
    assert.match($('#w-salesTaxType').text(), /could not be read just now/);
    assert.deepEqual(options($), [
      ['', 'No tax'],
      ['OUTPUT', 'In use: OUTPUT'],
    ]);
    assert.deepEqual(selected($), ['OUTPUT']);
    assert.equal($('#f-salesTaxType').attr('aria-describedby'), 'h-salesTaxType w-salesTaxType');

    await save(ops, 'OUTPUT', 303);
    assert.deepEqual([(await stored()).backendFlow, (await stored()).salesTaxType], [true, 'OUTPUT']);
    await save(ops, 'EXEMPTOUTPUT', 503);
    assert.equal((await stored()).salesTaxType, 'OUTPUT', 'not changed without asking Xero');
    await save(ops, '', 303);
    assert.equal((await stored()).salesTaxType, null, 'no tax needs no Xero');
    h.sims.xero.faults.reset();
  });

  it('flags a rate in use that Xero no longer lists (archived), and will not keep it', async () => {
    await setStored('TAX001');
    const ops = await signedIn(h.app, 'ops@example.com');
    const { $ } = await page(ops, settingsPath());
    assert.equal(
      $('#w-salesTaxType').text(),
      'The tax rate in use (TAX001) is no longer an active sales tax rate in Xero: sales would wait for review. Choose another, or no tax.',
    );
    assert.deepEqual(options($).at(-1), ['TAX001', 'In use: TAX001']);
    assert.deepEqual(selected($), ['TAX001']);
    await save(ops, 'TAX001', 400);
    await save(ops, 'EXEMPTOUTPUT', 303);
    assert.equal((await stored()).salesTaxType, 'EXEMPTOUTPUT');
  });
});
