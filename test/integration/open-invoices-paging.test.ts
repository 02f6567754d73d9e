import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { pino } from 'pino';
import { schedule } from '../../app/jobs/schedules.js';
import { syncOpenInvoicesJob } from '../../app/jobs/sync/open-invoices.js';

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
  it('more open invoices than a run reads: the next run goes on where the last stopped, and a full pass forgets what it did not see', async function () {
    this.timeout(120_000);
    h = await createHarness(db());
    h.sims.xero.limits.perMinute = 100_000; // seeding only; reset() restores Xero's 60
    h.sims.xero.test.pageBy(100); // 650 open invoices: 7 pages, more than the 5 a run reads
    const made = Array.from({ length: 650 }, (_, i) => h.addInvoice({ invoiceNumber: `OPEN-${String(i).padStart(3, '0')}` }));
    await h.stores.openInvoices.saw(h.merchant.id, [{ invoiceNumber: 'PAID-LONG-AGO' }], h.clock());
    h.clock.advance(60_000);
    const invoiceReads = () => h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: '/api.xro/2.0/Invoices' });
    const run = async () => {
      const before = invoiceReads();
      await schedule(h, 'sync-open-invoices', 60);
      await h.worker.drain();
      h.clock.advance(60 * 60_000);
      return invoiceReads() - before;
    };
    assert.ok((await run()) <= 5, 'a run reads at most 5 pages');
    // Between the runs, three invoices on the pages already read are voided: the rows after them move back.
    const first = await h.sims.xeroClient.listOpenInvoiceNumbers(h.merchant.xero, 1, 100);
    const voided = first.invoices.slice(0, 3).map((i) => i.invoiceNumber);
    for (const n of voided) await h.sims.xero.test.invoices.void(made.find((m) => m.invoiceNumber === n)!.invoiceId);
    assert.ok((await run()) <= 5, 'a run reads at most 5 pages');
    const known = new Set(await h.stores.openInvoices.numbers(h.merchant.id));
    // The second run ends the first pass: nothing is forgotten by a first pass (one pass may miss a row moving under it).
    assert.equal(known.has('PAID-LONG-AGO'), true, 'a first pass forgets nothing');
    const missed = made.map((m) => m.invoiceNumber).filter((n) => !voided.includes(n) && !known.has(n));
    assert.deepEqual(missed, [], 'every invoice still open is known');
    assert.ok(
      voided.every((n) => known.has(n)),
      'the voided ones were seen in this pass',
    );
    for (let i = 0; i < 2; i++) assert.ok((await run()) <= 5, 'a run reads at most 5 pages');
    const second = await h.stores.openInvoices.numbers(h.merchant.id);
    assert.equal(second.includes('PAID-LONG-AGO'), false, 'the second pass forgets what neither pass saw');
    assert.deepEqual(
      voided.filter((n) => !second.includes(n)),
      [],
      'the voided ones, seen by the first pass, are kept by the second',
    );
    for (let i = 0; i < 2; i++) assert.ok((await run()) <= 5, 'a run reads at most 5 pages');
    const next = await h.stores.openInvoices.numbers(h.merchant.id);
    assert.deepEqual(
      voided.filter((n) => next.includes(n)),
      [],
      'the third pass forgets the voided ones, which neither it nor the second saw',
    );
    assert.equal(next.length, 650 - 3);
  });

  it('an invoice edited while a run reads moves the rows after it back a place, the count unchanged: the row that slips onto a page already read is kept, not forgotten', async function () {
    this.timeout(120_000);
    h = await createHarness(db());
    h.sims.xero.limits.perMinute = 100_000; // seeding only
    h.sims.xero.test.pageBy(100);
    const made = Array.from({ length: 250 }, (_, i) => h.addInvoice({ invoiceNumber: `OPEN-${String(i).padStart(3, '0')}` }));
    let edit: (() => Promise<void>) | undefined;
    const xero = new Proxy(h.sims.xeroClient, {
      get(target, prop, receiver) {
        if (prop !== 'listOpenInvoiceNumbers') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<typeof target.listOpenInvoiceNumbers>) => {
          const page = await target.listOpenInvoiceNumbers(...args);
          // Page 1 served: its first invoice is edited (to the end of Xero's order) before page 2 is asked.
          if (args[1] === 1 && edit) await edit();
          return page;
        };
      },
    });
    const job = syncOpenInvoicesJob({ stores: h.stores, xero, clock: h.clock, logger: pino({ level: 'silent' }) });
    for (let pass = 0; pass < 3; pass++) {
      h.clock.advance(60 * 60_000);
      if (pass > 0) {
        const first = (await h.sims.xeroClient.listOpenInvoiceNumbers(h.merchant.xero, 1, 100)).invoices[0];
        edit = async () => {
          edit = undefined;
          h.clock.advance(1_000);
          await h.sims.xero.test.invoices.editLines(made.find((m) => m.invoiceNumber === first.invoiceNumber)!.invoiceId, [
            { description: 'edited', unitAmount: '1000.00' },
          ]);
        };
      }
      await job();
      const known = new Set(await h.stores.openInvoices.numbers(h.merchant.id));
      assert.deepEqual(
        made.map((m) => m.invoiceNumber).filter((n) => !known.has(n)),
        [],
        `every invoice still open is known after pass ${pass + 1}`,
      );
    }
  });
});
