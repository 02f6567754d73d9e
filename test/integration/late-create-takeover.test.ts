import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { pino } from 'pino';
import { reconcile } from '../../app/jobs/sync/reconcile.js';

const WAIT = 5000; // the harness's creation wait

describeEachDatabase('pay: a create Xendit processes late, after a take-over whose own create was refused', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { creationWaitMs: WAIT });
    // With the backend flow on, a PAID callback that finds no checkout would become a new Xero sale.
    await h.stores.db.updateTable('merchants').set({ backend_flow: true }).where('id', '=', h.merchant.id).execute();
  });
  afterEach(() => h.close());

  const backendSales = async () => (await h.stores.db.selectFrom('backend_sales').select('xendit_invoice_id').execute()).length;
  const jobStates = async () => (await h.stores.jobs.list()).map((j) => `${j.kind}:${j.state}`).sort();

  it('keeps the checkout closed, and books the late invoice once on the real Xero invoice, never as a backend sale', async () => {
    const inv = h.addInvoice({});
    const late = h.sims.xendit.faults.createLate(); // click A: no answer, made only later
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    const [checkout] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
    h.clock.advance(WAIT + 1);
    // Click B takes the row over, finds nothing yet, and its own create meets a 429: it made nothing, A's may still come.
    h.sims.xendit.faults.failNext(1, 429, { method: 'POST', path: '/v2/invoices', retryAfter: 5 });
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    const row = await h.stores.checkouts.byId(checkout.id);
    assert.deepEqual([row?.status, row?.xenditInvoiceId], ['expired', null], 'closed, not deleted');

    const [lateId] = late.make(); // Xendit processes A's create now and e-mails its link
    const cb = await h.sims.xendit.pay(lateId);
    assert.equal(cb?.responseStatus, 200, cb?.responseBody);
    await h.worker.drain();

    assert.equal(await backendSales(), 0, 'never a backend sale');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).filter((p) => p.status !== 'DELETED').length, 1, 'booked once, on the real Xero invoice');
    assert.equal(h.sims.xero.findInvoice(inv.invoiceId)!.status, 'PAID');
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, lateId))?.syncState, 'recorded');
  });

  const statusAtXendit = (id: string) => h.sims.xendit.getInvoice(id)!.status;
  const reconcileRun = () =>
    reconcile({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) }, { minAgeMinutes: 5, batch: 10 });

  /**
   * Click A's create gets no answer (503, the row left 'creating'); click B takes the row over,
   * finds nothing under its external id yet, makes its own invoice and opens the checkout; then
   * Xendit processes A's create: a second payable invoice (e-mailed to the payer) under that id.
   */
  async function openedBeforeLateCreate() {
    const inv = h.addInvoice({});
    const late = h.sims.xendit.faults.createLate();
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    h.clock.advance(WAIT + 1);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const [checkout] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
    assert.equal(checkout.status, 'open');
    const [lateId] = late.make();
    assert.equal(statusAtXendit(lateId), 'PENDING');
    return { inv, checkout, own: checkout.xenditInvoiceId!, lateId };
  }

  it("expires the late invoice of a lost create once a take-over opened the checkout, and keeps the checkout's own payable", async () => {
    const { checkout, own, lateId } = await openedBeforeLateCreate();
    h.clock.advance(6 * 60_000);
    await reconcileRun();
    assert.equal(statusAtXendit(lateId), 'EXPIRED', 'the late twin is not left payable beside the checkout');
    assert.equal(statusAtXendit(own), 'PENDING', "the checkout's own invoice stays payable");
    const row = await h.stores.checkouts.byId(checkout.id);
    assert.deepEqual([row?.status, row?.xenditInvoiceId], ['open', own]);
  });

  it("the late invoice paid before reconcile asks: booked once, and the checkout's own invoice expired", async () => {
    const { inv, checkout, own, lateId } = await openedBeforeLateCreate();
    await h.sims.xendit.pay(lateId, { sendCallback: false }); // paid from Xendit's e-mail, its callback lost
    h.clock.advance(6 * 60_000);
    await reconcileRun();
    await h.worker.drain();
    assert.equal(statusAtXendit(own), 'EXPIRED', 'no second payable invoice left');
    assert.equal((await h.stores.checkouts.byId(checkout.id))?.status, 'paid');
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, lateId))?.syncState, 'recorded');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).filter((p) => p.status !== 'DELETED').length, 1);
  });

  it('expires the late invoice of a lost create after the customer paid the checkout, not only while it is open', async () => {
    const { inv, checkout, own, lateId } = await openedBeforeLateCreate();
    await h.sims.xendit.pay(own); // the customer pays the invoice sent to at once; its callback comes
    await h.worker.drain();
    assert.equal((await h.stores.checkouts.byId(checkout.id))?.status, 'paid');
    h.clock.advance(6 * 60_000);
    await reconcileRun();
    await h.worker.drain();
    assert.equal(statusAtXendit(lateId), 'EXPIRED', 'the late twin is not left payable once the checkout is paid');
    assert.equal(await h.count('payments'), 1);
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).filter((p) => p.status !== 'DELETED').length, 1);
  });

  it('a checkout still being created that reconcile finds paid: the other create that got no answer, made later, is expired', async () => {
    const inv = h.addInvoice({});
    const lateA = h.sims.xendit.faults.createLate();
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    h.clock.advance(WAIT + 1);
    const lateB = h.sims.xendit.faults.createLate(); // the take-over's create: no answer either
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    const [checkout] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
    assert.equal(checkout.status, 'creating');
    const [a] = lateA.make();
    await h.sims.xendit.pay(a, { sendCallback: false }); // paid from Xendit's e-mail, its callback lost
    h.clock.advance(6 * 60_000);
    await reconcileRun();
    await h.worker.drain();
    assert.equal((await h.stores.checkouts.byId(checkout.id))?.status, 'paid');
    const [b] = lateB.make(); // Xendit processes the take-over's create only now
    h.clock.advance(30 * 60_000);
    await reconcileRun();
    await h.worker.drain();
    assert.equal(statusAtXendit(b), 'EXPIRED', 'the second late invoice is not left payable');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).filter((p) => p.status !== 'DELETED').length, 1);
  });

  it("the checkout's own invoice and an older late twin both paid, callbacks lost: reconcile books both", async () => {
    // Dates of invoices on the test's clock, so the own invoice is listed before the twin (newest first).
    h.sims.xendit.test.useClock(h.clock);
    const inv = h.addInvoice({});
    const late = h.sims.xendit.faults.createLate();
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    h.clock.advance(WAIT + 1);
    // Click B takes over and finds nothing; Xendit makes A's invoice just before B's own create.
    let lateId = '';
    h.sims.xendit.faults.beforeRequest(
      1,
      () => {
        [lateId] = late.make();
        h.clock.advance(1000);
      },
      { method: 'POST', path: '/v2/invoices' },
    );
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const [checkout] = await h.stores.checkouts.forInvoice(h.merchant.id, inv.invoiceId);
    const own = checkout.xenditInvoiceId!;
    assert.notEqual(own, lateId);
    await h.sims.xendit.pay(own, { sendCallback: false });
    await h.sims.xendit.pay(lateId, { sendCallback: false });
    h.clock.advance(6 * 60_000);
    await reconcileRun();
    await h.worker.drain();
    assert.equal((await h.stores.checkouts.byId(checkout.id))?.status, 'paid');
    const payments = await Promise.all([own, lateId].map((id) => h.stores.payments.byXenditInvoice(h.merchant.id, id)));
    assert.deepEqual(
      payments.map((p) => p?.syncState),
      ['recorded', 'needs_review'],
      'both payments booked: the second as an over-payment for review',
    );
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).filter((p) => p.status !== 'DELETED').length, 1);
  });

  it("sends a paid invoice with a checkout's external id that no checkout holds to review, never to a backend sale", async () => {
    const x = h.sims.xendit.createInvoice({
      account: h.merchant.xenditSecretKey,
      currency: 'IDR',
      amount: 250_000,
      externalId: `xero-INV-0042-${randomUUID()}`,
    });
    const cb = await h.sims.xendit.pay(x.id);
    assert.equal(cb?.responseStatus, 200, cb?.responseBody);
    await h.worker.drain();
    assert.deepEqual(await jobStates(), ['record-backend-payment:needs_review']);
    const [job] = await h.stores.jobs.list();
    assert.match(job.lastError ?? '', /checkout of this gateway/);
    assert.equal(await backendSales(), 0);
    assert.equal(h.sims.xero.invoicesOf(h.tenantId).filter((i) => i.reference === `Xendit ${x.id}`).length, 0, 'no sale in Xero');
  });
});
