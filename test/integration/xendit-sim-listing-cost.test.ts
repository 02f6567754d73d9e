/**
 * The simulators share the bench's process with the gateway (docs/performance.md): a listing page
 * that sorted every invoice of the simulator again took the callbacks' event loop for milliseconds
 * per page, ten pages per worker group while Xero hung. The real Xendit sorts on its own servers.
 */
import { strict as assert } from 'node:assert';
import { getSims, resetSims } from '../helpers/sims.js';

describe('the Xendit simulator listing paid invoices', () => {
  afterEach(() => resetSims());

  it('pages through them newest first without sorting them all again for every page', async () => {
    resetSims();
    const sims = await getSims();
    const key = 'xnd_development_ListingCost01';
    sims.xendit.registerAccount({ secretKey: key, callbackToken: 't', businessName: 'Toko Banyak' });
    const base = Date.parse('2026-11-01T00:00:00Z');
    for (let i = 0; i < 300; i++) {
      const inv = sims.xendit.createInvoice({ account: key, currency: 'IDR', amount: 10_000 + i });
      await sims.xendit.pay(inv.id, { sendCallback: false });
      inv.paidAt = new Date(base + i * 60_000);
    }
    const window = { paidAfter: new Date(base - 1), paidBefore: new Date(base + 300 * 60_000), limit: 100 };
    const sort = Array.prototype.sort;
    let sortedRows = 0;
    Array.prototype.sort = function (this: unknown[], ...args: Parameters<typeof sort>) {
      sortedRows += this.length;
      return sort.apply(this, args);
    } as typeof sort;
    const pages: string[][] = [];
    try {
      let lastInvoiceId: string | undefined;
      for (let p = 0; p < 3; p++) {
        const page = await sims.xenditClient.listPaidInvoicesPage(key, { ...window, lastInvoiceId });
        pages.push(page.invoices.map((i) => i.id));
        lastInvoiceId = page.lastInvoiceId;
      }
    } finally {
      Array.prototype.sort = sort;
    }
    // Three pages of 100, newest first, none twice: what Xendit's List Invoices answers.
    const all = pages.flat();
    assert.equal(new Set(all).size, 300);
    const created = all.map((id) => sims.xendit.getInvoice(id)!.created.getTime());
    assert.deepEqual(
      created,
      [...created].sort((a, b) => b - a),
    );
    assert.ok(sortedRows <= 300, `${sortedRows} rows sorted for three pages of 300 invoices`);
  });
});
