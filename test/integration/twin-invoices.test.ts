import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { Crashed, dieAt } from '../helpers/crash.js';
import { externalIdFor } from '../../app/pay/service.js';
import { createJobRunner } from '../../app/jobs/runner.js';
import { jobHandlers } from '../../app/jobs/registry.js';
import { expireOwnInvoiceJob } from '../../app/jobs/sync/twin-invoices.js';
import { createApp } from '../../app/server.js';
import type { XenditGateway } from '../../app/clients/xendit/types.js';
import { reconcile } from '../../app/jobs/sync/reconcile.js';

/**
 * Two Xendit invoices under one checkout's external id (twins): a dead click's create got through
 * twice, as Xendit has no idempotency key, and the click that takes the stale checkout over adopts
 * one (the checkout's own) and expires the other. Neither twin's fate may leave the customer two
 * payable invoices: a twin's expiry leaves the checkout open on its own invoice, and a twin paid
 * has the checkout's own invoice expired at Xendit.
 */
describeEachDatabase('twin Xendit invoices under one external id', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { creationWaitMs: 5000 });
    // The tests deliver each EXPIRED callback themselves, when they mean to (none in the background).
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { expiredCallbacks: false });
  });
  afterEach(() => h.close());

  const logger = pino({ level: 'silent' });
  const statusAtXendit = (id: string) => h.sims.xendit.getInvoice(id)!.status;
  const jobs = async (kind: string) => (await h.stores.jobs.list()).filter((j) => j.kind === kind);

  /**
   * A checkout left 'creating' by a click that died a minute ago, with two invoices Xendit made under
   * its external id; then a click takes it over. `keepTwin`: the click's expiry of the twin fails
   * (Xendit 503), so the twin stays payable. Returns the checkout's own invoice and the twin.
   */
  async function twins(opts: { keepTwin?: boolean } = {}) {
    const inv = h.addInvoice({}); // 2 × 75 000 IDR
    const checkoutId = randomUUID();
    const externalId = externalIdFor(inv.invoiceNumber, checkoutId);
    const now = h.clock();
    await h.stores.checkouts.claim(
      {
        id: checkoutId,
        merchantId: h.merchant.id,
        xeroInvoiceId: inv.invoiceId,
        invoiceNumber: inv.invoiceNumber,
        currency: 'IDR',
        amount: 150000,
        externalId,
        expiresAt: new Date(now.getTime() + 86400_000),
      },
      new Date(now.getTime() - 60_000),
    );
    const made = [];
    for (const attempt of [1, 2]) {
      made.push(
        await h.sims.xenditClient.createInvoice(h.merchant.xenditSecretKey, {
          externalId,
          currency: 'IDR',
          amount: 150000,
          description: `attempt ${attempt} before the crash`,
          invoiceDurationSeconds: 86400,
          successRedirectUrl: `${h.baseUrl}/pay/return`,
          failureRedirectUrl: `${h.baseUrl}/pay/return`,
        }),
      );
    }
    if (opts.keepTwin) h.sims.xendit.faults.failNext(1, 503, { method: 'POST', path: '/invoices/' });
    const click = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const checkout = (await h.stores.checkouts.byId(checkoutId))!;
    assert.equal(checkout.status, 'open');
    const own = made.find((x) => x.id === checkout.xenditInvoiceId)!;
    const twin = made.find((x) => x.id !== checkout.xenditInvoiceId)!;
    assert.equal(click.headers.location, own.invoiceUrl);
    assert.equal(statusAtXendit(twin.id), opts.keepTwin ? 'PENDING' : 'EXPIRED');
    return { inv, checkoutId, own, twin };
  }

  /** Xendit's callback for the invoice's present state (its status given), delivered to the gateway. */
  async function callback(id: string, status: 'PAID' | 'EXPIRED') {
    await request(h.app)
      .post(h.callbackPath)
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ ...h.sims.xendit.test.callbackBody(id), status })
      .expect(200);
  }

  it("a twin's EXPIRED callback leaves the checkout open, and the next click goes to the same payable invoice", async () => {
    const { inv, checkoutId, own, twin } = await twins();
    await callback(twin.id, 'EXPIRED');
    assert.equal((await jobs('verify-checkout')).length, 1, 'the callback found the checkout by its external id');
    await h.worker.drain();

    const checkout = await h.stores.checkouts.byId(checkoutId);
    assert.equal(checkout?.status, 'open', "the checkout's own invoice is still payable");
    assert.equal(checkout?.xenditInvoiceId, own.id);

    h.clock.advance(60_000);
    const again = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(again.headers.location, own.invoiceUrl, 'sent to the same invoice');
    const atXendit = h.sims.xendit.listInvoices().filter((x) => x.external_id.includes(inv.invoiceNumber));
    assert.deepEqual(
      new Map(atXendit.map((x) => [x.id, x.status])),
      new Map([
        [own.id, 'PENDING'],
        [twin.id, 'EXPIRED'],
      ]),
      'one payable invoice, no new one',
    );
  });

  it('a PAID callback naming the expired twin (forged, or out of order) leaves the checkout open too', async () => {
    const { checkoutId, own, twin } = await twins();
    await callback(twin.id, 'PAID');
    await h.worker.drain();
    const checkout = await h.stores.checkouts.byId(checkoutId);
    assert.equal(checkout?.status, 'open');
    assert.equal(statusAtXendit(own.id), 'PENDING');
    assert.equal(await h.count('payments'), 0);
  });

  it("a twin paid: the checkout's own invoice is expired at Xendit, and one payment is booked", async () => {
    const { inv, checkoutId, own, twin } = await twins({ keepTwin: true });
    await h.sims.xendit.pay(twin.id); // its PAID callback reaches the gateway
    await h.worker.drain();

    assert.equal(statusAtXendit(own.id), 'EXPIRED', 'no second payable invoice left');
    assert.equal((await h.stores.checkouts.byId(checkoutId))?.status, 'paid');
    const p = await h.stores.payments.byXenditInvoice(h.merchant.id, twin.id);
    assert.equal(p?.syncState, 'recorded');
    assert.equal(await h.count('payments'), 1);
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).filter((x) => x.status !== 'DELETED').length, 1);
    assert.deepEqual(
      (await h.stores.jobs.list()).map((j) => [j.kind, j.state]).filter(([kind]) => kind !== 'post-fee'),
      [
        // The click could not expire the twin: queued then, it found the twin paid (recorded once, by the callback's job).
        ['expire-duplicate', 'done'],
        ['record-payment', 'done'],
        ['expire-own-invoice', 'done'],
      ],
    );
  });

  it('a twin the click could not expire is expired by a job, retried until Xendit does', async () => {
    const { checkoutId, own, twin } = await twins({ keepTwin: true });
    h.sims.xendit.faults.failNext(1, 503, { method: 'POST', path: `/invoices/${twin.id}/expire` });
    await h.worker.drain();
    h.clock.advance(10 * 60_000);
    await h.worker.drain();
    assert.equal(statusAtXendit(twin.id), 'EXPIRED', 'the twin is not left payable');
    assert.equal(statusAtXendit(own.id), 'PENDING');
    const checkout = await h.stores.checkouts.byId(checkoutId);
    assert.deepEqual([checkout?.status, checkout?.xenditInvoiceId], ['open', own.id]);
  });

  it('the invoice made by a click that lost its checkout to a take-over, its expiry failed, is expired by a job', async () => {
    const inv = h.addInvoice({});
    let taken: request.Response | undefined;
    // Click A's create reaches Xendit only once click B, after the creation wait, took the row over
    // and opened it with its own invoice; then A's expiry of the one it made meets a 503.
    h.sims.xendit.faults.beforeRequest(
      1,
      async () => {
        h.clock.advance(5001);
        taken = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
        h.sims.xendit.faults.failNext(1, 503, { method: 'POST', path: '/invoices/' });
      },
      { method: 'POST', path: '/v2/invoices' },
    );
    await request(h.app).get(h.payUrl(inv.invoiceNumber));
    const [checkout] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
    const own = h.sims.xendit.listInvoices().find((x) => x.invoice_url === taken?.headers.location)!;
    const lost = h.sims.xendit.listInvoices().find((x) => x.id !== own.id)!;
    assert.deepEqual([checkout.status, checkout.xenditInvoiceId], ['open', own.id]);
    assert.equal(statusAtXendit(lost.id), 'PENDING', "the click's expiry failed");
    await h.worker.drain();
    assert.equal(statusAtXendit(lost.id), 'EXPIRED', "the lost click's invoice is not left payable");
    assert.equal(statusAtXendit(own.id), 'PENDING');
  });

  /**
   * The app with a Xendit client whose next invoice create, once Xendit answered it, waits for
   * `meanwhile` before the click reads the answer: what happens while an answer is on its way.
   */
  function slowCreate(meanwhile: () => Promise<unknown>, over: Partial<typeof h.deps> = {}) {
    const real = h.sims.xenditClient;
    let armed = true;
    const xendit: XenditGateway = {
      ...real,
      async createInvoice(key, invoice) {
        const made = await real.createInvoice(key, invoice);
        if (armed) {
          armed = false;
          await meanwhile();
        }
        return made;
      },
    };
    return createApp({ ...h.deps, xendit, ...over });
  }

  it('the click that lost the checkout leaves alone the invoice it made when the click that took over adopted it', async () => {
    const inv = h.addInvoice({});
    let taken: request.Response | undefined;
    // Click B's create is answered only after the creation wait: click C takes the row over meanwhile,
    // finds B's invoice under the external id, adopts it and opens the checkout with it.
    const slow = slowCreate(async () => {
      h.clock.advance(5001);
      taken = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    });
    await request(slow).get(h.payUrl(inv.invoiceNumber));
    const [checkout] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
    const made = h.sims.xendit.listInvoices().filter((x) => x.external_id === checkout.externalId);
    assert.equal(made.length, 1, 'one invoice made, by click B');
    assert.deepEqual([checkout.status, checkout.xenditInvoiceId, taken?.headers.location], ['open', made[0].id, made[0].invoice_url]);
    await h.worker.drain();
    assert.equal(statusAtXendit(made[0].id), 'PENDING', "the checkout's own invoice, the customer was just sent to, stays payable");
  });

  it("a duplicate queued for expiry that became the checkout's own before the job ran is left payable", async () => {
    const inv = h.addInvoice({});
    let taking: Promise<request.Response> | undefined;
    let lookUp: ReturnType<typeof h.sims.xendit.faults.gate> | undefined;
    // Click B's create is answered after the creation wait: click C has taken the row over and is
    // looking under its external id (held there). B's open fails its fence and, the row still being
    // created by C, B queues the expiry of the invoice it made (C may adopt it) instead of expiring it;
    // then C finds that invoice, adopts it and opens the checkout with it.
    const slow = slowCreate(
      async () => {
        h.clock.advance(5001);
        lookUp = h.sims.xendit.faults.gate({ method: 'GET', path: '/v2/invoices' });
        taking = request(h.app)
          .get(h.payUrl(inv.invoiceNumber))
          .expect(303)
          .then((r) => r);
        await lookUp.untilParked(1);
      },
      { onJobEnqueued: () => lookUp?.open() },
    );
    await request(slow).get(h.payUrl(inv.invoiceNumber)).expect(503); // its wait for the new owner ran out
    const taken = await taking;
    const [checkout] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
    const own = h.sims.xendit.listInvoices().find((x) => x.id === checkout.xenditInvoiceId)!;
    assert.deepEqual([checkout.status, taken?.headers.location], ['open', own.invoice_url]);
    assert.deepEqual(
      (await jobs('expire-duplicate')).map((j) => [j.state, j.payload.xenditInvoiceId]),
      [['queued', own.id]],
    );
    await h.worker.drain();
    h.clock.advance(10 * 60_000);
    await h.worker.drain();
    assert.equal(statusAtXendit(own.id), 'PENDING', "the checkout's own invoice is not expired by the job");
    assert.deepEqual(
      (await jobs('expire-duplicate')).map((j) => j.state),
      ['done'],
    );
  });

  const reconcileRun = () => reconcile({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger }, { minAgeMinutes: 5, batch: 10 });

  it('a twin paid with its callback lost and another made late: reconcile records the paid one and expires the other', async () => {
    const { inv, checkoutId, own, twin } = await twins({ keepTwin: true });
    const { externalId } = (await h.stores.checkouts.byId(checkoutId))!;
    // Xendit processes one more create of the dead click late: a third payable invoice.
    const third = await h.sims.xenditClient.createInvoice(h.merchant.xenditSecretKey, {
      externalId,
      currency: 'IDR',
      amount: 150000,
      description: 'attempt 3, made late',
      invoiceDurationSeconds: 86400,
      successRedirectUrl: `${h.baseUrl}/pay/return`,
      failureRedirectUrl: `${h.baseUrl}/pay/return`,
    });
    await h.sims.xendit.pay(twin.id, { sendCallback: false });
    h.clock.advance(6 * 60_000);
    await reconcileRun();
    await h.worker.drain();
    assert.equal(statusAtXendit(third.id), 'EXPIRED', 'no invoice left payable beside the one paid');
    assert.equal(statusAtXendit(own.id), 'EXPIRED');
    assert.equal((await h.stores.checkouts.byId(checkoutId))?.status, 'paid');
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, twin.id))?.syncState, 'recorded');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).filter((x) => x.status !== 'DELETED').length, 1);
  });

  it('a twin paid for part of the Xero invoice: the next click charges the rest, not "payment on its way"', async () => {
    const { inv, checkoutId, twin } = await twins({ keepTwin: true });
    await h.sims.xendit.pay(twin.id);
    // The merchant adds a line meanwhile: 75 000 IDR stays due once the twin's payment is booked.
    await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '3', unitAmount: '75000' }]);
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, twin.id))?.syncState, 'recorded');

    h.clock.advance(60_000);
    const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const rest = h.sims.xendit.listInvoices().find((x) => x.invoice_url === res.headers.location);
    assert.deepEqual([rest?.amount, rest?.status], [75000, 'PENDING'], 'a new checkout for the rest');
    assert.equal((await h.stores.checkouts.byId(checkoutId))?.xenditInvoiceId, twin.id, 'the checkout names the invoice paid');
  });

  /** The customer paid both twins; only the twin's PAID callback came (the own invoice's was lost). */
  async function bothPaid(answer: Answer) {
    const t = await twins({ keepTwin: true });
    await h.sims.xendit.pay(t.own.id, { sendCallback: false });
    await h.sims.xendit.pay(t.twin.id, { sendCallback: false });
    await callback(t.twin.id, 'PAID');
    refuseExpiry(answer, t.own.id);
    await h.worker.drain();
    assert.equal(expiries(t.own.id), 1);
    assert.equal((await h.stores.checkouts.byId(t.checkoutId))?.status, 'paid');
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, t.twin.id))?.syncState, 'recorded');
    assert.equal(h.sims.xero.paymentsOf(t.inv.invoiceId).filter((x) => x.status !== 'DELETED').length, 1, 'Xero took one payment only');
    return { ...t, second: await h.stores.payments.byXenditInvoice(h.merchant.id, t.own.id) };
  }

  type Answer = '200 with the invoice unchanged' | 'refused';
  /**
   * What Xendit answers an expiry of an invoice no longer PENDING: the simulator's 200 with the
   * invoice as it is, or the real Xendit's error ("Could not find and update PENDING invoice").
   */
  const refuseExpiry = (answer: Answer, id: string) => {
    if (answer === 'refused') h.sims.xendit.faults.failNext(1, 404, { method: 'POST', path: `/invoices/${id}/expire` });
  };
  const expiries = (id: string) => h.sims.xendit.test.countRequests({ method: 'POST', pathPrefix: `/invoices/${id}/expire` });

  for (const answer of ['200 with the invoice unchanged', 'refused'] as const) {
    it(`both paid, Xendit's expiry answered ${answer}: the second payment is recorded too, as an over-payment for review`, async () => {
      const { second } = await bothPaid(answer);
      assert.equal(second?.syncState, 'needs_review', 'the money taken twice is in front of a person');
      assert.match(second?.lastError ?? '', /over-payment: paid 150000 IDR at Xendit, due was 0 IDR/);
    });

    it(`killed after the expiry at Xendit, the re-run ends the job (Xendit then answering ${answer})`, async () => {
      const { checkoutId, own, twin } = await twins({ keepTwin: true });
      await h.sims.xendit.pay(twin.id);
      // A worker that dies (SIGKILL: no verdict written, its job left running) once Xendit expired the invoice.
      const dying = dieAt(h.stores, 'own-invoice-expired-at-xendit');
      const runtime = { stores: dying.stores, xero: h.deps.xero, xendit: h.sims.xenditClient, clock: h.clock, logger };
      const parts = jobHandlers(runtime);
      const doomed = createJobRunner({
        jobs: dying.stores.jobs,
        clock: h.clock,
        logger,
        ...parts,
        handlers: { ...parts.handlers, 'expire-own-invoice': expireOwnInvoiceJob({ ...runtime, crash: dying.crash }) },
      });
      await assert.rejects(doomed.drain(), Crashed);
      assert.ok(dying.died());
      assert.equal(statusAtXendit(own.id), 'EXPIRED');
      const [job] = await jobs('expire-own-invoice');
      assert.equal(job.state, 'running', 'died holding the job');

      // The lease runs out; another worker takes the job over and runs it again.
      h.clock.advance(10 * 60_000);
      refuseExpiry(answer, own.id);
      await h.worker.drain();
      assert.equal(expiries(own.id), 2, 'asked again');
      assert.deepEqual(
        (await jobs('expire-own-invoice')).map((j) => j.state),
        ['done'],
      );
      assert.equal(statusAtXendit(own.id), 'EXPIRED');
      assert.equal((await h.stores.checkouts.byId(checkoutId))?.status, 'paid');
      assert.equal(await h.count('payments'), 1);
      assert.deepEqual(
        (await jobs('record-payment')).map((j) => j.payload.xenditInvoiceId),
        [twin.id],
        'nothing else to record',
      );
    });
  }

  it("both paid, with the merchant's overpayments option: the second payment becomes a Xero overpayment for the contact (to refund)", async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { overpayments: true }, h.clock());
    const { inv, own, second } = await bothPaid('refused');
    assert.equal(second?.syncState, 'recorded');
    assert.equal(second?.overpaid, 150000);
    const overpayments = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.type === 'RECEIVE-OVERPAYMENT');
    assert.deepEqual(
      overpayments.map((o) => o.total),
      [15000000n],
      'the whole 150 000 IDR',
    );
    assert.equal(overpayments[0].lineItems[0].description, `Paid at Xendit beyond ${inv.invoiceNumber} (Xendit invoice ${own.id})`);
  });
});
