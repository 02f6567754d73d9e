import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { BILLING_REPORT_HEAD, monthlyBilledHarness } from '../helpers/fee-bills.js';
import type { Harness } from '../helpers/harness.js';
import { page, signedIn } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';

const HEAD = BILLING_REPORT_HEAD;
/** Xendit's Billing Report (docs.xendit.co "Billing report") of two months: October and November. */
const TWO_MONTHS = [
  HEAD,
  'txn_1,r1,VA_PAYMENT,BCA,DEFAULT,biz_1,2026-10-03 10:00:00,IDR,150000,4500,495',
  'txn_2,r2,VA_PAYMENT,BCA,DEFAULT,biz_1,2026-11-03 10:00:00,IDR,150000,4500,495',
].join('\n');

/** An upload books all of its months or none, even when another tab books one of them meanwhile. */
describeEachDatabase('Xendit fee bills: a report of several months racing another tab', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await monthlyBilledHarness(db());
  });
  afterEach(() => h.close());

  it('its second month booked meanwhile with other totals: 422 naming it, and the first month is not booked either (no bill, no job, nothing in Xero)', async () => {
    const agent = await signedIn(h.app, 'a@toko.test');
    const { csrf } = await page(agent, adminMerchantPath(h.merchant.id, 'adminMerchantFeeBills'));
    const preview = await agent
      .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsPreview'))
      .type('form')
      .send({ _csrf: csrf(), report: TWO_MONTHS })
      .expect(200);
    const $ = cheerio.load(preview.text);
    assert.deepEqual(
      $('#fee-preview tr[data-period]')
        .map((_, tr) => `${$(tr).attr('data-period')} ${$(tr).attr('data-status')}`)
        .get()
        .sort(),
      ['2026-10 new', '2026-11 new'],
    );

    // The confirm reads the booked bills (both months new); before it writes, the other tab books
    // November with the totals typed from Xendit's PDF.
    const feeBills = h.stores.feeBills;
    const read = feeBills.forMerchant.bind(feeBills);
    feeBills.forMerchant = async (id) => {
      const bills = await read(id);
      feeBills.forMerchant = read;
      await agent
        .post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsBook'))
        .type('form')
        .send({ _csrf: csrf(), mode: 'manual', period: '2026-11', currency: 'IDR', fees: '5000', vat: '0', xenditInvoiceNumber: 'INV-11' })
        .expect(303);
      return bills;
    };
    const form = $('#fee-book');
    const refused = await agent
      .post(form.attr('action')!)
      .type('form')
      .send({ _csrf: String(form.find('input[name=_csrf]').val()), mode: 'report', report: form.find('textarea[name=report]').text() })
      .expect(422);
    assert.equal(feeBills.forMerchant, read, 'the other tab booked in between');
    assert.match(cheerio.load(refused.text)('#e-report').text(), /Already booked with other totals: 2026-11 IDR/);

    assert.deepEqual(
      (await feeBills.forMerchant(h.merchant.id)).map((b) => `${b.period} ${b.fees}`),
      ['2026-11 5000'],
      'October is not booked: all or none',
    );
    const jobs = await db().selectFrom('jobs').select('payload').where('kind', '=', 'record-fee-bill').execute();
    assert.equal(jobs.length, 1, 'one job: the other tab’s');
    await h.worker.drain();
    assert.deepEqual(await h.sims.xeroClient.findBillsByNumber(h.merchant.xero, 'Xendit fees 2026-10 IDR'), [], 'nothing of October in Xero');
    const audit = await h.stores.audit.forMerchant(h.merchant.id);
    assert.deepEqual(
      audit.filter((e) => e.action === 'xendit_fee_bill_booked').map((e) => e.detail.period),
      ['2026-11'],
    );
  });
});
