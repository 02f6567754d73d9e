import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { runHeld } from '../helpers/held-run.js';

/**
 * A withdrawal's fee or its reversal is noted (the listing: store/settlements.ts noteFee,
 * noteReversed) while its record-withdrawal job is running, after that run read the row: the run
 * books what it read and ends, and the job runs again for what was noted (jobs.run_again), once.
 * The run is held open by a promise the test releases, never by timing (helpers/held-run.ts).
 */
describeEachDatabase('a withdrawal noted while its job runs: the job runs again', ({ db }) => {
  let h: Harness;
  const FEE = { xenditFee: 5_000, vat: 550 };
  const logger = pino({ level: 'silent' });
  beforeEach(async () => {
    h = await createHarness(db());
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    await h.stores.settlements.saveAndResume(h.merchant.id, { IDR: savings }, () => 'unused', h.clock());
  });
  afterEach(() => h.close());

  const list = () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger })();
  const transfers = () => h.sims.xero.test.bankTransfers(h.tenantId);
  const feeEntries = (id: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit withdrawal fee ${id}`);
  const withdrawalJob = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');

  /** Paid and settled, `withdraw` made at Xendit, and listed: its job queued, not run. */
  async function listed(withdraw: () => { id: string }) {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id);
    const w = withdraw();
    await list();
    return w;
  }

  it("Xendit's fee noted while the job that booked the transfer is still running: the job runs again and books the fee once", async () => {
    const w = await listed(() => h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: true } }));
    await runHeld(h, 'record-withdrawal', async () => {
      assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 0], 'the run read the row before the fee');
      h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
      await list();
      assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.fee, 5_550, 'the fee noted');
    });
    const [job] = await withdrawalJob();
    assert.equal(job.state, 'queued', 'the job is queued again, not done');
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 1], 'the fee booked once, the transfer not again');
    assert.equal((await withdrawalJob())[0].state, 'done');
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 1]);
  });

  it('the withdrawal reversed while the job that booked the transfer is still running: the job runs again and books the transfer back once', async () => {
    const w = await listed(() => h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000));
    await runHeld(h, 'record-withdrawal', async () => {
      assert.deepEqual(
        transfers().map((t) => t.reference),
        [`Xendit withdrawal ${w.id}`],
      );
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id);
      await list();
      assert.ok((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.reversedAt, 'the reversal noted');
    });
    const [job] = await withdrawalJob();
    assert.equal(job.state, 'queued', 'the job is queued again, not done');
    await h.worker.drain();
    assert.deepEqual(
      transfers().map((t) => t.reference),
      [`Xendit withdrawal ${w.id}`, `Xendit withdrawal reversed ${w.id}`],
      'booked back once',
    );
    assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'reversed');
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 2);
  });
  it('the fee given back while the job that booked the transfer back is still running: the job runs again and books the fee return once', async () => {
    const feeBacks = (id: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit withdrawal fee returned ${id}`);
    const w = await listed(() => h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE }));
    await h.worker.drain();
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await list();
    await runHeld(h, 'record-withdrawal', async () => {
      assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 1, 0], 'the run booked the transfer back, the fee kept');
      h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
      await list();
      assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.feeReturned, true, 'the return noted');
    });
    assert.equal((await withdrawalJob())[0].state, 'queued', 'the job is queued again, not done');
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 1, 1], 'the fee return booked once');
    await list();
    await h.worker.drain();
    assert.equal(feeBacks(w.id).length, 1);
  });
});
