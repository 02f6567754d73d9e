import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { schedule } from '../../app/jobs/schedules.js';

/**
 * The open invoices' read (jobs/sync/open-invoices.ts) asks Xero for pages of 1 000 (summaryOnly).
 * If Xero answers fewer a page than asked (pageSize is a request, xero_accounting.yaml parameters/
 * pageSize), a short first page must not be taken as the last: a complete read forgets every open
 * invoice it did not see.
 */
describeEachDatabase('open invoices read from Xero page by page', ({ db }) => {
  let h: Harness;
  afterEach(async () => {
    h?.sims.xero.test.pageBy();
    await h?.close();
  });

  it('Xero paging by 100 whatever pageSize asks: every open invoice is read, none forgotten', async function () {
    this.timeout(120_000);
    h = await createHarness(db());
    h.sims.xero.limits.perMinute = 100_000; // seeding only; reset() restores Xero's 60
    const made = Array.from({ length: 150 }, (_, i) => h.addInvoice({ invoiceNumber: `OPEN-${String(i).padStart(3, '0')}` }).invoiceNumber);
    await schedule(h, 'sync-open-invoices', 60);
    await h.worker.drain();
    assert.deepEqual((await h.stores.openInvoices.numbers(h.merchant.id)).sort(), made, 'one page of 1 000 holds them all');

    h.sims.xero.test.pageBy(100);
    h.clock.advance(60 * 60_000); // the next run
    await schedule(h, 'sync-open-invoices', 60);
    await h.worker.drain();
    const reads = h.sims.xero.test.requests({ method: 'GET', pathPrefix: '/api.xro/2.0/Invoices' }).map((r) => new URLSearchParams(r.query).get('page'));
    assert.deepEqual(reads.slice(-2), ['1', '2'], 'the second page is read too');
    assert.deepEqual((await h.stores.openInvoices.numbers(h.merchant.id)).sort(), made, 'none forgotten');
  });
});
