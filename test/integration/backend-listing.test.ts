import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidCallback, type Harness } from '../helpers/harness.js';
import { listPaidInvoices, type ListPaidOptions } from '../../app/jobs/sync/list-paid.js';
import { scheduleListing } from '../../app/jobs/schedules.js';
import { LIST_PAID_JOB, RECORD_BACKEND_PAYMENT_JOB } from '../../app/jobs/kinds.js';
import { loadConfig } from '../../config/index.js';

describeEachDatabase('backend flow by periodic listing of paid Xendit invoices', ({ db }) => {
  let h: Harness;
  const OPTS: ListPaidOptions = { pageSize: 100, maxPages: 5, lookbackMinutes: 60, lagSeconds: 60 };
  beforeEach(async () => {
    h = await createHarness(db());
    await h.stores.db.updateTable('merchants').set({ backend_flow: true }).where('id', '=', h.merchant.id).execute();
  });
  afterEach(() => h.close());

  const deps = () => ({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) });
  const run = (opts: Partial<ListPaidOptions> = {}) => listPaidInvoices(deps(), { ...OPTS, ...opts });
  const backendJobs = async () => (await h.stores.jobs.list()).filter((j) => j.kind === RECORD_BACKEND_PAYMENT_JOB);
  const queuedIds = async () => (await backendJobs()).map((j) => String(j.payload.xenditInvoiceId)).sort();
  const sales = (xenditId: string) => h.sims.xero.invoicesOf(h.tenantId).filter((i) => i.reference === `Xendit ${xenditId}`);
  const cursor = () => h.stores.listing.cursor(h.merchant.id, 'test');

  /** Paid at the Xendit dashboard `minutesAgo` before the harness clock, its callback lost (or, `callback`, sent as it is paid). */
  async function paidOutside(minutesAgo: number, amount = 250_000, opts: { callback?: boolean } = {}) {
    const x = h.sims.xendit.createInvoice({
      account: h.merchant.xenditSecretKey,
      currency: 'IDR',
      amount,
      description: 'Catering',
      payerEmail: 'sari@example.co.id',
      customerName: 'Sari',
    });
    const callback = await h.sims.xendit.pay(x.id, { sendCallback: opts.callback === true });
    h.sims.xendit.getInvoice(x.id)!.paidAt = new Date(h.clock().getTime() - minutesAgo * 60_000);
    return Object.assign(x, { callback });
  }

  it('queues paid invoices the gateway did not create and the worker records each sale; ours and unpaid ones are left alone', async () => {
    const a = await paidOutside(10);
    const b = await paidOutside(20);
    h.sims.xendit.createInvoice({ account: h.merchant.xenditSecretKey, currency: 'IDR', amount: 1000 }); // still PENDING
    const old = await paidOutside(24 * 60); // before the first run's look-back
    // One of ours (a checkout), paid with its callback lost: reconcile's business, not the backend flow's.
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const ours = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(ours.id, { sendCallback: false });
    h.sims.xendit.getInvoice(ours.id)!.paidAt = new Date(h.clock().getTime() - 5 * 60_000);

    const summary = await run();
    assert.deepEqual({ queued: summary.queued, seen: summary.seen, failed: summary.failed }, { queued: 2, seen: 3, failed: 0 });
    assert.deepEqual(await queuedIds(), [a.id, b.id].sort());
    assert.equal(sales(old.id).length, 0);

    await h.worker.drain();
    for (const x of [a, b]) {
      assert.equal(sales(x.id).length, 1, 'one sale');
      assert.equal(sales(x.id)[0].status, 'PAID');
    }
    const c = await cursor();
    assert.equal(c.paidAfter?.getTime(), h.clock().getTime() - 60_000, 'the cursor moved to the window end');
    assert.equal(c.windowEnd, null);
  });

  it('a PAID callback and the listing of the same invoice make one Xero sale, in either order', async () => {
    const first = await paidOutside(10, 250_000, { callback: true }); // the PAID callback reaches the gateway as it is paid
    assert.deepEqual([first.callback?.status, first.callback?.responseStatus], ['PAID', 200]);
    await h.worker.drain();
    assert.equal(sales(first.id).length, 1);
    assert.equal((await run()).queued, 0, 'already queued by the callback');
    await h.worker.drain();
    assert.equal(sales(first.id).length, 1);

    h.clock.advance(10 * 60_000);
    const second = await paidOutside(5);
    assert.equal((await run()).queued, 1);
    await paidCallback(h, { id: second.id, external_id: second.externalId }); // its PAID callback, late (a redelivery), after the listing
    await h.worker.drain();
    assert.equal(sales(second.id).length, 1);
    assert.equal((await backendJobs()).length, 2, 'one job per invoice');
  });

  it('walks a long backlog a bounded number of pages per run, the cursor following what was queued', async () => {
    const paid = [];
    for (let i = 0; i < 5; i++) paid.push(await paidOutside(10 + i));
    const first = await run({ pageSize: 2, maxPages: 1 });
    assert.equal(first.queued, 2);
    assert.equal(first.pages, 1);
    let c = await cursor();
    assert.ok(c.windowEnd, 'a window is open');
    assert.ok(c.lastInvoiceId, 'continuing after the last invoice of the page');
    const windowEnd = c.windowEnd.getTime();

    h.clock.advance(30 * 60_000); // later runs finish the same window; newer payments wait for the next
    assert.equal((await run({ pageSize: 2, maxPages: 1 })).queued, 2);
    assert.equal((await cursor()).windowEnd?.getTime(), windowEnd);
    assert.equal((await run({ pageSize: 2, maxPages: 1 })).queued, 1);
    c = await cursor();
    assert.equal(c.windowEnd, null);
    assert.equal(c.paidAfter?.getTime(), windowEnd);
    assert.deepEqual(await queuedIds(), paid.map((x) => x.id).sort());
  });

  it("lists an invoice paid exactly on the edge between two windows, though Xendit's paid_after/paid_before are strict", async () => {
    const edge = await paidOutside(1); // paid at the first window's end (now less the 60 s lag)
    assert.equal(h.sims.xendit.faults.inclusivePaidBounds, false);
    await run();
    h.clock.advance(10 * 60_000);
    await run(); // the next window starts where the first ended
    assert.deepEqual(await queuedIds(), [edge.id]);
  });

  for (const bounds of ['strict', 'inclusive'] as const) {
    it(`Xendit ignoring the page cursor (paid_after/paid_before ${bounds}): narrowed windows queue every invoice once and the window closes`, async () => {
      h.sims.xendit.faults.ignoreListCursor = true;
      h.sims.xendit.faults.inclusivePaidBounds = bounds === 'inclusive';
      const paid = [];
      for (let i = 0; i < 7; i++) paid.push(await paidOutside(2 + i * 7));
      // On the first window's edges: its start (the look-back) and its end (now less the lag).
      paid.push(await paidOutside(60));
      paid.push(await paidOutside(1));
      const windowEnd = h.clock().getTime() - 60_000;
      let runs = 0;
      for (; runs < 30; runs++) {
        const s = await run({ pageSize: 2, maxPages: 3 });
        assert.equal(s.failed, 0);
        const c = await cursor();
        if (c.windowEnd === null && c.paidAfter?.getTime() === windowEnd) break;
      }
      assert.ok(runs < 30, 'the window closed');
      assert.deepEqual(await queuedIds(), paid.map((x) => x.id).sort(), 'every invoice queued, each once');
      const again = await run({ pageSize: 2, maxPages: 3 });
      assert.equal(again.queued, 0, 'nothing new later');
    });
  }

  it('keeps the cursor where it was when Xendit fails mid-walk, and goes on from there next run', async () => {
    for (let i = 0; i < 3; i++) await paidOutside(10 + i);
    await run({ pageSize: 2, maxPages: 1 });
    const before = await cursor();
    h.sims.xendit.faults.failNext(1, 503, { path: '/v2/invoices' });
    const failed = await run({ pageSize: 2, maxPages: 3 });
    assert.equal(failed.failed, 1);
    assert.deepEqual(await cursor(), before, 'nothing moved');
    assert.equal((await backendJobs()).length, 2);
    const next = await run({ pageSize: 2, maxPages: 3 });
    assert.equal(next.queued, 1);
    assert.equal((await backendJobs()).length, 3);
  });

  it("one merchant's failure does not stop the others", async () => {
    await h.stores.merchants.add({
      name: 'Toko Broken',
      shortCode: '!Broken1',
      xero: { clientId: 'nobody', clientSecret: 'x', tenantId: '' },
      xenditSecretKey: 'xnd_development_revoked',
      callbackToken: 't',
      clearingAccountId: 'x',
      backendFlow: true,
    });
    // The healthy merchant has a cursor, the broken one not: the broken one is listed first.
    await h.stores.listing.openWindow(h.merchant.id, 'test', new Date(h.clock().getTime() - 30 * 60_000), new Date(h.clock().getTime() - 60_000));
    const x = await paidOutside(10);
    const summary = await run();
    assert.deepEqual({ merchants: summary.merchants, failed: summary.failed, queued: summary.queued }, { merchants: 2, failed: 1, queued: 1 });
    assert.deepEqual(await queuedIds(), [x.id]);
  });

  it('runs as a scheduled worker job, once per interval however many workers tick', async () => {
    const x = await paidOutside(10);
    assert.equal(await scheduleListing({ stores: h.stores, clock: h.clock }, 10), true);
    assert.equal(await scheduleListing({ stores: h.stores, clock: h.clock }, 10), false, 'same interval');
    await h.worker.drain();
    const jobs = (await h.stores.jobs.list()).map((j) => `${j.kind}:${j.state}`).sort();
    assert.ok(jobs.includes(`${LIST_PAID_JOB}:done`));
    assert.ok(jobs.includes(`${RECORD_BACKEND_PAYMENT_JOB}:done`));
    assert.equal(sales(x.id).length, 1);
  });

  it("still finds a disabled merchant's sales whose callback was lost, as its callbacks are still recorded", async () => {
    const x = await paidOutside(10);
    await h.stores.merchants.setStatus(h.merchant.id, 'disabled');
    assert.equal((await run()).queued, 1);
    await h.worker.drain();
    assert.equal(sales(x.id).length, 1);
    assert.equal(sales(x.id)[0].status, 'PAID');
  });

  it('leaves merchants without the backend flow alone', async () => {
    await h.stores.db.updateTable('merchants').set({ backend_flow: false }).where('id', '=', h.merchant.id).execute();
    await paidOutside(10);
    const summary = await run();
    assert.equal(summary.merchants, 0);
    assert.equal((await backendJobs()).length, 0);
  });

  it('turned off and on again: sales paid while it was off are left to the merchant (who may have entered them by hand); the listing starts afresh, as a first one does', async () => {
    const setBackendFlow = (on: boolean) => h.stores.merchants.setSettings(h.merchant.id, { backendFlow: on }, h.clock());
    const before = await paidOutside(10);
    await run();
    const listed = (await cursor()).paidAfter;
    await setBackendFlow(true); // saved again while on (the settings form sends every field): the cursor stays
    assert.deepEqual((await cursor()).paidAfter, listed);
    await h.stores.listing.openWindow(h.merchant.id, 'live', listed!, listed!); // the other key's cursor

    await setBackendFlow(false);
    h.clock.advance(6 * 3600_000);
    const whileOff = [await paidOutside(5 * 60), await paidOutside(2 * 60)];
    const lastHour = await paidOutside(30); // within BACKEND_LISTING_LOOKBACK_MINUTES of the next listing
    assert.equal((await run()).merchants, 0, 'not listed while off');
    await setBackendFlow(true);
    h.clock.advance(10 * 60_000);
    const after = await paidOutside(5);
    await run();
    await h.worker.drain();

    for (const x of whileOff) assert.equal(sales(x.id).length, 0, 'a sale paid while the backend flow was off is not booked');
    assert.deepEqual(
      [before, lastHour, after].map((x) => sales(x.id).length),
      [1, 1, 1],
      'before, the look-back of a first listing, after',
    );
    assert.equal((await h.stores.listing.cursor(h.merchant.id, 'live')).paidAfter, null, "the other key's cursor is reset too");
  });

  it('reads its interval and page size from the configuration', () => {
    const c = loadConfig({ BACKEND_LISTING_INTERVAL_MINUTES: '5', BACKEND_LISTING_PAGE_SIZE: '50', DEMO: 'true' });
    assert.deepEqual(c.backendListing, { intervalMinutes: 5, pageSize: 50, maxPages: 5, lookbackMinutes: 60 });
    assert.throws(() => loadConfig({ BACKEND_LISTING_PAGE_SIZE: '500' }), /BACKEND_LISTING_PAGE_SIZE/);
  });
});
