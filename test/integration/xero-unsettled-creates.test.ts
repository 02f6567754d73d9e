import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { UNSETTLED_MS } from '../../app/jobs/sync/send-once.js';

const BANK_TXNS = '/api.xro/2.0/BankTransactions';

/**
 * A create our side gave up on (a timeout, a cut connection) may still be running at Xero, and
 * what it makes cannot be read before it is done: the simulated Xero's applyLate makes it later on
 * its clock (the test's). A retry within UNSETTLED_MS of the attempt that finds nothing sends
 * nothing; a 409 leaves the attempt marked, so the Retry that follows looks first.
 */
describeEachDatabase('worker: a create Xero may still be making when the job comes back', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    h.sims.xero.test.useClock(h.clock);
  });
  afterEach(async () => {
    h.sims.xero.test.useClock();
    await h.close();
  });

  const feesOf = (xenditId: string) =>
    h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit fee ${xenditId}` && t.status === 'AUTHORISED');
  const payment = (xenditId: string) => h.stores.payments.byXenditInvoice(h.merchant.id, xenditId);
  const creates = () => h.sims.xero.test.requests().filter((r) => r.path === BANK_TXNS && (r.method === 'PUT' || r.method === 'POST')).length;
  const feeJob = async (paymentId: string) => (await h.stores.jobs.list()).find((j) => j.kind === 'post-fee' && j.payload.paymentId === paymentId)!;
  /** Anyone reading Xero: the first request after a held write's time makes it. */
  const look = () => h.deps.xero.findBankTransactionsByReference(h.merchant.xero, 'anything');

  it('a fee whose create timed out: the retry 5 s later finds nothing and sends nothing; after the window it finds the one Xero made', async () => {
    const { x } = await paidThroughGateway(h);
    const late = h.sims.xero.faults.applyLate(1, { path: BANK_TXNS, afterMs: 60_000 });
    await h.worker.drain();
    assert.equal(late.held, 1, 'Xero is still making it');
    assert.equal(feesOf(x.id).length, 0, 'nothing to read yet');
    const sent = await payment(x.id);
    assert.ok(sent?.feeAttemptAt, 'no answer: the mark stays');
    assert.equal(sent.feeState, 'pending');

    h.clock.advance(5_000); // the runner's first back-off
    const before = creates();
    await h.worker.drain();
    assert.equal(creates() - before, 0, 'not sent again while Xero may still be making it');
    const waiting = await feeJob(sent.id);
    assert.equal(waiting.state, 'queued');
    assert.equal(waiting.runAt.getTime(), sent.feeAttemptAt.getTime() + UNSETTLED_MS, 'back when the window has passed');
    assert.match(waiting.lastError ?? '', /may still be making it/);

    h.clock.advance(UNSETTLED_MS);
    await h.worker.drain();
    await look();
    const [made, ...more] = feesOf(x.id);
    assert.equal(more.length, 0, 'one fee in Xero');
    assert.equal(late.held, 0);
    const posted = await payment(x.id);
    assert.equal(posted?.feeState, 'posted');
    assert.equal(posted?.xeroFeeTxnId, made.bankTransactionId, 'the one Xero made late');
    assert.equal(creates() - before, 0, 'found, not sent again');
  });

  it('fees sent as one batch that timed out, regrouped after the outage with a new fee: only the new one is sent; the two are found once Xero shows them', async () => {
    // Warm: the account listing and the organisation's time zone are behind us.
    await paidThroughGateway(h);
    await h.worker.drain();
    const a = await paidThroughGateway(h);
    const b = await paidThroughGateway(h);
    const late = h.sims.xero.faults.applyLate(1, { path: BANK_TXNS, afterMs: 60_000 });
    const before = creates();
    await h.worker.drain();
    assert.equal(creates() - before, 1, 'both fees in one batch');
    assert.equal(late.held, 1);

    // A payment made meanwhile: its fee joins the two when they come back, in a batch of another key.
    const c = await paidThroughGateway(h);
    h.clock.advance(5_000);
    await h.worker.drain();
    assert.equal(feesOf(c.x.id).length, 1, 'the new fee is sent');
    for (const { x } of [a, b]) assert.equal(feesOf(x.id).length, 0, 'the two are not sent again while Xero may still be making them');
    assert.equal(creates() - before, 2, 'the new fee alone');

    h.clock.advance(UNSETTLED_MS);
    await h.worker.drain();
    await look();
    for (const { x } of [a, b, c]) {
      const [made, ...more] = feesOf(x.id);
      assert.equal(more.length, 0, `one fee for ${x.id}`);
      const p = await payment(x.id);
      assert.equal(p?.feeState, 'posted');
      assert.equal(p?.xeroFeeTxnId, made.bankTransactionId);
    }
    assert.equal(creates() - before, 2, 'nothing sent after the window: both found');
  });

  it('a create Xero answers 409 keeps its mark: the Retry a minute later sends nothing while Xero may still be making the first, then takes it', async () => {
    const { x } = await paidThroughGateway(h);
    // The first create runs at Xero for four minutes; sent again after the window, Xero answers 409.
    const late = h.sims.xero.faults.applyLate(1, { path: BANK_TXNS, afterMs: 4 * 60_000 });
    await h.worker.drain();
    h.sims.xero.faults.failNext(1, 409, { method: 'PUT', path: BANK_TXNS });
    h.clock.advance(UNSETTLED_MS);
    const first = creates();
    await h.worker.drain();
    assert.equal(creates() - first, 1, 'sent again once the window passed, and answered 409');
    const refused = await payment(x.id);
    assert.equal(refused?.feeState, 'needs_review');
    assert.match(refused.feeError ?? '', /409/);
    assert.ok(refused.feeAttemptAt, 'a 409 does not say nothing was made: the mark stays');
    const job = await feeJob(refused.id);
    assert.equal(job.state, 'needs_review');

    h.clock.advance(60_000);
    assert.equal(await h.stores.jobs.replay(job.id, h.clock(), ['needs_review']), true, 'Retry');
    const before = creates();
    await h.worker.drain();
    assert.equal(creates() - before, 0, 'not sent while the 409 may mean Xero is still making it');
    assert.equal(feesOf(x.id).length, 0);
    assert.equal(late.held, 1);

    h.clock.advance(UNSETTLED_MS);
    await h.worker.drain();
    await look();
    const [made, ...more] = feesOf(x.id);
    assert.equal(more.length, 0, 'one fee in Xero');
    const posted = await payment(x.id);
    assert.equal(posted?.feeState, 'posted');
    assert.equal(posted?.xeroFeeTxnId, made.bankTransactionId);
    assert.equal(creates() - before, 0);
  });
});
