import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { recordPaymentJob } from '../../app/jobs/sync/record-payment.js';
import { enqueueJob } from '../helpers/jobs.js';

const PAYMENTS = '/api.xro/2.0/Payments';
const BANK_TXNS = '/api.xro/2.0/BankTransactions';

/**
 * Xero allows an organisation 60 calls a minute and 5 000 a day, so calls per payment decide how
 * many payments a merchant can have recorded (issue 20): on the normal path the payment's create
 * and the fee's create, nothing else. A lookup by Reference happens only when the database says an
 * earlier create's outcome is unknown; the invoice is read only when Xero refused the whole amount.
 */
describeEachDatabase('worker: Xero calls per recorded payment', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  /** Xero API requests (not the token endpoint) from `from` on, as "METHOD path". */
  const apiCalls = (from = 0) =>
    h.sims.xero.test
      .requests()
      .slice(from)
      .filter((r) => r.path.startsWith('/api.xro/'))
      .map((r) => `${r.method} ${r.path.replace(/\/[0-9a-f-]{36}$/, '/{id}')}`);
  const mark = () => h.sims.xero.test.countRequests();
  const payment = (xenditId: string) => h.stores.payments.byXenditInvoice(h.merchant.id, xenditId);
  const ours = (invoiceId: string) => h.sims.xero.paymentsOf(invoiceId).filter((p) => p.status !== 'DELETED');
  const jobs = async () => (await h.stores.jobs.list()).map((j) => `${j.kind}:${j.state}`);

  /** Paid and recorded through the gateway; the Xero requests it cost. */
  async function payAndRecord() {
    const { inv, x } = await paidThroughGateway(h);
    const from = mark();
    await h.worker.drain();
    return { inv, x, calls: apiCalls(from) };
  }

  it('records a payment with its fee in 2 Xero calls (the payment, the fee); a cold start adds one account listing and the time zone', async () => {
    const first = await payAndRecord();
    assert.deepEqual(first.calls, ['GET /api.xro/2.0/Accounts', 'GET /api.xro/2.0/Organisation', `POST ${PAYMENTS}`, `PUT ${BANK_TXNS}`]);
    for (let i = 0; i < 3; i++) {
      const { x, calls } = await payAndRecord();
      assert.deepEqual(calls, [`POST ${PAYMENTS}`, `PUT ${BANK_TXNS}`], `payment ${i + 2}`);
      const p = await payment(x.id);
      assert.equal(p?.syncState, 'recorded');
      assert.equal(p?.feeState, 'posted');
      assert.equal(p?.xeroAttemptAt, null, 'the answer settled the attempt');
      assert.equal(p?.feeAttemptAt, null);
    }
  });

  it('records a payment without a fee in 1 Xero call', async () => {
    await h.stores.db.updateTable('merchants').set({ fee_posting: 'off' }).where('id', '=', h.merchant.id).execute();
    await payAndRecord();
    for (let i = 0; i < 3; i++) {
      const { x, calls } = await payAndRecord();
      assert.deepEqual(calls, [`POST ${PAYMENTS}`]);
      assert.equal((await payment(x.id))?.feeState, 'not_needed');
    }
  });

  it('after a crash once the create was sent, the next attempt looks the payment up by Reference and creates nothing twice', async () => {
    await payAndRecord(); // warm: account listing and time zone are behind us
    const { inv, x } = await paidThroughGateway(h);
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment' && j.state === 'queued');
    // The worker dies right after Xero accepted (crash point after-xero-accepted), before storing the answer.
    const dies = recordPaymentJob({
      stores: h.stores,
      xero: h.deps.xero,
      xendit: h.sims.xenditClient,
      clock: h.clock,
      logger: pino({ level: 'silent' }),
      crash: (point) => {
        if (point === 'after-xero-accepted') throw new Error('killed');
      },
    });
    await assert.rejects(dies(job), /killed/);
    assert.equal(ours(inv.invoiceId).length, 1, 'Xero has it');
    const pending = await payment(x.id);
    assert.equal(pending?.syncState, 'pending');
    assert.ok(pending?.xeroAttemptAt, 'the attempt was committed before the create was sent');

    const from = mark();
    await h.worker.drain();
    assert.deepEqual(apiCalls(from), [`GET ${PAYMENTS}`, `PUT ${BANK_TXNS}`], 'looked up, found, not created again');
    assert.equal(ours(inv.invoiceId).length, 1);
    const p = await payment(x.id);
    assert.equal(p?.syncState, 'recorded');
    assert.equal(p?.xeroPaymentId, ours(inv.invoiceId)[0].paymentId);
    assert.equal(p?.xeroAttemptAt, null);
  });

  it('after a lost response to the fee, the retry looks the fee up by Reference and posts it once', async () => {
    await payAndRecord();
    const { x } = await paidThroughGateway(h);
    h.sims.xero.faults.dropResponseAfterSave(1, { path: BANK_TXNS });
    await h.worker.drain();
    assert.deepEqual(await jobs(), ['record-payment:done', 'post-fee:done', 'record-payment:done', 'post-fee:queued']);
    assert.ok((await payment(x.id))?.feeAttemptAt, 'outcome unknown');

    h.clock.advance(60_000);
    const from = mark();
    await h.worker.drain();
    assert.deepEqual(apiCalls(from), [`GET ${BANK_TXNS}`], 'found by Reference: no second create');
    const fees = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit fee ${x.id}`);
    assert.equal(fees.length, 1);
    const p = await payment(x.id);
    assert.equal(p?.feeState, 'posted');
    assert.equal(p?.xeroFeeTxnId, fees[0].bankTransactionId);
    assert.equal(p?.feeAttemptAt, null);
  });

  it('when Xero refuses the whole amount, reads the invoice and sends what fits under a new Idempotency-Key', async () => {
    await payAndRecord();
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    const { inv, x } = await paidThroughGateway(h, {
      afterCheckout: (inv) => void h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '50000', savings, 'Cash at the counter'),
    });
    const from = mark();
    await h.worker.drain();
    assert.deepEqual(apiCalls(from), [
      `POST ${PAYMENTS}`, // 150 000 IDR: refused, 100 000 IDR is due
      `GET ${PAYMENTS}`, // not our own payment, made by an attempt the database lost track of
      'GET /api.xro/2.0/Invoices/{id}',
      'GET /api.xro/2.0/Accounts', // the clearing account checked again, not from the cache
      `POST ${PAYMENTS}`, // what fits
      `PUT ${BANK_TXNS}`,
    ]);
    const [recorded, ...more] = ours(inv.invoiceId).filter((p) => p.accountId === h.clearingAccountId);
    assert.equal(more.length, 0);
    assert.equal(recorded.amount, 10000000n);
    const p = await payment(x.id);
    assert.equal(p?.syncState, 'needs_review');
    assert.equal(p?.amountRecorded, 100000);
    assert.equal(p?.xeroAttemptAt, null);

    // Xero replays a stored answer (the refusal) for a repeated key: the follow-up had a key of its own.
    const keys = [...h.sims.xero.test.organisation(h.tenantId).idempotency.keys()].filter((k) => k.startsWith(`xendit-payment-${p!.id}`));
    assert.equal(keys.length, 2);
    assert.equal(keys.filter((k) => k.startsWith(`xendit-payment-${p!.id}-fit-`)).length, 1);
  });

  it("an operator's replays of a payment recorded in part find the payment by Reference and keep its fee posted, creating neither again", async () => {
    await payAndRecord();
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    const { inv, x } = await paidThroughGateway(h, {
      afterCheckout: (inv) => void h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '50000', savings, 'Cash at the counter'),
    });
    await h.worker.drain();
    const fees = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit fee ${x.id}`);
    assert.equal(fees().length, 1);
    const p = (await payment(x.id))!;
    h.clock.advance(24 * 3600_000); // Xero's Idempotency-Keys are long gone

    const replay = async (kind: string, payload: Record<string, unknown>) => {
      await enqueueJob(h.stores.db, { kind, merchantId: h.merchant.id, payload }, h.clock());
      const from = mark();
      await h.worker.drain();
      return apiCalls(from);
    };
    assert.deepEqual(await replay('record-payment', { merchantId: h.merchant.id, xenditInvoiceId: x.id }), [`GET ${PAYMENTS}`]);
    assert.equal((await payment(x.id))?.feeState, 'posted');
    assert.deepEqual(await replay('post-fee', { paymentId: p.id }), [], "the fee stays posted through the payment's replay: nothing to look up or post");
    assert.equal(ours(inv.invoiceId).filter((p) => p.accountId === h.clearingAccountId).length, 1);
    assert.equal(fees().length, 1);
    const after = await payment(x.id);
    assert.equal(after?.feeState, 'posted');
    assert.equal(after?.xeroFeeTxnId, fees()[0].bankTransactionId);
  });

  it('when Xero refuses the payment because the invoice was voided, reads it and puts the payment in needs_review', async () => {
    await payAndRecord();
    const { inv, x } = await paidThroughGateway(h, { afterCheckout: (inv) => void (h.sims.xero.findInvoice(inv.invoiceId)!.status = 'VOIDED') });
    const from = mark();
    await h.worker.drain();
    assert.deepEqual(apiCalls(from), [`POST ${PAYMENTS}`, `GET ${PAYMENTS}`, 'GET /api.xro/2.0/Invoices/{id}']);
    const p = await payment(x.id);
    assert.equal(p?.syncState, 'needs_review');
    assert.match(p?.lastError ?? '', /is VOIDED: 150000 IDR paid at Xendit is unrecorded/);
    assert.equal(p?.xeroAttemptAt, null, 'a refusal is an answer: nothing to look up on a retry');
    assert.equal(ours(inv.invoiceId).length, 0);
  });
});
