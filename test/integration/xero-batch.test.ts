import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { recordPaymentJob } from '../../app/jobs/sync/record-payment.js';
import { createJobRunner } from '../../app/jobs/runner.js';
import { createXeroBatch } from '../../app/jobs/xero-batch.js';
import { inGroup } from '../../app/jobs/registry.js';
import type { CrashPoint } from '../../app/jobs/sync/crash-points.js';
import { UNSETTLED_MS } from '../../app/jobs/sync/send-once.js';
import { ONE_ADDRESS_MANY_CUSTOMERS } from '../helpers/pay-limits.js';

const PAYMENTS = '/api.xro/2.0/Payments';
const BANK_TXNS = '/api.xro/2.0/BankTransactions';

/**
 * A merchant's due payments go to Xero as one PUT /Payments (summarizeErrors=false) and their fees
 * as one PUT /BankTransactions (issue 20): each item's result goes back to its own job, a refused
 * item to needs_review, and exactly once holds when the batch's answer is lost or the worker dies
 * before or after Xero answered.
 */
describeEachDatabase('worker: payments of one organisation batched into one Xero call', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { env: { ...ONE_ADDRESS_MANY_CUSTOMERS } });
    // Warm: the account listing and the organisation's time zone are behind us.
    await paidThroughGateway(h);
    await h.worker.drain();
  });
  afterEach(() => h.close());

  const apiCalls = (from: number) =>
    h.sims.xero.test
      .requests()
      .slice(from)
      .filter((r) => r.path.startsWith('/api.xro/'))
      .map((r) => `${r.method} ${r.path.replace(/\/[0-9a-f-]{36}$/, '/{id}')}`);
  const queries = (from: number, path: string) =>
    h.sims.xero.test
      .requests()
      .slice(from)
      .filter((r) => r.path === path)
      .map((r) => new URLSearchParams(r.query ?? ''));
  const mark = () => h.sims.xero.test.countRequests();
  const payment = (xenditId: string) => h.stores.payments.byXenditInvoice(h.merchant.id, xenditId);
  const ours = (invoiceId: string) => h.sims.xero.paymentsOf(invoiceId).filter((p) => p.status !== 'DELETED');
  const feesOf = (xenditId: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit fee ${xenditId}`);

  async function paidMany(n: number, opts: Parameters<typeof paidThroughGateway>[1] = {}) {
    const paid = [];
    for (let i = 0; i < n; i++) paid.push(await paidThroughGateway(h, opts));
    return paid;
  }

  /** A worker whose record-payment dies (throws) at `point` in every job of the group. */
  function dyingWorker(point: CrashPoint) {
    const base = h.deps.xero.forPurpose('payment-write');
    const logger = pino({ level: 'silent' });
    return createJobRunner({
      jobs: h.stores.jobs,
      clock: h.clock,
      logger,
      handlers: {
        'record-payment': (job, scope) => {
          // As the registry runs it in a group: batched Xero calls, gathered statements.
          const deps = { stores: h.stores, xero: base, xendit: h.sims.xenditClient };
          return recordPaymentJob({
            ...(scope ? inGroup(deps, scope) : deps),
            clock: h.clock,
            logger,
            crash: (p) => {
              if (p === point) throw new Error(`killed at ${p}`);
            },
          })(job);
        },
      },
      batch: { size: 50, kinds: ['record-payment'], open: () => createXeroBatch(base) },
    });
  }

  it('records five payments in one PUT /Payments and their fees in one PUT /BankTransactions', async () => {
    const paid = await paidMany(5);
    const from = mark();
    await h.worker.drain();
    assert.deepEqual(apiCalls(from), [`PUT ${PAYMENTS}`, `PUT ${BANK_TXNS}`]);
    assert.equal(queries(from, PAYMENTS)[0].get('summarizeErrors'), 'false', 'each item judged on its own');
    for (const { inv, x } of paid) {
      const p = await payment(x.id);
      assert.equal(p?.syncState, 'recorded');
      assert.equal(p?.feeState, 'posted');
      const [inXero, ...more] = ours(inv.invoiceId);
      assert.equal(more.length, 0);
      assert.equal(p?.xeroPaymentId, inXero.paymentId, 'each job got its own item back');
      assert.equal(inXero.reference, `Xendit ${x.id}`);
      assert.equal(p?.xeroFeeTxnId, feesOf(x.id)[0]?.bankTransactionId);
      assert.equal(p?.xeroAttemptAt, null);
    }
  });

  it('a batch with one refused item records the others; the refused one goes to needs_review with the reason', async () => {
    const [a, b, c] = await paidMany(3);
    await h.sims.xero.test.invoices.void(b.inv.invoiceId);
    const from = mark();
    await h.worker.drain();
    assert.deepEqual(apiCalls(from), [
      `PUT ${PAYMENTS}`, // three items: two saved, one refused (the invoice is voided)
      `GET ${PAYMENTS}`, // the refused one: not our own payment after all
      'GET /api.xro/2.0/Invoices/{id}', // it is VOIDED
      `PUT ${BANK_TXNS}`, // the two fees
    ]);
    for (const ok of [a, c]) {
      assert.equal((await payment(ok.x.id))?.syncState, 'recorded');
      assert.equal(ours(ok.inv.invoiceId).length, 1);
      assert.equal(feesOf(ok.x.id).length, 1);
    }
    const refused = await payment(b.x.id);
    assert.equal(refused?.syncState, 'needs_review');
    assert.match(refused?.lastError ?? '', /is VOIDED/);
    assert.equal(ours(b.inv.invoiceId).length, 0);
    const jobs = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment').map((j) => j.state);
    assert.deepEqual(jobs.sort(), ['done', 'done', 'done', 'needs_review']);
  });

  it('a batch whose answer is lost is looked up with one OR query, and nothing is created twice', async () => {
    const paid = await paidMany(3);
    h.sims.xero.faults.dropResponseAfterSave(1, { path: PAYMENTS });
    await h.worker.drain();
    for (const { inv, x } of paid) {
      assert.equal(ours(inv.invoiceId).length, 1, 'Xero saved the batch');
      const p = await payment(x.id);
      assert.equal(p?.syncState, 'pending', 'the answer never came');
      assert.ok(p?.xeroAttemptAt, 'each item marked as sent before the call');
    }

    h.clock.advance(60_000);
    const from = mark();
    await h.worker.drain();
    assert.deepEqual(apiCalls(from), [`GET ${PAYMENTS}`, `PUT ${BANK_TXNS}`], 'one lookup for all three, then their fees');
    const where = queries(from, PAYMENTS)[0].get('where') ?? '';
    for (const { x } of paid) assert.ok(where.includes(`Reference=="Xendit ${x.id}"`), where);
    assert.match(where, / OR /);
    for (const { inv, x } of paid) {
      assert.equal(ours(inv.invoiceId).length, 1, 'not created again');
      const p = await payment(x.id);
      assert.equal(p?.syncState, 'recorded');
      assert.equal(p?.xeroPaymentId, ours(inv.invoiceId)[0].paymentId);
      assert.equal(p?.xeroAttemptAt, null);
    }
  });

  it('a worker that dies after Xero answered the batch, before storing it: the next run finds every payment and creates none', async () => {
    const paid = await paidMany(4);
    await dyingWorker('after-xero-accepted').drain();
    for (const { inv, x } of paid) {
      assert.equal(ours(inv.invoiceId).length, 1);
      assert.equal((await payment(x.id))?.syncState, 'pending');
    }
    h.clock.advance(60_000);
    const from = mark();
    await h.worker.drain();
    assert.deepEqual(apiCalls(from), [`GET ${PAYMENTS}`, `PUT ${BANK_TXNS}`]);
    for (const { inv, x } of paid) {
      assert.equal(ours(inv.invoiceId).length, 1);
      assert.equal((await payment(x.id))?.syncState, 'recorded');
      assert.equal(feesOf(x.id).length, 1);
    }
  });

  it('a worker that dies before the batch is sent: the next run sends it once, with no lookup', async () => {
    const paid = await paidMany(3);
    await dyingWorker('after-xendit-refetch').drain();
    for (const { inv } of paid) assert.equal(ours(inv.invoiceId).length, 0);
    h.clock.advance(60_000);
    const from = mark();
    await h.worker.drain();
    assert.deepEqual(apiCalls(from), [`PUT ${PAYMENTS}`, `PUT ${BANK_TXNS}`]);
    for (const { inv, x } of paid) {
      assert.equal(ours(inv.invoiceId).length, 1);
      assert.equal((await payment(x.id))?.syncState, 'recorded');
    }
  });

  it('a batch Xero answers 503 is retried; the retry looks the items up first and sends each once', async () => {
    const paid = await paidMany(3);
    h.sims.xero.faults.failNext(1, 503, { path: PAYMENTS });
    await h.worker.drain();
    for (const { inv } of paid) assert.equal(ours(inv.invoiceId).length, 0);
    // A 5xx may come while Xero is still making them: within two minutes a lookup that finds nothing sends nothing.
    h.clock.advance(60_000);
    const waited = mark();
    await h.worker.drain();
    assert.deepEqual(apiCalls(waited), [`GET ${PAYMENTS}`]);
    h.clock.advance(UNSETTLED_MS);
    const from = mark();
    await h.worker.drain();
    // Unknown outcome still, so one OR lookup before the batch goes again.
    assert.deepEqual(apiCalls(from), [`GET ${PAYMENTS}`, `PUT ${PAYMENTS}`, `PUT ${BANK_TXNS}`]);
    for (const { inv, x } of paid) {
      assert.equal(ours(inv.invoiceId).length, 1);
      assert.equal((await payment(x.id))?.syncState, 'recorded');
    }
  });

  it("a backlog's paid invoices and fees are read from Xendit in one listing each, not one read per payment, with the same figures", async () => {
    // Xendit's paid_at is on the wall clock; the jobs are queued on the harness's: the two agree, as in production.
    h.clock.advance(Date.now() - h.clock().getTime());
    const paid = await paidMany(8);
    h.clock.advance(Date.now() - h.clock().getTime() + 1_000); // the worker runs after the payments
    h.sims.xendit.test.clearRequests();
    await h.worker.drain();
    const xendit = (path: string) => h.sims.xendit.test.requests({ method: 'GET', pathPrefix: path }).map((r) => r.path);
    assert.deepEqual(xendit('/v2/invoices'), ['/v2/invoices'], 'one listing of paid invoices, no invoice read alone');
    assert.equal(xendit('/transactions').length, 1, 'one listing of payment transactions, no lookup per fee');
    for (const { x } of paid) {
      const p = await payment(x.id);
      assert.equal(p?.syncState, 'recorded');
      assert.equal(p?.feeState, 'posted');
      const single = await h.sims.xenditClient.getFeeTax(h.merchant.xenditSecretKey, {
        id: x.id,
        externalId: x.external_id,
        paidAmount: p!.amount,
        currency: p!.currency,
      });
      const netAmount = p!.amount - (p!.fee ?? 0) - (p!.feeTax ?? 0);
      assert.deepEqual({ kind: 'found', fee: p?.fee, tax: p?.feeTax, netAmount }, single, 'the fee and VAT a lookup of its own would give');
      assert.equal(feesOf(x.id).length, 1);
    }
  });
});
