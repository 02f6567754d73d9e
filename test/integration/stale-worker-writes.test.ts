import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';

/** Past the worker's lease (JOB_LEASE_SECONDS, 300 by default): another worker may take its job over. */
const PAST_LEASE_MS = 10 * 60_000;

/**
 * A worker stalled past its lease, whose job another worker took over and finished, then goes on
 * where it stopped. Its job's verdict is fenced on its claim (store/jobs.ts); so are the writes its
 * handler makes that could undo the newer run's work: a payment's recording (markInXero) and the
 * mark committed before a create, without which it sends nothing (send-once.ts). Each stall is a
 * hook that runs the take-over before letting the stalled write go on.
 */
describeEachDatabase('a stalled worker going on after its job was taken over', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const payment = (xenditId: string) => h.stores.payments.byXenditInvoice(h.merchant.id, xenditId);
  const overpayments = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.type === 'RECEIVE-OVERPAYMENT' && t.status === 'AUTHORISED');

  it("records its payment after the run that took over booked the overpayment too: the newer recording (the overpayment's ids) stands", async () => {
    // 50 000 paid in cash in Xero after the checkout: 100 000 of the 150 000 paid at Xendit fits.
    const { x } = await paidThroughGateway(h, {
      afterCheckout: (inv) =>
        h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '50000', h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId, 'Cash'),
    });
    const payments = h.stores.payments;
    const markInXero = payments.markInXero;
    let tookOver = false;
    payments.markInXero = async (...args) => {
      if (!tookOver) {
        tookOver = true;
        assert.match(args[1].reviewReason ?? '', /over-payment/, 'the stalled run recorded what fits; overpayments were off');
        // Meanwhile the merchant opts in, and another worker takes the job over and books the rest as an overpayment.
        await h.stores.merchants.setAccountingOptions(h.merchant.id, { overpayments: true }, h.clock());
        h.clock.advance(PAST_LEASE_MS);
        await h.worker.drain();
        assert.equal((await payment(x.id))?.syncState, 'recorded');
      }
      return markInXero(...args);
    };
    await h.worker.drain();
    assert.equal(tookOver, true);
    const [o, ...more] = overpayments();
    assert.equal(more.length, 0);
    const p = await payment(x.id);
    assert.deepEqual(
      [p?.syncState, p?.overpaid, p?.xeroOverpaymentId, p?.xeroOverpaymentTxnId, p?.lastError],
      ['recorded', 50000, o.overpaymentId, o.bankTransactionId, null],
      'the stalled run put back its own outcome (in review, no overpayment)',
    );
    const job = (await h.stores.jobs.list()).find((j) => j.kind === 'record-payment');
    assert.equal(job?.state, 'done', 'nor its verdict');
  });

  it('in a group: its recording (one statement for the group) lands nowhere once the runs that took its jobs over recorded them', async () => {
    await paidThroughGateway(h);
    await paidThroughGateway(h);
    const payments = h.stores.payments;
    const markAllInXero = payments.markAllInXero;
    let stalledAt: Date | undefined;
    payments.markAllInXero = async (rows) => {
      if (!stalledAt) {
        stalledAt = rows[0].now;
        assert.equal(rows.length, 2, 'the two jobs ran as a group');
        h.clock.advance(PAST_LEASE_MS);
        await h.worker.drain();
      }
      return markAllInXero(rows);
    };
    await h.worker.drain();
    assert.ok(stalledAt);
    const rows = await h.stores.db.selectFrom('payments').select(['sync_state', 'updated_at']).execute();
    assert.deepEqual(
      rows.map((r) => [r.sync_state, r.updated_at > stalledAt!]),
      [
        ['recorded', true],
        ['recorded', true],
      ],
      "the stalled group's statement wrote over the recordings made after it",
    );
    const jobs = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-payment');
    assert.deepEqual(
      jobs.map((j) => j.state),
      ['done', 'done'],
    );
  });

  it('resumes just before it sends a withdrawal the run that took over booked: its mark does not land, so no second transfer once Xero forgot the key', async () => {
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    await h.stores.settlements.saveAndResume(h.merchant.id, { IDR: savings }, (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w), h.clock());
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id);
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 50_000);
    await listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();

    const settlements = h.stores.settlements;
    const noteAttempt = settlements.noteAttempt;
    let tookOver = false;
    settlements.noteAttempt = async (...args) => {
      if (!tookOver && args[2] !== null) {
        tookOver = true;
        h.clock.advance(PAST_LEASE_MS);
        await h.worker.drain();
        assert.equal(h.sims.xero.test.bankTransfers(h.tenantId).length, 1, 'booked by the run that took over');
        // Minutes on: Xero no longer replays the Idempotency-Key's answer.
        h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      }
      return noteAttempt(...args);
    };
    await h.worker.drain();
    assert.equal(tookOver, true);
    const [t, ...more] = h.sims.xero.test.bankTransfers(h.tenantId);
    assert.equal(more.length, 0, 'the stalled run sent a second transfer');
    const r = await h.stores.settlements.byXenditId(h.merchant.id, w.id);
    assert.deepEqual([r?.state, r?.xeroBankTransferId, r?.transferAttemptAt], ['recorded', t.bankTransferId, null]);
  });
});
