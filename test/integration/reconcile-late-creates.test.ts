import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { reconcile } from '../../app/jobs/sync/reconcile.js';
import type { LateCreates } from '../../app/simulators/xendit/errors.js';
import * as lateCreateWindow from '../../app/store/migrations/20261206T2049_late_create_window.js';

describeEachDatabase('worker: reconcile asks about a create Xendit processes late until it can no longer be paid', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  const logger = pino({ level: 'silent' });
  const run = (batch = 10) => reconcile({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger }, { minAgeMinutes: 5, batch });
  /** Reconcile's asks at Xendit: by external id (GET /v2/invoices) or by id (GET /v2/invoices/{id}). */
  const asks = () => h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: '/v2/invoices' });
  const invoiceAtXendit = (id: string) => h.sims.xendit.listInvoices().find((x) => x.id === id);
  const xeroPayments = (invoiceId: string) => h.sims.xero.paymentsOf(invoiceId).filter((p) => p.status !== 'DELETED');

  /**
   * A click whose create Xendit answers with nothing (the click says "try again") and makes only
   * at late.make(); the next reconcile run closes the checkout (Xendit shows nothing yet), the one
   * after asks once more and still finds nothing. `closedAt`: the first run's time.
   */
  async function closedWithoutInvoice(count = 1) {
    const made: { inv: { invoiceId: string }; checkoutId: string; externalId: string; late: LateCreates }[] = [];
    for (let i = 0; i < count; i++) {
      const inv = h.addInvoice({});
      const late = h.sims.xendit.faults.createLate();
      await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
      assert.equal(late.held, 1, 'Xendit took the create and answered nothing');
      const [checkout] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
      assert.equal(checkout.status, 'creating');
      made.push({ inv, checkoutId: checkout.id, externalId: checkout.externalId, late });
    }
    h.clock.advance(6 * MINUTE);
    const closedAt = h.clock();
    assert.equal((await run()).expired, count, 'closed: Xendit shows nothing yet');
    h.clock.advance(10 * MINUTE);
    assert.equal((await run()).checked, count, 'asked once more: still nothing');
    for (const m of made) {
      const row = await h.stores.checkouts.byId(m.checkoutId);
      assert.deepEqual([row?.status, row?.xenditInvoiceId], ['expired', null]);
    }
    return { made, closedAt };
  }

  it("expires at Xendit an invoice made after reconcile's second ask, on a later run, and stores it on the checkout", async () => {
    const { made } = await closedWithoutInvoice();
    const [lateId] = made[0].late.make(); // Xendit processes the create now: payable, its link e-mailed
    assert.equal(invoiceAtXendit(lateId)?.status, 'PENDING');

    h.clock.advance(10 * MINUTE);
    const summary = await run();
    assert.equal(summary.checked, 1, 'asked again while Xendit could still make it payable');
    assert.equal(invoiceAtXendit(lateId)?.status, 'EXPIRED', 'nobody can pay an invoice the gateway closed');
    const row = await h.stores.checkouts.byId(made[0].checkoutId);
    assert.deepEqual([row?.status, row?.xenditInvoiceId], ['expired', lateId]);
    assert.equal(await h.count('payments'), 0);
  });

  it('records once an invoice made late and paid with its callback lost; the callback coming after adds nothing', async () => {
    const { made } = await closedWithoutInvoice();
    const [lateId] = made[0].late.make();
    await h.sims.xendit.pay(lateId, { sendCallback: false }); // paid from Xendit's e-mail

    h.clock.advance(10 * MINUTE);
    assert.equal((await run()).paid, 1);
    await h.worker.drain();
    assert.equal(xeroPayments(made[0].inv.invoiceId).length, 1);
    assert.equal((await h.stores.checkouts.byId(made[0].checkoutId))?.status, 'paid');

    // Xendit's retry of the PAID callback: the same job, already done.
    await request(h.app)
      .post(h.callbackPath)
      .set('x-callback-token', h.merchant.callbackToken)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ id: lateId, external_id: made[0].externalId, status: 'PAID' }))
      .expect(200);
    await h.worker.drain();
    assert.equal(xeroPayments(made[0].inv.invoiceId).length, 1, 'recorded once');
    // Paid, it is still asked about with back-off while Xendit could make another create of it
    // late (a twin of the invoice paid, payable too), and never once that can no longer be.
    const before = asks();
    for (let i = 0; i < 12; i++) {
      h.clock.advance(2 * HOUR);
      await run();
    }
    const inWindow = asks() - before;
    assert.ok(inWindow >= 1 && inWindow <= 6, `asked ${inWindow} times in its window`);
    for (let i = 0; i < 6; i++) {
      h.clock.advance(2 * HOUR);
      await run();
    }
    assert.equal(asks() - before, inWindow, 'not asked once its window ended');
    await h.worker.drain();
    assert.equal(xeroPayments(made[0].inv.invoiceId).length, 1, 'still recorded once');
    assert.equal(await h.count('payments'), 1);
  });

  it('reads the invoice when Xendit will not expire it: paid meanwhile is recorded, expired meanwhile is done', async () => {
    const { made } = await closedWithoutInvoice(2);
    const [paidId] = made[0].late.make();
    const [expiredId] = made[1].late.make();
    // Both PENDING when listed. The first one's expire reaches Xendit only after the customer paid
    // it (Xendit refuses: no PENDING invoice to expire); the second one's gets a 503, and Xendit
    // expired it on its own before reconcile reads it. Whichever checkout the run takes first.
    const steps = [
      {
        gate: h.sims.xendit.faults.gate({ method: 'POST', path: `/invoices/${paidId}/expire` }),
        act: () => h.sims.xendit.pay(paidId, { sendCallback: false }),
      },
      {
        gate: h.sims.xendit.faults.gate({ method: 'GET', path: `/v2/invoices/${expiredId}` }),
        act: () => h.sims.xendit.expire(expiredId, { sendCallback: false }),
      },
    ];
    h.sims.xendit.faults.failNext(1, 503, { method: 'POST', path: `/invoices/${expiredId}/expire` });
    h.clock.advance(10 * MINUTE);
    const running = run();
    const ended = running.then(() => undefined);
    while (steps.length) {
      const step = await Promise.race([ended, ...steps.map((s) => s.gate.untilParked(1).then(() => s))]);
      if (!step) break; // the run asked nothing more
      await step.act();
      step.gate.open();
      steps.splice(steps.indexOf(step), 1);
    }
    const summary = await running;
    assert.equal(summary.paid, 1);
    assert.equal(summary.expired, 1);
    assert.equal(summary.failed, 0);
    await h.worker.drain();
    assert.equal(xeroPayments(made[0].inv.invoiceId).length, 1);
    const expired = await h.stores.checkouts.byId(made[1].checkoutId);
    assert.deepEqual([expired?.status, expired?.xenditInvoiceId], ['expired', expiredId]);
  });

  it('asks less often as time passes, stops once Xendit can no longer make it payable, and asks within each run’s batch', async () => {
    const { made, closedAt } = await closedWithoutInvoice(2);
    // The gateway sent invoice_duration 86 400 s (XENDIT_INVOICE_DURATION_SECONDS): a create Xendit
    // made up to an hour late is payable until 25 hours after the close at most.
    const deadline = closedAt.getTime() + 25 * HOUR;
    const askedAt: number[] = [];
    while (h.clock().getTime() < deadline + 6 * HOUR) {
      h.clock.advance(10 * MINUTE);
      const before = asks();
      const summary = await run(1);
      assert.ok(summary.checked <= 1, 'never more than the batch');
      if (asks() > before) askedAt.push(h.clock().getTime());
    }
    // Two checkouts, one ask each per round: a handful of rounds in 25 hours, not one every run.
    assert.ok(askedAt.length >= 2 * 6 && askedAt.length <= 2 * 10, `asked ${askedAt.length} times`);
    const last = askedAt.at(-1)!;
    assert.ok(last < deadline, `no ask after the window (last ${(last - closedAt.getTime()) / MINUTE} minutes after the close)`);
    assert.ok(last > closedAt.getTime() + 12 * HOUR, 'still asked late in the window');

    for (const m of made) assert.equal((await h.stores.checkouts.byId(m.checkoutId))?.status, 'expired');
  });

  it('after the upgrade, a checkout an older release closed without an invoice is asked about until its window ends', async () => {
    const { made, closedAt } = await closedWithoutInvoice();
    // What an older release left: the same row, without a window.
    await lateCreateWindow.down(h.stores.db);
    await lateCreateWindow.up(h.stores.db);
    const row = await h.stores.checkouts.byId(made[0].checkoutId);
    assert.equal(row?.lateCreateUntil?.getTime(), closedAt.getTime() + 25 * HOUR, 'its length and an hour, from its close');

    const [lateId] = made[0].late.make();
    h.clock.advance(3 * HOUR);
    assert.equal((await run()).checked, 1);
    assert.equal(invoiceAtXendit(lateId)?.status, 'EXPIRED');
  });
});
