import { strict as assert } from 'node:assert';
import { UpstreamError } from '../../app/clients/types.js';
import type { XeroCredentials } from '../../app/clients/xero/types.js';
import { getSims, resetSims, type Sims } from '../helpers/sims.js';

/**
 * Xero pages a list in UpdatedDateUTC then id order (developer.xero.com Payments "order"): an invoice
 * already read that is updated before the next page is read moves to the end, and the invoice that
 * was first on the next page shifts onto the page already read. The gateway must still see them all.
 */
describe('a Xero listing read page by page while its rows are updated', () => {
  let s: Sims;
  before(async () => {
    s = await getSims();
  });
  beforeEach(() => resetSims());
  after(() => resetSims());

  // A reference no `where` can hold (call.ts NOT_IN_WHERE): findInvoicesByReference reads every invoice, page by page.
  const REFERENCE = 'Batch "7"';
  let t = Date.parse('2026-11-25T03:00:00Z');

  function seed(n: number) {
    s.xero.test.useClock(() => new Date(t));
    const creds: XeroCredentials = { clientId: `pg-client-${t}`, clientSecret: 'pg-secret', tenantId: '' };
    const org = s.xero.addOrganisation({
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      name: 'Toko Halaman',
      shortCode: `!PG${t}`,
      baseCurrency: 'IDR',
    });
    const ids = Array.from({ length: n }, (_, i) =>
      s.xero.addInvoice({
        tenantId: org.tenantId,
        contact: { name: 'Budi' },
        reference: REFERENCE,
        lineItems: [{ description: `Kopi ${i}`, unitAmount: '10000' }],
      }),
    ).map((i) => i.invoiceId);
    // All made at one time: Xero's order is then the InvoiceID's.
    return { creds, org, byId: [...ids].sort() };
  }
  /** The `nth` GET /Invoices from now is answered after invoice `id` was paid in part elsewhere, a second later. */
  const updateBefore = (nth: number, id: string) =>
    s.xero.faults.beforeRequest(
      nth,
      () => {
        t += 1000;
        return s.xero.test.invoices.payElsewhere(id, '1');
      },
      { method: 'GET', path: '/api.xro/2.0/Invoices' },
    );

  it('misses none when an invoice on page 1 is updated before page 2 is read', async () => {
    const { creds, byId } = seed(150);
    updateBefore(2, byId[4]);
    const found = await s.xeroClient.findInvoicesByReference(creds, REFERENCE);
    assert.equal(new Set(found.map((i) => i.invoiceId)).size, 150, 'an invoice was skipped');
    assert.equal(found.length, 150);
    assert.equal(found.find((i) => i.invoiceId === byId[4])?.amountPaid, '1', 'the invoice updated is its latest');
    assert.equal(s.xero.faults.armed, 0);
  });

  it('gives up with a retryable error when every reading meets an update', async () => {
    const { creds, byId } = seed(150);
    // Each reading is two pages; before the second page of each, one invoice of its first page is updated.
    for (const [i, nth] of [2, 4, 6].entries()) updateBefore(nth, byId[i]);
    await assert.rejects(s.xeroClient.findInvoicesByReference(creds, REFERENCE), (err: unknown) => err instanceof UpstreamError && err.retryable);
  });
});

/**
 * A listing filtered by status (listManualJournals: `Status=="POSTED"`) loses a row already read when
 * the merchant voids it before the next page is read: every later row shifts back one place and the
 * one that was first on the next page is never read, with no row read twice. Xero's `pagination`
 * (xero_accounting.yaml Pagination: itemCount) shows it.
 */
describe('a filtered Xero listing read page by page while a row already read leaves it', () => {
  let s: Sims;
  before(async () => {
    s = await getSims();
  });
  beforeEach(() => resetSims());
  after(() => resetSims());

  let t = Date.parse('2026-11-26T03:00:00Z');

  async function seedJournals(n: number) {
    s.xero.test.useClock(() => new Date(t));
    s.xero.limits.perMinute = 10_000; // seeding only; reset() restores Xero's 60
    const creds: XeroCredentials = { clientId: `mj-client-${t}`, clientSecret: 'mj-secret', tenantId: '' };
    const org = s.xero.addOrganisation({
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      name: 'Toko Jurnal',
      shortCode: `!MJ${t}`,
      baseCurrency: 'IDR',
    });
    for (let i = 0; i < n; i++) {
      const lines = [
        { description: 'fee', accountCode: '404', amount: '10' },
        { description: 'fee', accountCode: '200', amount: '-10' },
      ];
      await s.xeroClient.createManualJournal(creds, { narration: `Xendit fee ${i}`, date: '2026-11-25', lines }, `mj-${t}-${i}`);
    }
    // All made at one time: Xero's order is then the ManualJournalID's.
    const byId = s.xero
      .manualJournalsOf(org.tenantId)
      .map((j) => j.manualJournalId)
      .sort();
    return { creds, org, byId };
  }

  it('misses none of the POSTED journals when one on page 1 is voided before page 2 is read', async () => {
    const { creds, org, byId } = await seedJournals(150);
    s.xero.faults.beforeRequest(
      2,
      () => {
        t += 1000;
        s.xero.test.voidManualJournal(org.tenantId, byId[9]);
      },
      { method: 'GET', path: '/api.xro/2.0/ManualJournals' },
    );
    const listed = await s.xeroClient.listManualJournals(creds);
    const ids = new Set(listed.map((j) => j.manualJournalId));
    assert.ok(ids.has(byId[100]), 'the journal that shifted onto page 1 was never read');
    assert.ok(!ids.has(byId[9]), 'the voided journal is not listed');
    assert.equal(listed.length, 149);
    assert.equal(s.xero.faults.armed, 0);
    assert.equal(s.xero.test.countRequests({ method: 'GET', pathPrefix: '/api.xro/2.0/ManualJournals' }), 4, 'two pages, then both again');
  });
});
