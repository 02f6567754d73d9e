/**
 * A Xendit list asked after a row it no longer holds (the row left the list between two pages):
 * Xendit documents no answer. The simulator answers an empty page, or with faults.unknownCursor
 * 'restart' the first page again (app/simulators/xendit/cursor.ts); the gateway's paging is right
 * with both: never a listing taken for complete that left rows out or counted some twice.
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import { createXenditClient } from '../../app/clients/xendit/index.js';
import { createXenditSimulator } from '../../app/simulators/xendit/index.js';
import type { XenditSimulator } from '../../app/simulators/xendit/simulator.js';

const KEY = 'xnd_development_UnknownCursor01';

/** A simulator behind a hook that sees each request first (to take the cursor's row out of the list). */
async function simWithHook(hook: (req: Request) => void) {
  const sim: XenditSimulator = createXenditSimulator({ checkoutBaseUrl: 'http://127.0.0.1:1' });
  const app = express()
    .use((req, _res, next) => {
      hook(req);
      next();
    })
    .use(sim.router);
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sim.registerAccount({ secretKey: KEY, callbackToken: 't', businessName: 'Toko Kursor' });
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  const basic = `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`;
  const get = (path: string) => fetch(`${url}${path}`, { headers: { Authorization: basic } }).then(async (r) => ({ status: r.status, body: await r.json() }));
  return { sim, client: createXenditClient({ apiUrl: url, timeoutMs: 5000 }), close, get };
}

describe('Xendit lists asked after a row they no longer hold', () => {
  it('listPaidInvoices: exactly a page of invoices paid in one millisecond ends at the empty page after them (its cursor row still listed)', async () => {
    const s = await simWithHook(() => {});
    try {
      const at = new Date('2026-11-01T00:00:00Z');
      const ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        const inv = s.sim.createInvoice({ account: KEY, currency: 'IDR', amount: 10_000 + i });
        await s.sim.pay(inv.id, { sendCallback: false });
        inv.paidAt = at;
        ids.push(inv.id);
      }
      const listed = await s.client.listPaidInvoices(KEY, { paidAfter: at, paidBefore: at });
      assert.deepEqual(listed.map((i) => i.id).sort(), [...ids].sort());
    } finally {
      await s.close();
    }
  });

  for (const mode of ['empty', 'restart'] as const) {
    describe(`the simulator answering ${mode === 'empty' ? 'an empty page' : 'the first page again'}`, () => {
      it('answers that on the invoice, transaction and refund lists alike', async () => {
        const s = await simWithHook(() => {});
        try {
          s.sim.faults.unknownCursor = mode;
          const inv = s.sim.createInvoice({ account: KEY, currency: 'IDR', amount: 50_000 });
          await s.sim.pay(inv.id, { sendCallback: false });
          const invoices = (await s.get('/v2/invoices?last_invoice_id=inv_unknown')).body as unknown[];
          const txns = (await s.get('/transactions?currency=IDR&after_id=txn_unknown')).body as { data: unknown[] };
          const all = (await s.get('/transactions?currency=IDR')).body as { data: unknown[] };
          const refunds = (await s.get('/refunds?after_id=rfd_unknown')).body as { data: unknown[] };
          if (mode === 'empty') assert.deepEqual([invoices.length, txns.data.length, refunds.data.length], [0, 0, 0]);
          else {
            assert.equal(invoices.length, 1);
            assert.deepEqual(txns.data, all.data);
            assert.ok(txns.data.length > 0);
            assert.ok(Array.isArray(refunds.data));
          }
        } finally {
          await s.close();
        }
      });

      it('pendingWithdrawals: a withdrawal sent between two pages makes the sum unknown (null), never a wrong one', async () => {
        const box: { sim?: XenditSimulator } = {};
        const s = await simWithHook((req) => {
          // The row the next page is asked after goes through: it leaves the PENDING list.
          const after = req.query.after_id;
          if (req.path === '/transactions' && typeof after === 'string') box.sim!.test.completeWithdrawal(KEY, after);
        });
        box.sim = s.sim;
        try {
          s.sim.faults.unknownCursor = mode;
          const inv = s.sim.createInvoice({ account: KEY, currency: 'IDR', amount: 10_000_000 });
          await s.sim.pay(inv.id, { sendCallback: false });
          await s.sim.settle(inv.id);
          const base = Date.parse('2026-11-01T00:00:00Z');
          for (let i = 0; i < 60; i++) s.sim.test.withdraw(KEY, 'IDR', 10_000, { pending: true, at: new Date(base + i * 60_000) });
          assert.equal(await s.client.pendingWithdrawals(KEY, 'IDR'), null);
        } finally {
          await s.close();
        }
      });

      it('listPaidInvoices: an invoice leaving the list between pages still gives each paid invoice exactly once', async () => {
        const box: { sim?: XenditSimulator } = {};
        const s = await simWithHook((req) => {
          const after = req.query.last_invoice ?? req.query.last_invoice_id;
          if (req.path === '/v2/invoices' && typeof after === 'string') {
            const gone = box.sim!.getInvoice(after);
            if (gone) gone.status = 'EXPIRED';
          }
        });
        box.sim = s.sim;
        try {
          s.sim.faults.unknownCursor = mode;
          const base = Date.parse('2026-11-01T00:00:00Z');
          const ids: string[] = [];
          for (let i = 0; i < 250; i++) {
            const inv = s.sim.createInvoice({ account: KEY, currency: 'IDR', amount: 10_000 + i });
            await s.sim.pay(inv.id, { sendCallback: false });
            inv.paidAt = new Date(base + i * 60_000);
            ids.push(inv.id);
          }
          const listed = await s.client.listPaidInvoices(KEY, { paidAfter: new Date(base), paidBefore: new Date(base + 250 * 60_000) });
          assert.deepEqual(listed.map((i) => i.id).sort(), [...ids].sort());
        } finally {
          await s.close();
        }
      });
    });
  }

  it('getFeeTax: a page of look-alikes, then an empty page where more was promised: ambiguous (more), never "not found"', async () => {
    const row = (n: number) => ({ id: `txn-${n}`, product_id: `va-${n}`, reference_id: `ext-1${n}`, status: 'SUCCESS', currency: 'IDR', amount: 150000 });
    const server = express()
      .get('/transactions', (req, res) => {
        // The look-alike the next page is asked after is gone: an empty page (cursor.ts, the default).
        if (req.query.after_id) return void res.json({ has_more: false, data: [] });
        res.json({ has_more: true, data: Array.from({ length: 50 }, (_, i) => row(i + 1)) });
      })
      .listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const client = createXenditClient({ apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      const found = await client.getFeeTax('k', { id: 'inv-1', externalId: 'ext-1', paidAmount: 150000, currency: 'IDR' });
      assert.deepEqual(found, { kind: 'ambiguous', count: 0, more: true });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
