import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';

describeEachDatabase('worker: record-payment', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  /** Click → Xendit invoice; returns the Xero and Xendit ids. */
  async function clickPay(seed: Parameters<Harness['addInvoice']>[0] = {}) {
    const inv = h.addInvoice(seed);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    return { inv, x };
  }

  const xeroPayments = (invoiceId: string) => h.sims.xero.paymentsOf(invoiceId).filter((p) => p.status !== 'DELETED');
  const jobStates = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment').map((j) => j.state);

  it('records the Xero payment into the clearing account with the Xendit fee, from a real PAID callback', async () => {
    const { inv, x } = await clickPay();
    await h.sims.xendit.pay(x.id); // the simulator sends the PAID callback to our server
    assert.equal(await h.count('jobs'), 1);
    await h.worker.drain();

    const payments = xeroPayments(inv.invoiceId);
    assert.equal(payments.length, 1);
    assert.equal(payments[0].amount, 15000000n, '150000.00 IDR in hundredths');
    assert.equal(payments[0].accountId, h.clearingAccountId);
    assert.equal(payments[0].reference, `Xendit ${x.id}`);
    assert.equal(h.sims.xero.findInvoice(inv.invoiceId)?.status, 'PAID');

    const p = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
    assert.equal(p?.syncState, 'recorded');
    assert.equal(p?.xeroPaymentId, payments[0].paymentId);
    assert.ok(p?.fee && p.fee > 0, 'fee stored');
    assert.deepEqual(await jobStates(), ['done']);
  });

  it('records a PHP payment into the PHP clearing account (a Xero bank account has one currency)', async () => {
    const { inv, x } = await clickPay({ currency: 'PHP', lineItems: [{ description: 'Barako', quantity: '2', unitAmount: '1225.25' }] });
    assert.equal(x.amount, 2450.5);
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const [payment] = xeroPayments(inv.invoiceId);
    assert.equal(payment.accountId, h.clearingPhpAccountId);
    assert.equal(payment.amount, 245050n);
    assert.equal(h.sims.xero.findInvoice(inv.invoiceId)?.status, 'PAID');
  });

  it('records exactly one Xero payment for 50 concurrent duplicate PAID callbacks', async () => {
    const { inv, x } = await clickPay();
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    const body = JSON.stringify({ id: x.id, external_id: x.external_id, status: 'PAID' });
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(h.baseUrl + h.callbackPath, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-callback-token': h.merchant.callbackToken },
          body,
        }).then((r) => r.status),
      ),
    );
    assert.deepEqual([...new Set(answers)], [200]);
    await Promise.all([h.worker.drain(), h.worker.drain(), h.worker.drain()]);
    assert.equal(xeroPayments(inv.invoiceId).length, 1);
    assert.equal(await h.count('payments'), 1);
  });

  it('still records one payment when Xero saved it but the response was lost', async () => {
    const { inv, x } = await clickPay();
    h.sims.xero.faults.dropResponseAfterSave(1);
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    assert.deepEqual(await jobStates(), ['queued'], 'lost response → retry later');
    assert.equal(xeroPayments(inv.invoiceId).length, 1, 'Xero did save it');

    h.clock.advance(60_000);
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 1, 'found by Reference, not created twice');
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
    assert.deepEqual(await jobStates(), ['done']);
  });

  it('retries with back-off while Xero answers 503 or 429, then records once', async () => {
    const { inv, x } = await clickPay();
    h.sims.xero.faults.failNext(3, 503);
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    let [job] = await h.stores.jobs.list();
    assert.equal(job.state, 'queued');
    assert.ok(job.runAt.getTime() > h.clock().getTime(), 'scheduled in the future');
    assert.equal(await h.worker.drain(), 0, 'not due yet');

    h.sims.xero.faults.reset();
    h.sims.xero.faults.failNext(1, 429, { retryAfter: 120 });
    h.clock.advance(10 * 60_000);
    await h.worker.drain();
    [job] = await h.stores.jobs.list();
    assert.equal(job.state, 'queued');
    assert.ok(job.runAt.getTime() - h.clock().getTime() >= 120_000, 'waits at least Retry-After');

    h.clock.advance(10 * 60_000);
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 1);
    assert.deepEqual(await jobStates(), ['done']);
  });

  it('puts a payment for an invoice voided meanwhile in needs_review, without a retry loop', async () => {
    const { inv, x } = await clickPay();
    h.sims.xero.findInvoice(inv.invoiceId)!.status = 'VOIDED';
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const [job] = await h.stores.jobs.list();
    assert.equal(job.state, 'needs_review');
    assert.match(job.lastError ?? '', /is VOIDED: 150000 IDR paid at Xendit is unrecorded/);
    const p = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
    assert.equal(p?.syncState, 'needs_review');
    h.clock.advance(24 * 3600_000);
    assert.equal(await h.worker.drain(), 0);
    assert.equal(xeroPayments(inv.invoiceId).length, 0);
  });

  it("puts a payment Xero still refuses (400 from createPayment) in needs_review with Xero's words", async () => {
    const { inv, x } = await clickPay();
    h.sims.xero.faults.failNext(1, 400, { method: 'POST', path: '/api.xro/2.0/Payments' });
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const p = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
    assert.equal(p?.syncState, 'needs_review');
    assert.match(p?.lastError ?? '', /^Xero refused the payment: xero rejected \(400\)/);
    assert.deepEqual(await jobStates(), ['needs_review']);
    assert.equal(xeroPayments(inv.invoiceId).length, 0);
  });

  it('when it gives up on a long Xero outage, flags the payment for review so Retry can pick it up', async () => {
    const { x } = await clickPay();
    h.sims.xero.faults.failNext(1000, 503);
    await h.sims.xendit.pay(x.id);
    for (let i = 0; i < 20; i++) {
      await h.worker.drain();
      h.clock.advance(12 * 3600_000);
    }
    const [job] = await h.stores.jobs.list();
    assert.equal(job.state, 'needs_review');
    assert.match(job.lastError ?? '', /gave up after 15 attempts/);
    const p = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
    assert.equal(p?.syncState, 'needs_review');
    assert.match(p?.lastError ?? '', /gave up/);
  });

  it('takes amounts from Xendit, never from the callback body', async () => {
    const { inv, x } = await clickPay();
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    await request(h.app)
      .post(h.callbackPath)
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ id: x.id, external_id: x.external_id, status: 'PAID', amount: 1, paid_amount: 1, currency: 'PHP' })
      .expect(200);
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId)[0].amount, 15000000n);
  });

  it('does nothing in Xero for a PAID callback Xendit does not confirm (still PENDING)', async () => {
    const { inv, x } = await clickPay();
    await request(h.app)
      .post(h.callbackPath)
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ id: x.id, external_id: x.external_id, status: 'PAID' })
      .expect(200);
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 0);
    assert.equal((await h.stores.jobs.list())[0].state, 'queued');
  });

  it('while Xendit has the money but Xero is not updated yet, a new click shows "received" instead of charging again', async () => {
    const { inv, x } = await clickPay();
    // Xero is down: the job confirms the payment at Xendit (checkout paid) but cannot record it yet.
    h.sims.xero.faults.failNext(20, 503, { method: 'PUT', path: '/api.xro/2.0/Payments' });
    h.sims.xero.faults.failNext(20, 503, { method: 'POST', path: '/api.xro/2.0/Payments' });
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 0);
    const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'en').expect(200);
    assert.match(res.text, /Your payment was received/);
    assert.equal(h.sims.xendit.listInvoices().length, 1);
    h.sims.xero.faults.reset();
  });

  it('a forged PAID callback (valid token, nothing paid) changes nothing the customer sees: the next click goes to the same open checkout', async () => {
    const { inv, x } = await clickPay();
    await request(h.app)
      .post(h.callbackPath)
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ id: x.id, external_id: x.external_id, status: 'PAID' })
      .expect(200);
    await h.worker.drain();
    const again = await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(again.headers.location, x.invoice_url);
    assert.equal(h.sims.xendit.listInvoices().length, 1);
  });
});
