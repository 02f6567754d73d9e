import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { createXeroClient } from '../../app/clients/xero/index.js';
import { unlimitedXeroBudget } from '../../app/clients/xero/budget.js';
import { createWorker } from '../../app/bin/worker.js';
import { PAY_LIMITS_LIFTED } from '../helpers/pay-limits.js';

/**
 * Xero is down while customers keep paying: the PAID callbacks must still be acknowledged (stored
 * and 200) without waiting for Xero, and once Xero is back every stored PAID is recorded once.
 */
describeEachDatabase('load while Xero is broken', ({ db }) => {
  const INVOICES = 12;
  const MINUTE = 60_000;
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), {
      env: { ...PAY_LIMITS_LIFTED },
    });
    // The simulator counts Xero's limits in real time; this test is about outages, not limits.
    h.sims.xero.limits.perMinute = 100_000;
    h.sims.xero.limits.appPerMinute = 100_000;
    // Xendit's limit (60 calls a minute per endpoint) counts on the test's clock: the jobs' re-reads
    // of their invoices spread over the minutes of the outage, not the seconds the test takes.
    h.sims.xendit.test.useClock(h.clock);
  });
  afterEach(() => h.close());

  /** Customers open checkouts while Xero is fine, then pay at Xendit; the callbacks are sent by the test. */
  async function paidCheckouts() {
    const paid = [];
    for (let i = 0; i < INVOICES; i++) {
      const inv = h.addInvoice({ lineItems: [{ description: 'Kopi', quantity: '1', unitAmount: String(10_000 * (i + 1)) }] });
      await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
      const x = h.sims.xendit.listInvoices().at(-1)!;
      await h.sims.xendit.pay(x.id, { sendCallback: false });
      paid.push({ inv, x });
    }
    return paid;
  }

  /** Every PAID callback, each sent twice (Xendit retries), all at once; returns statuses and the slowest answer. */
  async function sendCallbacks(paid: Awaited<ReturnType<typeof paidCheckouts>>) {
    const send = async (x: { id: string; external_id: string }) => {
      const started = Date.now();
      const res = await fetch(h.baseUrl + h.callbackPath, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-callback-token': h.merchant.callbackToken },
        body: JSON.stringify({ id: x.id, external_id: x.external_id, status: 'PAID' }),
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      return { status: res.status, ms: Date.now() - started };
    };
    const answers = await Promise.all([...paid, ...paid].map(({ x }) => send(x)));
    return { statuses: [...new Set(answers.map((a) => a.status))], slowestMs: Math.max(...answers.map((a) => a.ms)) };
  }

  async function assertStored(paid: Awaited<ReturnType<typeof paidCheckouts>>) {
    const events = await h.stores.db.selectFrom('callback_events').select(['xendit_invoice_id', 'status']).execute();
    assert.deepEqual(new Set(events.map((e) => `${e.xendit_invoice_id} ${e.status}`)), new Set(paid.map(({ x }) => `${x.id} PAID`)));
    const jobs = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment');
    assert.deepEqual(new Set(jobs.map((j) => j.payload.xenditInvoiceId)), new Set(paid.map(({ x }) => x.id)), 'one job queued per paid invoice');
  }

  async function assertAllRecordedOnce(paid: Awaited<ReturnType<typeof paidCheckouts>>) {
    for (const { inv, x } of paid) {
      const inXero = h.sims.xero.paymentsOf(inv.invoiceId).filter((p) => p.status !== 'DELETED');
      assert.equal(inXero.length, 1, `${inv.invoiceNumber}: exactly one Xero payment`);
      const p = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
      assert.equal(p?.syncState, 'recorded', `${inv.invoiceNumber}: ${p?.lastError}`);
      assert.equal(p?.xeroPaymentId, inXero[0].paymentId);
    }
    const jobs = await h.stores.jobs.list();
    assert.deepEqual([...new Set(jobs.filter((j) => j.kind === 'record-payment').map((j) => j.state))], ['done']);
  }

  /** Advances the injected clock and drains until nothing is queued (bounded). */
  async function settle() {
    for (let i = 0; i < 50; i++) {
      await h.worker.drain();
      const open = (await h.stores.jobs.list()).filter((j) => j.state === 'queued' || j.state === 'running');
      if (open.length === 0) return;
      h.clock.advance(5 * MINUTE);
    }
    assert.fail(`jobs still open after settling: ${JSON.stringify(await h.stores.jobs.list())}`);
  }

  it('Xero hangs on every call: callbacks are still stored and answered 200 at once; after recovery each is recorded once', async () => {
    const paid = await paidCheckouts();
    // A worker process running meanwhile, its calls to Xero hanging until its (short) timeout.
    const xero = createXeroClient({ apiUrl: h.sims.xeroUrl, identityUrl: h.sims.xeroUrl, timeoutMs: 300, budget: unlimitedXeroBudget });
    const background = createWorker({ stores: h.stores, xero, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) });
    h.sims.xero.faults.hang('forever', { times: 100_000 });
    background.start(10);
    try {
      const { statuses, slowestMs } = await sendCallbacks(paid);
      assert.deepEqual(statuses, [200]);
      assert.ok(slowestMs < 10_000, `every callback answered without waiting for Xero (slowest ${slowestMs} ms)`);
      await assertStored(paid);
      // Let the background worker run into the hanging Xero for a while.
      const deadline = Date.now() + 10_000;
      const triedOnce = async () => (await h.stores.jobs.list()).filter((j) => j.attempts > 0 && j.state !== 'running').length >= 2;
      while (Date.now() < deadline && !(await triedOnce())) await new Promise((r) => setTimeout(r, 50));
      assert.equal(h.sims.xero.paymentsOf(paid[0].inv.invoiceId).length, 0);
      // What the worker made of it while Xero hung (the job in its hands, if any, aside).
      const tried = (await h.stores.jobs.list()).filter((j) => j.attempts > 0 && j.state !== 'running');
      assert.ok(tried.length > 0, 'the worker did try Xero while it hung');
      assert.ok(
        tried.every((j) => j.state === 'queued' && /timeout/i.test(j.lastError ?? '')),
        JSON.stringify(tried),
      );
    } finally {
      h.sims.xero.faults.reset(); // Xero recovers (held requests are cut off)
      await background.stop();
    }

    await settle();
    await assertAllRecordedOnce(paid);
  });

  it('Xero answers 503 for 10 minutes of the injected clock: callbacks acknowledged meanwhile, then each recorded once', async () => {
    const paid = await paidCheckouts();
    const brokenUntil = h.clock().getTime() + 10 * MINUTE;
    const early = paid.slice(0, Math.ceil(paid.length / 2));
    const late = paid.slice(early.length);
    let lateSent = false;
    for (let first = true; h.clock().getTime() < brokenUntil; first = false) {
      h.sims.xero.faults.reset();
      h.sims.xero.faults.failNext(100_000, 503);
      // Callbacks arrive during the outage: half at its start, half near its end.
      if (first || (!lateSent && h.clock().getTime() >= brokenUntil - 2 * MINUTE)) {
        lateSent = !first;
        const { statuses } = await sendCallbacks(first ? early : late);
        assert.deepEqual(statuses, [200]);
      }
      await h.worker.drain();
      h.clock.advance(30_000);
    }
    await assertStored(paid);
    assert.equal(h.sims.xero.test.requests().filter((r) => r.method !== 'GET' && r.path.startsWith('/api.xro/2.0/Payments')).length, 0);
    const jobs = await h.stores.jobs.list();
    assert.ok(
      jobs.every((j) => j.state === 'queued' && j.attempts >= 1),
      'every job retried through the outage, none given up',
    );
    const attempts = jobs.map((j) => j.attempts);

    h.sims.xero.faults.reset(); // Xero is back
    await settle();
    await assertAllRecordedOnce(paid);
    assert.ok(Math.max(...attempts) <= 8, `attempts during the outage: ${attempts.join(',')}`);
  });
});
