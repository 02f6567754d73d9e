import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { reconcile } from '../../app/jobs/sync/reconcile.js';
import { scheduleReconcile } from '../../app/jobs/schedules.js';
import * as disabledExpiries from '../../app/store/migrations/20261206T1520_disabled_expiries_to_confirm.js';

describeEachDatabase('worker: reconcile (payments whose callback never came)', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const MINUTE = 60_000;
  const logger = pino({ level: 'silent' });
  const deps = () => ({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger });

  async function clickPay() {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    return { inv, x };
  }
  const xeroPayments = (invoiceId: string) => h.sims.xero.paymentsOf(invoiceId).filter((p) => p.status !== 'DELETED');
  const checkoutOf = (x: { id: string; external_id: string }) => h.stores.checkouts.forXenditInvoice(h.merchant.id, x.id, x.external_id);
  const xenditGets = () => h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: '/v2/invoices/' });
  const postCallback = (x: { id: string; external_id: string }, status: string) =>
    request(h.app)
      .post(h.callbackPath)
      .set('x-callback-token', h.merchant.callbackToken)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ id: x.id, external_id: x.external_id, status }));

  it('records a PAID invoice whose callback was lost, once, through the scheduled run; a late callback then adds nothing', async () => {
    const { inv, x } = await clickPay();
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    h.clock.advance(6 * MINUTE);

    assert.equal(await scheduleReconcile({ stores: h.stores, clock: h.clock }, 10), true);
    await h.worker.drain(); // reconcile → record-payment
    assert.equal(xeroPayments(inv.invoiceId).length, 1);
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
    assert.equal((await checkoutOf(x))?.status, 'paid');

    // Xendit's retry of the callback arrives after all: stored, but the job is the same one.
    await postCallback(x, 'PAID').expect(200);
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment').length, 1);
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 1);
  });

  it('queues the very job a PAID callback queues (same dedupe key), whichever comes first', async () => {
    const { x } = await clickPay();
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    h.clock.advance(6 * MINUTE);
    const summary = await reconcile(deps(), { minAgeMinutes: 5, batch: 10 });
    assert.deepEqual(summary, { checked: 1, paid: 1, expired: 0, pending: 0, unknown: 0, failed: 0 });
    await postCallback(x, 'PAID').expect(200);
    await postCallback(x, 'SETTLED').expect(200);
    const jobs = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment');
    assert.equal(jobs.length, 1);

    // And the other way round: the callback's job exists, reconciliation of a SETTLED invoice adds none.
    const second = await clickPay();
    await h.sims.xendit.pay(second.x.id);
    await h.sims.xendit.settle(second.x.id, { sendCallback: false });
    await h.stores.checkouts.transition((await checkoutOf(second.x))!.id, ['paid'], 'open', h.clock()); // as if the callback's checkout update was lost
    h.clock.advance(6 * MINUTE);
    assert.equal((await reconcile(deps(), { minAgeMinutes: 5, batch: 10 })).paid, 1);
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment').length, 2);
  });

  it("settles checkouts kept 'creating' after a create whose answer was lost, by their external id: paid → recorded, payable → left for the next click, expired or never made → closed", async () => {
    const lostAnswer = async (made: boolean) => {
      const inv = h.addInvoice({});
      if (made) h.sims.xendit.faults.dropResponseAfterSave(1, { method: 'POST', path: '/v2/invoices' });
      else h.sims.xendit.faults.failNext(1, 503, { method: 'POST', path: '/v2/invoices' });
      await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
      const [checkout] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
      assert.equal(checkout.status, 'creating');
      return { inv, checkout, x: made ? h.sims.xendit.listInvoices().at(-1)! : undefined };
    };
    const paid = await lostAnswer(true);
    await h.sims.xendit.pay(paid.x!.id, { sendCallback: false }); // paid from Xendit's e-mail; its callback lost
    const payable = await lostAnswer(true);
    const expired = await lostAnswer(true);
    await h.sims.xendit.expire(expired.x!.id, { sendCallback: false });
    const never = await lostAnswer(false);
    h.clock.advance(6 * MINUTE);

    const summary = await reconcile(deps(), { minAgeMinutes: 5, batch: 10 });
    assert.deepEqual(summary, { checked: 4, paid: 1, expired: 2, pending: 1, unknown: 0, failed: 0 });
    const row = (c: { checkout: { id: string } }) => h.stores.checkouts.byId(c.checkout.id);
    assert.deepEqual([(await row(paid))?.status, (await row(paid))?.xenditInvoiceId], ['paid', paid.x!.id]);
    assert.equal((await row(payable))?.status, 'creating', 'the next click adopts it');
    assert.deepEqual([(await row(expired))?.status, (await row(expired))?.xenditInvoiceId], ['expired', expired.x!.id]);
    assert.deepEqual([(await row(never))?.status, (await row(never))?.xenditInvoiceId], ['expired', null], 'Xendit made nothing yet: kept, closed');
    await h.worker.drain();
    assert.equal(xeroPayments(paid.inv.invoiceId).length, 1);
    assert.equal((await h.stores.alerts.recent('callbackMissing', 'all', new Date(0), 10)).length, 1, 'paid, yet no callback told us');
  });

  it('keeps a checkout closed while Xendit showed nothing: a create Xendit processes late is then paid and recorded, or expired', async () => {
    // A create that timed out on our side and that Xendit processes later: its invoice appears under
    // the checkout's external id after the checkout was closed (Xendit e-mails the payer its link).
    const lateCreate = async () => {
      const inv = h.addInvoice({});
      h.sims.xendit.faults.failNext(1, 503, { method: 'POST', path: '/v2/invoices' });
      await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
      const [checkout] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
      return { inv, checkout };
    };
    const paid = await lateCreate();
    const payable = await lateCreate();
    h.clock.advance(6 * MINUTE);
    assert.equal((await reconcile(deps(), { minAgeMinutes: 5, batch: 10 })).expired, 2, 'closed: Xendit shows nothing yet');

    const make = (c: { checkout: { externalId: string; amount: number } }) =>
      h.sims.xenditClient.createInvoice(h.merchant.xenditSecretKey, {
        externalId: c.checkout.externalId,
        currency: 'IDR',
        amount: c.checkout.amount,
        description: 'late',
        successRedirectUrl: 'https://example.com/ok',
        failureRedirectUrl: 'https://example.com/no',
        invoiceDurationSeconds: 86_400,
      });
    const late = await make(paid);
    await h.sims.xendit.pay(late.id); // its PAID callback reaches us
    await h.worker.drain();
    assert.equal(xeroPayments(paid.inv.invoiceId).length, 1, 'the payment is recorded, not acknowledged and lost');
    assert.equal((await h.stores.checkouts.byId(paid.checkout.id))?.status, 'paid');

    const stillPayable = await make(payable);
    h.clock.advance(6 * MINUTE);
    const summary = await reconcile(deps(), { minAgeMinutes: 5, batch: 10 });
    assert.equal(summary.expired, 1);
    assert.equal(h.sims.xendit.listInvoices().find((x) => x.id === stillPayable.id)?.status, 'EXPIRED', 'nobody can pay it any more');
    const row = await h.stores.checkouts.byId(payable.checkout.id);
    assert.deepEqual([row?.status, row?.xenditInvoiceId], ['expired', stillPayable.id]);
    assert.equal((await reconcile(deps(), { minAgeMinutes: 5, batch: 10 })).checked, 0, 'asked about once');
  });

  it('closes checkouts Xendit expired, leaves pending ones open, and does not ask about young ones', async () => {
    const expired = await clickPay();
    const pending = await clickPay();
    await h.sims.xendit.expire(expired.x.id, { sendCallback: false });
    h.clock.advance(6 * MINUTE);
    const young = await clickPay();
    const before = xenditGets();

    const summary = await reconcile(deps(), { minAgeMinutes: 5, batch: 10 });
    assert.deepEqual(summary, { checked: 2, paid: 0, expired: 1, pending: 1, unknown: 0, failed: 0 });
    assert.equal(xenditGets() - before, 2, 'the young checkout is left to its callback');
    assert.equal((await checkoutOf(expired.x))?.status, 'expired');
    assert.equal((await checkoutOf(pending.x))?.status, 'open');
    assert.equal((await checkoutOf(young.x))?.status, 'open');
    assert.equal(await h.count('jobs'), 0);
  });

  it('spends at most one batch of Xendit calls per run, and the next run starts with the ones not yet asked', async () => {
    const clicks = [];
    for (let i = 0; i < 3; i++) {
      clicks.push(await clickPay());
      h.clock.advance(1000); // oldest first, so only rotation can put the third one first
    }
    h.clock.advance(6 * MINUTE);
    const before = xenditGets();
    assert.equal((await reconcile(deps(), { minAgeMinutes: 5, batch: 2 })).checked, 2);
    assert.equal(xenditGets() - before, 2);
    await h.sims.xendit.pay(clicks[2].x.id, { sendCallback: false });
    h.clock.advance(MINUTE);
    assert.equal((await reconcile(deps(), { minAgeMinutes: 5, batch: 1 })).paid, 1, 'the third checkout comes first now');
  });

  it('leaves a merchant whose Xendit calls fail for the next run, rotating past the failing checkout', async () => {
    const a = await clickPay();
    await clickPay();
    await h.sims.xendit.pay(a.x.id, { sendCallback: false });
    h.clock.advance(6 * MINUTE);
    h.sims.xendit.faults.failNext(10, 503);
    const failed = await reconcile(deps(), { minAgeMinutes: 5, batch: 10 });
    assert.deepEqual(failed, { checked: 1, paid: 0, expired: 0, pending: 0, unknown: 0, failed: 1 });
    h.sims.xendit.faults.reset();
    const next = await reconcile(deps(), { minAgeMinutes: 5, batch: 10 });
    assert.equal(next.paid, 1);
    assert.equal(next.pending, 1);
  });

  it("goes on to merchant B while merchant A's Xendit calls fail, and does not ask about A's other checkouts in that run", async () => {
    // Merchant A: two checkouts, older than B's, so they come first in line.
    const a1 = await clickPay();
    const a2 = await clickPay();
    h.clock.advance(1000);
    // Merchant B: its own Xero organisation and Xendit account; its customer paid, the callback was lost.
    const orgB = h.sims.xero.addOrganisation({ clientId: 'client-b', clientSecret: 'secret-b', name: 'Toko B', shortCode: '!Bee', baseCurrency: 'IDR' });
    h.sims.xendit.registerAccount({ secretKey: 'xnd_development_b', callbackToken: 'cb-b', businessName: 'Toko B' });
    const merchantB = await h.stores.merchants.add({
      name: 'Toko B',
      shortCode: '!Bee',
      xero: { clientId: 'client-b', clientSecret: 'secret-b', tenantId: '' },
      xenditSecretKey: 'xnd_development_b',
      callbackToken: 'cb-b',
      clearingAccountId: h.sims.xero.bankAccountFor(orgB.tenantId, 'Xendit').accountId,
      xeroTestOrganisation: true,
    });
    const invB = h.sims.xero.addInvoice({ tenantId: orgB.tenantId, contact: { name: 'Sari' }, lineItems: [{ description: 'Teh', unitAmount: '50000' }] });
    await request(h.app)
      .get(h.payUrl(invB.invoiceNumber, { shortCode: '!Bee', currency: 'IDR', amount: '50000.00' }))
      .expect(303);
    const b = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(b.id, { sendCallback: false });
    h.clock.advance(6 * MINUTE);

    // A's Xendit calls answer 503 (its account limited, say); B's are fine.
    for (const x of [a1.x, a2.x]) h.sims.xendit.faults.failNext(10, 503, { method: 'GET', path: `/v2/invoices/${x.id}` });
    const before = xenditGets();
    const summary = await reconcile(deps(), { minAgeMinutes: 5, batch: 10 });
    assert.deepEqual(summary, { checked: 2, paid: 1, expired: 0, pending: 0, unknown: 0, failed: 1 });
    assert.equal(xenditGets() - before, 2, "one failing call for A, then B's; A's second checkout waits for the next run");
    const jobs = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment');
    assert.deepEqual(
      jobs.map((j) => [j.merchantId, j.payload.xenditInvoiceId]),
      [[merchantB.id, b.id]],
    );
    assert.equal((await h.stores.checkouts.forXenditInvoice(merchantB.id, b.id, b.external_id))?.status, 'paid');
    await h.worker.drain();
    assert.equal(h.sims.xero.paymentsOf(invB.invoiceId).length, 1);
    assert.equal((await h.stores.payments.byXenditInvoice(merchantB.id, b.id))?.syncState, 'recorded');
  });

  it('an EXPIRED callback out of order for an invoice paid meanwhile (PAID callback lost) does not hide the payment', async () => {
    const { inv, x } = await clickPay();
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    await postCallback(x, 'EXPIRED').expect(200); // the sender's word only: the checkout is left as it is
    assert.equal((await checkoutOf(x))?.status, 'open');
    h.clock.advance(6 * MINUTE);

    const summary = await reconcile(deps(), { minAgeMinutes: 5, batch: 10 });
    assert.equal(summary.paid, 1, 'Xendit was asked about the expired checkout');
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 1);
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');

    // Asked once: a confirmed expiry is not asked about again.
    const other = await clickPay();
    await h.sims.xendit.expire(other.x.id);
    h.clock.advance(6 * MINUTE);
    const before = xenditGets();
    assert.equal((await reconcile(deps(), { minAgeMinutes: 5, batch: 10 })).expired, 1);
    assert.equal(xenditGets() - before, 1);
    await reconcile(deps(), { minAgeMinutes: 5, batch: 10 });
    assert.equal(xenditGets() - before, 1);
  });

  it('reopens a checkout an EXPIRED callback closed while Xendit still has the invoice payable', async () => {
    const { x } = await clickPay();
    await postCallback(x, 'EXPIRED').expect(200);
    h.clock.advance(6 * MINUTE);
    assert.equal((await reconcile(deps(), { minAgeMinutes: 5, batch: 10 })).pending, 1);
    assert.equal((await checkoutOf(x))?.status, 'open', 'watched again by the next runs');
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    h.clock.advance(MINUTE);
    assert.equal((await reconcile(deps(), { minAgeMinutes: 5, batch: 10 })).paid, 1);
  });

  it("records a disabled merchant's payments whose callback was lost, and opens nothing new", async () => {
    // Payable when the operator disabled the merchant; the customer paid anyway, the callback lost.
    const open = await clickPay();
    // Closed here as expired (an out-of-order EXPIRED), yet paid at Xendit.
    const closed = await clickPay();
    await h.stores.checkouts.transition((await checkoutOf(closed.x))!.id, ['open'], 'expired', h.clock());
    await h.stores.merchants.setStatus(h.merchant.id, 'disabled');
    await h.sims.xendit.pay(open.x.id, { sendCallback: false });
    await h.sims.xendit.pay(closed.x.id, { sendCallback: false });
    h.clock.advance(6 * MINUTE);
    const invoicesBefore = h.sims.xendit.listInvoices().length;

    assert.equal(await scheduleReconcile({ stores: h.stores, clock: h.clock }, 10), true);
    await h.worker.drain(); // reconcile → record-payment, twice
    const jobs = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment');
    assert.deepEqual(
      jobs.map((j) => [j.payload.xenditInvoiceId, j.state]).sort(),
      [
        [open.x.id, 'done'],
        [closed.x.id, 'done'],
      ].sort(),
    );
    for (const { inv, x } of [open, closed]) {
      assert.equal(xeroPayments(inv.invoiceId).length, 1);
      assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
      assert.equal((await checkoutOf(x))?.status, 'paid');
    }
    assert.equal(h.sims.xendit.listInvoices().length, invoicesBefore, 'no Xendit invoice made');
    assert.equal((await h.stores.merchants.byId(h.merchant.id))?.status, 'disabled');
  });

  it("after the upgrade, asks once about a disabled merchant's expired checkouts an older run passed over", async () => {
    const { inv, x } = await clickPay();
    await h.stores.checkouts.transition((await checkoutOf(x))!.id, ['open'], 'expired', h.clock());
    await h.stores.merchants.setStatus(h.merchant.id, 'disabled');
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    h.clock.advance(6 * MINUTE);
    // What an older release's run did: no question to Xendit, the expiry taken as confirmed.
    await h.stores.checkouts.markReconciled((await checkoutOf(x))!.id, h.clock());
    assert.equal((await reconcile(deps(), { minAgeMinutes: 5, batch: 10 })).checked, 0);

    await disabledExpiries.up(h.stores.db);
    assert.equal((await reconcile(deps(), { minAgeMinutes: 5, batch: 10 })).paid, 1);
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 1);
  });

  it('schedules one run per interval however many workers tick', async () => {
    assert.equal(await scheduleReconcile({ stores: h.stores, clock: h.clock }, 10), true);
    assert.equal(await scheduleReconcile({ stores: h.stores, clock: h.clock }, 10), false);
    h.clock.advance(10 * MINUTE);
    assert.equal(await scheduleReconcile({ stores: h.stores, clock: h.clock }, 10), true);
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'reconcile').length, 2);
    await h.worker.drain();
    assert.deepEqual(
      (await h.stores.jobs.list()).map((j) => j.state),
      ['done', 'done'],
    );
  });
});
