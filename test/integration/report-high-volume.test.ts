import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { reportAroundToday } from '../helpers/report.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';

/**
 * Past Xero's high volume threshold GET Payments refuses a filter on Account.AccountID
 * (simulators/xero/high-volume.ts), so the report reads the organisation's payments by an optimised
 * filter and keeps its clearing accounts' own: once per report, however many clearing accounts.
 */
describeEachDatabase("the report of an organisation past Xero's high volume threshold", ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(async () => {
    h?.sims.xero.test.pageBy();
    h?.sims.xero.test.highVolumeThreshold();
    await h?.close();
  });

  it("reads the organisation's payments once for two clearing accounts, and reports as below the threshold", async function () {
    this.timeout(120_000);
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    const m = (await h.stores.merchants.byId(h.merchant.id))!;
    await h.stores.merchants.setAccounts(
      h.merchant.id,
      {
        clearingAccountId: m.clearingAccountId,
        clearingAccounts: { PHP: h.clearingPhpAccountId },
        feeAccountCode: '404',
        salesAccountCode: m.salesAccountCode,
      },
      h.clock(),
    );
    // A person's payment into the PHP clearing account, and many the organisation takes elsewhere.
    const php = h.addInvoice({ currency: 'PHP' });
    h.sims.xero.recordPayment(h.tenantId, php.invoiceId, '5', h.clearingPhpAccountId, 'by hand');
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    const other = h.addInvoice({ lineItems: [{ description: 'x', unitAmount: '100000' }] });
    for (let i = 0; i < 250; i++) h.sims.xero.recordPayment(h.tenantId, other.invoiceId, '1', savings, `P${i}`);
    h.sims.xero.test.pageBy(100);
    const below = await reportAroundToday(h);
    assert.ok(
      below.rows.some((r) => r.xenditInvoiceId === x.id && r.status === 'matched'),
      JSON.stringify(below.rows),
    );

    h.sims.xero.test.highVolumeThreshold(100);
    h.sims.xero.test.clearRequests();
    const past = await reportAroundToday(h);
    const reads = h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: '/api.xro/2.0/Payments' });
    const payments = h.sims.xero.test.organisation(h.tenantId).payments.size;
    // One refused read by account, then the organisation's pages once.
    assert.ok(reads <= 1 + Math.ceil(payments / 100), `${reads} reads of GET Payments for ${payments} payments over two clearing accounts`);
    assert.deepEqual(past.rows, below.rows);
    assert.deepEqual(past.totals, below.totals);
  });
});
