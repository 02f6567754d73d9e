/**
 * Issue 14 item 3: xendit-node sends the invoice list cursor as last_invoice; Xendit's API
 * reference names last_invoice_id. With the simulator ignoring both, listing paid invoices must
 * still end and be complete (no duplicates, nothing missing), whether paid_after/paid_before are
 * strict (as Xendit's reference describes them) or inclusive.
 */
import { strict as assert } from 'node:assert';
import { getSims, resetSims } from '../helpers/sims.js';

describe('listing paid invoices when Xendit ignores the page cursor', () => {
  afterEach(() => resetSims());

  for (const bounds of ['strict', 'inclusive'] as const) {
    it(`ends and lists each of 250 paid invoices exactly once, the first paid at paid_after (bounds ${bounds})`, async () => {
      resetSims();
      const sims = await getSims();
      const key = 'xnd_development_CursorIgnored01';
      sims.xendit.registerAccount({ secretKey: key, callbackToken: 't', businessName: 'Toko Kursor' });
      const base = Date.parse('2026-11-01T00:00:00Z');
      const ids: string[] = [];
      for (let i = 0; i < 250; i++) {
        const inv = sims.xendit.createInvoice({ account: key, currency: 'IDR', amount: 10_000 + i });
        await sims.xendit.pay(inv.id, { sendCallback: false });
        inv.paidAt = new Date(base + i * 60_000);
        ids.push(inv.id);
      }
      sims.xendit.faults.ignoreListCursor = true;
      sims.xendit.faults.inclusivePaidBounds = bounds === 'inclusive';
      const listed = await sims.xenditClient.listPaidInvoices(key, { paidAfter: new Date(base), paidBefore: new Date(base + 250 * 60_000) });
      assert.equal(listed.length, 250);
      assert.deepEqual(listed.map((i) => i.id).sort(), [...ids].sort());
    });
  }
});
