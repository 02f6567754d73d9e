import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { BILLING_REPORT_HEAD, monthlyBilledHarness } from '../helpers/fee-bills.js';
import request from 'supertest';
import { paidThroughGateway, type Harness } from '../helpers/harness.js';
import { PASSWORD, page, saveSettings, signedIn, type Agent } from '../helpers/admin.js';
import { hashPassword } from '../../app/admin/auth/passwords.js';
import { adminMerchantPath } from '../../app/paths.js';
import { STEP_UP_MS } from '../../app/admin/web.js';

const INVOICES = '/api.xro/2.0/Invoices';

/** A Billing Report as Xendit's docs describe it (docs.xendit.co "Billing report"): two months, one VA payment refunded in part. */
function billingReport(rows: [string, string, string, string][], opts: { bom?: boolean; crlf?: boolean } = {}): string {
  const head = BILLING_REPORT_HEAD;
  const lines = rows.map(([id, billedAt, fee, vat], i) => `${id},"ref, ${i}",VA_PAYMENT,BCA,DEFAULT,biz_1,${billedAt},IDR,150000,${fee},${vat}`);
  const text = [head, ...lines].join(opts.crlf ? '\r\n' : '\n');
  return opts.bom ? `\uFEFF${text}` : text;
}

const NOVEMBER = billingReport(
  [
    ['txn_1', '2026-11-03 10:00:00', '4500', '495'],
    ['txn_2', '2026-11-29 23:59:59', '4500', '495'],
    ['txn_3', '2026-11-30 08:00:00', '-1200', '-132'],
  ],
  { bom: true, crlf: true },
);

/**
 * Issue 16 §1: fees Xendit bills monthly (not taken from each payment) go into Xero as one bill per
 * month and currency, from the Billing Report the merchant uploads, once.
 */
describeEachDatabase('Xendit fee bills (fees invoiced monthly)', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await monthlyBilledHarness(db());
  });
  afterEach(() => h.close());

  const pagePath = () => adminMerchantPath(h.merchant.id, 'adminMerchantFeeBills');
  const bills = (number: string) => h.sims.xeroClient.findBillsByNumber(h.merchant.xero, number);
  async function upload(agent: Agent, report: string, status = 200) {
    const { csrf } = await page(agent, pagePath());
    const res = await agent.post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsPreview')).type('form').send({ _csrf: csrf(), report }).expect(status);
    return cheerio.load(res.text);
  }
  function confirm(agent: Agent, $: cheerio.CheerioAPI, status = 303) {
    const form = $('#fee-book');
    assert.equal(form.length, 1, 'a confirm button');
    return agent
      .post(form.attr('action')!)
      .type('form')
      .send({ _csrf: String(form.find('input[name=_csrf]').val()), mode: 'report', report: form.find('textarea[name=report]').text() })
      .expect(status);
  }

  it('upload → preview per month → confirm: one bill from Xendit per month in Xero, fees and VAT on the fee account; the same report again books nothing', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const $ = await upload(agent, NOVEMBER);
    const row = $('#fee-preview tr[data-period="2026-11"][data-currency=IDR]');
    assert.equal(row.attr('data-status'), 'new');
    assert.deepEqual(
      row
        .find('td')
        .map((_, td) => $(td).text().replace(/\s/g, ' '))
        .get()
        .slice(2, 5),
      ['3', 'IDR 7,800', 'IDR 858'],
      'refunded fees given back are subtracted',
    );
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id)).length, 0, 'a preview writes nothing');
    await confirm(agent, $).expect('location', `${pagePath()}?booked=1`);
    await h.worker.drain();

    const [bill, ...more] = await bills('Xendit fees 2026-11 IDR');
    assert.equal(more.length, 0);
    assert.equal(bill.type, 'ACCPAY');
    assert.equal(bill.status, 'AUTHORISED');
    assert.equal(bill.contactName, 'Xendit');
    assert.equal(Number(bill.total), 8658);
    assert.deepEqual(
      (await h.sims.xeroClient.getInvoice(h.merchant.xero, bill.invoiceId))!.lineItems.map((l) => [l.description, Number(l.unitAmount), l.accountCode]),
      [
        ['Xendit fees 2026-11', 7800, '404'],
        ['VAT on Xendit fees 2026-11', 858, '404'],
      ],
    );
    const [stored] = await h.stores.feeBills.forMerchant(h.merchant.id);
    assert.equal(stored.state, 'recorded');
    assert.equal(stored.xeroInvoiceId, bill.invoiceId);
    const audit = await h.stores.audit.forMerchant(h.merchant.id);
    assert.ok(audit.some((e) => e.action === 'xendit_fee_bill_booked'));

    const again = await upload(agent, NOVEMBER);
    assert.equal(again('#fee-preview tr[data-period="2026-11"]').attr('data-status'), 'same');
    assert.equal(again('#fee-book').length, 0, 'nothing new to book');
    await h.worker.drain();
    assert.equal((await bills('Xendit fees 2026-11 IDR')).length, 1);
    const shown = await page(agent, pagePath());
    assert.equal(shown.$('#fee-bills tr[data-period="2026-11"]').attr('data-state'), 'recorded');
  });

  it("end to end with the simulated Xendit: its Billing Report of settled payments books their fees; the clearing account then holds Xendit's balance", async () => {
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { feeBilling: 'invoiced' });
    const paid = [await paidThroughGateway(h), await paidThroughGateway(h)];
    await h.worker.drain();
    for (const { x } of paid) await h.sims.xendit.settle(x.id);
    await h.worker.drain();
    const dashboard = cheerio.load((await request(h.sims.xenditUrl).get('/dashboard').expect(200)).text);
    const link = dashboard('a.billing-report').first().attr('href')!;
    const csv = (
      await request(h.sims.xenditUrl)
        .get(new URL(link, 'http://sim').pathname + new URL(link, 'http://sim').search)
        .expect(200)
    ).text;

    const agent = await signedIn(h.app, 'a@toko.test');
    const $ = await upload(agent, csv);
    const row = $('#fee-preview tr[data-status=new]');
    assert.equal(row.length, 1);
    const period = row.attr('data-period')!;
    await confirm(agent, $);
    await h.worker.drain();
    const [bill] = await bills(`Xendit fees ${period} IDR`);
    assert.equal(Number(bill.total), 2 * 4350, "two payments' 2.9 % fees");
    const atXendit = h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR');
    assert.equal(atXendit, 2 * 150_000, 'fees billed are not taken from the balance');
    assert.equal(
      h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId),
      BigInt(atXendit * 100),
      'no fee posted per payment: the clearing account holds what Xendit holds',
    );
  });

  it('a corrected report for a month already booked is refused with the reason, and nothing is booked', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    await confirm(agent, await upload(agent, NOVEMBER));
    await h.worker.drain();
    const corrected = billingReport([
      ['txn_1', '2026-11-03 10:00:00', '4500', '495'],
      ['txn_4', '2026-12-01 09:00:00', '3000', '330'],
    ]);
    const $ = await upload(agent, corrected);
    assert.equal($('#fee-preview tr[data-period="2026-11"]').attr('data-status'), 'differs');
    assert.equal($('#fee-book').length, 0, 'no confirm while a month differs');
    // The confirm sent anyway (an old tab, a forged form): refused, all or nothing.
    const { csrf } = await page(agent, pagePath());
    const res = await agent
      .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook'))
      .type('form')
      .send({ _csrf: csrf(), mode: 'report', report: corrected })
      .expect(422);
    assert.match(cheerio.load(res.text)('#e-report').text(), /Already booked with other totals: 2026-11 IDR/);
    await h.worker.drain();
    assert.deepEqual(
      (await h.stores.feeBills.forMerchant(h.merchant.id)).map((b) => b.period),
      ['2026-11'],
      'December was not booked either',
    );
  });

  describe('a bill that never reached Xero', () => {
    const OCTOBER = billingReport([['txn_10', '2026-10-15 10:00:00', '4500', '0']]);
    const CORRECTED = billingReport([['txn_10', '2026-10-15 10:00:00', '4800', '0']]);
    const feeAccount = (code: string) =>
      h.stores.merchants.setAccounts(
        h.merchant.id,
        {
          clearingAccountId: h.merchant.clearingAccountId,
          clearingAccounts: h.merchant.clearingAccounts,
          feeAccountCode: code,
          salesAccountCode: h.merchant.salesAccountCode,
        },
        h.clock(),
      );
    const october = async () => (await h.stores.feeBills.forMerchant(h.merchant.id)).find((b) => b.period === '2026-10')!;

    it('refused by Xero (a bad fee account): a corrected report replaces its totals and is booked, the audit keeps the old total', async () => {
      await feeAccount('999');
      const agent = await signedIn(h.app, 'a@toko.test');
      await confirm(agent, await upload(agent, OCTOBER));
      await h.worker.drain();
      const refused = await october();
      assert.deepEqual([refused.state, refused.xeroInvoiceId, refused.attemptAt], ['needs_review', null, null]);
      assert.match(refused.lastError ?? '', /Xero refused/);

      await feeAccount('404');
      const $ = await upload(agent, CORRECTED);
      assert.equal($('#fee-preview tr[data-period="2026-10"]').attr('data-status'), 'replaces');
      await confirm(agent, $).expect('location', `${pagePath()}?booked=1`);
      await h.worker.drain();
      const [bill, ...more] = await bills('Xendit fees 2026-10 IDR');
      assert.equal(more.length, 0);
      assert.equal(Number(bill.total), 4800, 'the corrected totals, not the refused ones');
      const stored = await october();
      assert.deepEqual([stored.id, stored.state, stored.fees, stored.xeroInvoiceId], [refused.id, 'recorded', 4800, bill.invoiceId]);
      const replaced = (await h.stores.audit.forMerchant(h.merchant.id)).find((e) => e.action === 'xendit_fee_bill_replaced');
      assert.deepEqual(replaced?.detail, { period: '2026-10', previous: '4500 IDR', total: '4800 IDR' });
      // Now in Xero: other totals again are refused.
      const again = await upload(agent, billingReport([['txn_10', '2026-10-15 10:00:00', '4900', '0']]));
      assert.equal(again('#fee-preview tr[data-period="2026-10"]').attr('data-status'), 'differs');
    });

    it("its fee account archived in Xero since: the bill waits for review in Xero's words; once an active one is chosen, its job run again books it", async () => {
      h.sims.xero.test.archiveAccount(h.tenantId, h.sims.xero.bankAccountFor(h.tenantId, '404').accountId);
      const agent = await signedIn(h.app, 'a@toko.test');
      await confirm(agent, await upload(agent, OCTOBER));
      await h.worker.drain();
      const refused = await october();
      assert.deepEqual([refused.state, refused.attemptAt], ['needs_review', null]);
      assert.match(
        refused.lastError ?? '',
        /^Xero refused the Xendit fee bill: .*Account code '404' has been archived, or has been deleted\. Each line item must reference a valid account\./,
      );
      assert.equal((await bills('Xendit fees 2026-10 IDR')).length, 0);

      h.sims.xero.addAccount(h.tenantId, { code: '405', name: 'Payment Fees', type: 'EXPENSE' });
      await feeAccount('405');
      const job = (await h.stores.jobs.list()).find((j) => j.kind === 'record-fee-bill')!;
      assert.equal(job.state, 'needs_review');
      assert.equal(await h.stores.jobs.replay(job.id, h.clock()), true);
      await h.worker.drain();
      assert.equal((await october()).state, 'recorded');
      assert.equal((await bills('Xendit fees 2026-10 IDR')).length, 1);
      const bill = h.sims.xero.invoicesOf(h.tenantId).find((i) => i.invoiceNumber === 'Xendit fees 2026-10 IDR')!;
      assert.deepEqual(
        bill.lineItems.map((li) => li.accountCode),
        ['405'],
      );
    });

    it('sent without an answer (attempt mark set), even when left for review: other totals are still refused, it may be in Xero', async () => {
      const agent = await signedIn(h.app, 'a@toko.test');
      h.sims.xero.faults.dropResponseAfterSave(1, { path: INVOICES });
      await confirm(agent, await upload(agent, OCTOBER));
      await h.worker.drain();
      const sent = await october();
      assert.ok(sent.attemptAt, 'outcome unknown');
      await h.stores.feeBills.needsReview(sent.id, 'looked at by a person', h.clock());
      const $ = await upload(agent, CORRECTED);
      assert.equal($('#fee-preview tr[data-period="2026-10"]').attr('data-status'), 'differs');
      const { csrf } = await page(agent, pagePath());
      const res = await agent
        .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook'))
        .type('form')
        .send({ _csrf: csrf(), mode: 'report', report: CORRECTED })
        .expect(422);
      assert.match(cheerio.load(res.text)('#e-report').text(), /Already booked with other totals: 2026-10 IDR/);
      assert.equal((await october()).fees, 4500);
    });
  });

  it('careless uploads get a 400 page naming the problem, and write nothing', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    for (const [report, text] of [
      ['', /empty/],
      [
        'id,amount\n1,2',
        /This file cannot be booked: it is not a Xendit billing report: it has no billed_at, fees_paid_amount, vat_paid_amount, net_currency column/,
      ],
      [billingReport([['t', 'yesterday', '1', '0']]), /line 2: billed_at "yesterday" is not a date/],
      [billingReport([['t', '2026-11-01', '1.5', '0']]), /line 2: a fee or VAT amount that is not a number in IDR/],
      [billingReport([['t', '2026-11-01', '"1,000"', '0']]), /line 2: a fee or VAT amount/],
      ['billed_at,fees_paid_amount,vat_paid_amount,net_currency\n"2026-11-01,1,0,IDR', /ends inside a quoted cell/],
    ] as const) {
      const $ = await upload(agent, report, 400);
      assert.match($('#e-report').text(), text, report.slice(0, 60));
    }
    assert.deepEqual(await h.stores.feeBills.forMerchant(h.merchant.id), []);
  });

  it('the typed totals of a PDF invoice book the same way; bad fields get the form back', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { csrf } = await page(agent, pagePath());
    const post = (fields: Record<string, string>, status: number) =>
      agent
        .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook'))
        .type('form')
        .send({ _csrf: csrf(), mode: 'manual', ...fields })
        .expect(status);
    const bad = await post({ period: '2026-13', currency: 'EUR', fees: '1.000', vat: '', xenditInvoiceNumber: '' }, 422);
    const $ = cheerio.load(bad.text);
    assert.ok($('#e-period').text() && $('#e-currency').text());
    await post({ period: '2026-10', currency: 'idr', fees: '120000', vat: '13200', xenditInvoiceNumber: 'INV/XND/2026/10/77' }, 303);
    await h.worker.drain();
    const [bill] = await bills('Xendit fees 2026-10 IDR');
    assert.equal(Number(bill.total), 133200);
    assert.match((await h.sims.xeroClient.getInvoice(h.merchant.xero, bill.invoiceId))!.lineItems[0].description, /Xendit invoice INV\/XND\/2026\/10\/77/);
  });

  it('the same month typed in two tabs at once: the same totals book one bill, other totals are refused (422) as when booked before', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { csrf } = await page(agent, pagePath());
    const post = async (period: string, fees: string) =>
      agent
        .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook'))
        .type('form')
        .send({ _csrf: csrf(), mode: 'manual', period, currency: 'IDR', fees, vat: '0', xenditInvoiceNumber: '' });
    // Both requests read the booked bills before either writes: each finds the month new.
    const feeBills = h.stores.feeBills;
    const read = feeBills.forMerchant.bind(feeBills);
    const atOnce = async (period: string, fees: [string, string]) => {
      let arrived = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      feeBills.forMerchant = async (id) => {
        const bills = await read(id);
        if (++arrived === 2) release();
        await gate;
        return bills;
      };
      try {
        return await Promise.all(fees.map((f) => post(period, f)));
      } finally {
        feeBills.forMerchant = read;
      }
    };
    const same = await atOnce('2026-10', ['120000', '120000']);
    assert.deepEqual(same.map((r) => `${r.status} ${r.headers.location?.split('?')[1]}`).sort(), ['303 booked=0', '303 booked=1']);
    const other = await atOnce('2026-09', ['130000', '140000']);
    assert.deepEqual(other.map((r) => r.status).sort(), [303, 422]);
    const refused = other.find((r) => r.status === 422)!;
    assert.match(cheerio.load(refused.text)('#e-report').text(), /Already booked with other totals: 2026-09 IDR/);
    await h.worker.drain();
    const booked = (await h.stores.feeBills.forMerchant(h.merchant.id)).map((b) => `${b.period} ${b.fees}`).sort();
    assert.equal(booked.length, 2, 'one bill a month');
    assert.equal(booked[1], '2026-10 120000');
  });

  it('fees and VAT whose total passes the exact range of amounts: the form again (422) or the report refused (400); no bill, no job', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { csrf } = await page(agent, pagePath());
    const book = (fields: Record<string, string>, status: number) =>
      agent
        .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook'))
        .type('form')
        .send({ _csrf: csrf(), ...fields })
        .expect(status);
    const jobs = await h.count('jobs');
    // Each amount is exact (2^53 - 1 and 1); their total is not.
    const manual = await book({ mode: 'manual', period: '2026-10', currency: 'IDR', fees: '9007199254740991', vat: '1', xenditInvoiceNumber: '' }, 422);
    assert.equal(cheerio.load(manual.text)('#e-fees').text().trim(), 'Fees and VAT together are too large to book.');
    const report = billingReport([['t1', '2026-10-05 10:00:00', '9007199254740991', '1']]);
    assert.match((await upload(agent, report, 400))('#e-report').text(), /the totals of 2026-10 IDR are too large/);
    assert.match(
      cheerio
        .load((await book({ mode: 'report', report }, 400)).text)('#e-report')
        .text(),
      /the totals of 2026-10 IDR are too large/,
    );
    assert.deepEqual(await h.stores.feeBills.forMerchant(h.merchant.id), []);
    assert.equal(await h.count('jobs'), jobs);
  });

  it('months outside 2000–2099 (the rule of the date fields) are refused: the form again (422), the report line named (400); nothing written', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { csrf } = await page(agent, pagePath());
    const book = (fields: Record<string, string>, status: number) =>
      agent
        .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook'))
        .type('form')
        .send({ _csrf: csrf(), ...fields })
        .expect(status);
    const jobs = await h.count('jobs');
    // A year 0226 would be read as 1926 when the bill's dates are made.
    for (const period of ['0226-02', '1999-12', '2100-01']) {
      const res = await book({ mode: 'manual', period, currency: 'IDR', fees: '120000', vat: '', xenditInvoiceNumber: '' }, 422);
      assert.equal(cheerio.load(res.text)('#e-period').text().trim(), 'Type the billing month as YYYY-MM, from 2000-01 to 2099-12, e.g. 2026-11.', period);
    }
    const report = billingReport([
      ['t1', '2026-10-05 10:00:00', '4500', '495'],
      ['t2', '0042-05-31 10:00:00', '4500', '495'],
    ]);
    const said = /line 3: billed_at "0042-05-31 10:00:00" is not a date from 2000 to 2099/;
    assert.match((await upload(agent, report, 400))('#e-report').text(), said);
    assert.match(
      cheerio
        .load((await book({ mode: 'report', report }, 400)).text)('#e-report')
        .text(),
      said,
    );
    assert.deepEqual(await h.stores.feeBills.forMerchant(h.merchant.id), []);
    assert.equal(await h.count('jobs'), jobs);
  });

  it("Xero's answer lost: the retry finds the bill by its number and makes no second one", async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    h.sims.xero.faults.dropResponseAfterSave(1, { path: INVOICES });
    await confirm(agent, await upload(agent, NOVEMBER));
    await h.worker.drain();
    assert.equal((await bills('Xendit fees 2026-11 IDR')).length, 1, 'Xero saved it');
    const [pending] = await h.stores.feeBills.forMerchant(h.merchant.id);
    assert.ok(pending.attemptAt, 'outcome unknown');

    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId); // later than Xero keeps a key
    await h.worker.drain();
    assert.equal((await bills('Xendit fees 2026-11 IDR')).length, 1, 'found, not made again');
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id))[0].state, 'recorded');
  });

  it('test-mode keys never book into an organisation that is not a test company', async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xeroTestOrganisation: false }, h.clock());
    const agent = await signedIn(h.app, 'a@toko.test');
    await confirm(agent, await upload(agent, NOVEMBER));
    await h.worker.drain();
    assert.deepEqual(await bills('Xendit fees 2026-11 IDR'), []);
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id))[0].state, 'test_mode');

    // Xendit bills only a live account's fees: the same report uploaded again once the live key is
    // in use books the month (it was "same", and the month never reached the books).
    await h.stores.merchants.setXenditKeys(h.merchant.id, { live: 'xnd_production_FeeBillLive4321' }, h.clock());
    await h.stores.merchants.switchXenditMode(h.merchant.id, 'live', h.clock());
    const again = await upload(agent, NOVEMBER);
    assert.equal(again('#fee-book').length, 1, 'offered for booking again');
    await confirm(agent, again);
    await h.worker.drain();
    assert.equal((await bills('Xendit fees 2026-11 IDR')).length, 1);
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id))[0].state, 'recorded');
  });

  it('fees taken from each payment since a change of the setting: the months billed before it are booked, months without billing are refused (their fees are in Xero already)', async () => {
    // Changed on the settings page on 2026-11-25 (the harness's clock): November was billed in part.
    const agent = await signedIn(h.app, 'a@toko.test');
    await saveSettings(agent, h.merchant.id, { xenditFeeBilling: 'deducted', salesTaxType: '' });
    assert.equal((await h.stores.merchants.byId(h.merchant.id))?.xenditFeeBilling, 'deducted');
    const { csrf } = await page(agent, pagePath());
    assert.match((await page(agent, pagePath())).$('.warning').text(), /only for months when Xendit billed/);
    const manual = (period: string, status: number) =>
      agent
        .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook'))
        .type('form')
        .send({ _csrf: csrf(), mode: 'manual', period, currency: 'IDR', fees: '1000', vat: '', xenditInvoiceNumber: '' })
        .expect(status);
    for (const period of ['2026-12', '2025-11']) {
      const $ = cheerio.load((await manual(period, 422)).text);
      assert.match($('#e-period').text(), new RegExp(`In ${period} .*would count them twice`));
    }
    const december = billingReport([['txn_9', '2026-12-02 10:00:00', '4500', '495']]);
    assert.match((await upload(agent, december, 422))('#e-report').text(), /In 2026-12 .*would count them twice/);
    assert.deepEqual(await h.stores.feeBills.forMerchant(h.merchant.id), []);

    // November's bill, uploaded after the change, is booked all the same.
    await confirm(agent, await upload(agent, NOVEMBER));
    await h.worker.drain();
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id))[0].state, 'recorded');
    assert.equal((await bills('Xendit fees 2026-11 IDR')).length, 1);
  });

  it('a bill queued while billed monthly, whose month the setting no longer covers, is not booked: it waits for review', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const december = billingReport([['txn_9', '2026-12-02 10:00:00', '4500', '495']]);
    await confirm(agent, await upload(agent, december));
    // Changed back to fees taken from each payment before December, and before the job ran.
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'deducted' }, h.clock());
    await h.worker.drain();
    const [bill] = await h.stores.feeBills.forMerchant(h.merchant.id);
    assert.equal(bill.state, 'needs_review');
    assert.match(bill.lastError ?? '', /taken from each payment in 2026-12/);
    assert.deepEqual(await bills('Xendit fees 2026-12 IDR'), []);
  });

  it('staff only read (403 on booking), another merchant gets 404, booking needs the step-up password; nothing written', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const $ = await upload(agent, NOVEMBER);
    h.clock.advance(STEP_UP_MS + 1000);
    await confirm(agent, $, 401);
    const stranger = await signedIn(h.app, 'b@lain.test');
    await stranger.get(pagePath()).expect(404);
    await h.stores.users.add(
      { email: 'staff@toko.test', passwordHash: await hashPassword(PASSWORD), role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' },
      h.clock(),
    );
    const staff = await signedIn(h.app, 'staff@toko.test');
    const seen = await page(staff, pagePath());
    assert.equal(seen.$('h1').length, 1, 'staff may read the page');
    await staff.post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsPreview')).type('form').send({ _csrf: seen.csrf(), report: NOVEMBER }).expect(403);
    await staff
      .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook'))
      .type('form')
      .send({ _csrf: seen.csrf(), mode: 'report', report: NOVEMBER })
      .expect(403);
    assert.deepEqual(await h.stores.feeBills.forMerchant(h.merchant.id), []);
  });
});
