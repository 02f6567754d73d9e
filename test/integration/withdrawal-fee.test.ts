import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { FEE, withdrawalFeeSetup } from '../helpers/withdrawal-fees.js';
import type { Harness } from '../helpers/harness.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { recordWithdrawalJob } from '../../app/jobs/sync/record-withdrawal.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { UNSETTLED_MS } from '../../app/jobs/sync/send-once.js';

/**
 * Xendit's payout fee (IDR 5,000 + VAT, docs.xendit.co/transaction-fees) on a withdrawal: shown as
 * the transaction's fee object, taken from the balance once the payout completes. The clearing
 * account follows Xendit's balance only when the fee is booked out of it too, once.
 */
describeEachDatabase('withdrawal fees: Xendit balance and the clearing account agree', ({ db }) => {
  const t = withdrawalFeeSetup(db);
  let h: Harness;
  let savings: string;
  beforeEach(async () => {
    await t.start();
    ({ h, savings } = t);
  });
  afterEach(() => t.close());
  const { list, transfers, feeEntries, report, xenditBalance, clearingBalance, funded } = t;
  async function booked(opts: Parameters<typeof h.sims.xendit.test.withdraw>[3]) {
    await funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, opts);
    await list();
    await h.worker.drain();
    return w;
  }

  for (const inAmount of [false, true]) {
    it(`a fee ${inAmount ? 'inside the amount' : 'on top'}: the transfer is what reached the bank, the fee one Spend Money to the fee account, the balances agree and the report is reconciled`, async () => {
      const w = await booked({ fee: { ...FEE, inAmount } });
      const [t, ...more] = transfers();
      assert.equal(more.length, 0);
      assert.equal(t.amount, inAmount ? 9_445_000n : 10_000_000n, 'what reached the bank');
      const [fee, ...again] = feeEntries(w.id);
      assert.equal(again.length, 0, 'one fee entry');
      assert.deepEqual(
        [fee.type, fee.accountId, fee.lineItems.map((l) => [l.accountCode, l.lineAmount])],
        [
          'SPEND',
          h.clearingAccountId,
          [
            [h.merchant.feeAccountCode, 500_000n],
            [h.merchant.feeAccountCode, 55_000n],
          ],
        ],
        "the VAT on Xendit's fee a line of its own, as a payment fee's",
      );
      assert.deepEqual(
        fee.lineItems.map((l) => l.description),
        [`Xendit fee, withdrawal ${w.id}`, `VAT on Xendit fee, withdrawal ${w.id}`],
      );
      assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");

      const r = await report();
      const line = r.rows.find((x) => x.note.includes(w.id));
      assert.deepEqual(
        [line?.status, line?.xenditAmount, line?.xeroPayment],
        ['transferred', inAmount ? '-100000.00' : '-105550.00', inAmount ? '-100000.00' : '-105550.00'],
      );
      assert.equal(r.totals.IDR.difference, '0.00');
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));

      // Listed again, its job replayed: nothing more.
      await list();
      const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
      assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
      await h.worker.drain();
      assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 1]);
    });
  }

  it('no fee: no fee entry, the balances agree', async () => {
    const w = await booked({});
    assert.deepEqual([transfers().length, transfers()[0].amount, feeEntries(w.id).length], [1, 10_000_000n, 0]);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it("fees billed monthly: the fee is on Xendit's bill, not taken from the balance; no fee entry, the transfer the whole amount", async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, new Date(h.clock().getTime() - 86_400_000));
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { feeBilling: 'invoiced' });
    const w = await booked({ fee: FEE });
    assert.deepEqual([transfers().length, transfers()[0].amount, feeEntries(w.id).length], [1, 10_000_000n, 0]);
    assert.equal(clearingBalance(), xenditBalance());
    const r = await report();
    assert.equal(r.rows.find((x) => x.note.includes(w.id))?.status, 'transferred');
  });

  it('a fee PENDING while the withdrawal is: booked when the listing sees it completed', async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { pending: true, fee: FEE });
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [0, 0]);
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 1]);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('a fee still PENDING when the withdrawal was booked, COMPLETED later: the finished job runs again and books it once', async () => {
    const w = await booked({ fee: { ...FEE, pending: true } });
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 0]);
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    assert.equal(job.state, 'done');
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    await list();
    await h.worker.drain();
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 1]);
    assert.equal(clearingBalance(), xenditBalance());
  });
  // The bank sends the payout back. Whether Xendit gives its fee back is not documented: the REVERSED
  // transaction's fee status says (xendit-node FeeResponse.status), and the clearing account follows.
  const feeBacks = (id: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit withdrawal fee returned ${id}`);
  const row = (id: string) => h.stores.settlements.byXenditId(h.merchant.id, id);
  async function reversedAfterBooking(inAmount: boolean, fee: 'REVERSED' | 'COMPLETED') {
    await funded();
    const before = { clearing: clearingBalance(), xendit: xenditBalance() };
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, inAmount } });
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 1], 'the transfer out and its fee booked');
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee });
    return { w, before };
  }

  for (const inAmount of [false, true]) {
    it(`reversed with its fee ${inAmount ? 'inside the amount' : 'on top'} given back: the transfer back moves what the transfer out did, one Receive Money brings the fee back, the clearing account is where it was and the report is reconciled`, async () => {
      const { w, before } = await reversedAfterBooking(inAmount, 'REVERSED');
      assert.equal(xenditBalance(), before.xendit, "Xendit's balance is back where it was");
      await list();
      await h.worker.drain();
      const [out, back, ...more] = transfers();
      assert.equal(more.length, 0);
      assert.equal(back.amount, out.amount, 'the transfer back moves what the transfer out moved');
      const [ret, ...again] = feeBacks(w.id);
      assert.equal(again.length, 0, 'one fee return');
      assert.deepEqual(
        [ret?.type, ret?.accountId, ret?.reconciled, ret?.lineItems.map((l) => [l.accountCode, l.lineAmount])],
        ['RECEIVE', h.clearingAccountId, true, [[h.merchant.feeAccountCode, 555_000n]]],
        'into the clearing account from the fee account, reconciled as the fee was',
      );
      assert.equal(clearingBalance(), before.clearing, 'the clearing account is back where it was before the withdrawal');
      assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
      assert.equal((await row(w.id))?.xeroFeeReturnEntryId, ret?.bankTransactionId);

      const r = await report();
      const line = r.rows.find((x) => x.note.includes(w.id));
      assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['transferred', '0.00', '0.00'], JSON.stringify(line));
      assert.equal(r.totals.IDR.difference, '0.00');
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));

      // Listed again, its job replayed: nothing more.
      await list();
      const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
      assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
      await h.worker.drain();
      assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 1, 1]);
    });

    it(`reversed with its fee ${inAmount ? 'inside the amount' : 'on top'} kept by Xendit: no fee return, the clearing account and Xendit's balance both short by the fee, the report reconciled`, async () => {
      const { w, before } = await reversedAfterBooking(inAmount, 'COMPLETED');
      assert.equal(xenditBalance(), before.xendit - 555_000n, "Xendit's balance is short by the fee it kept");
      await list();
      await h.worker.drain();
      const [out, back, ...more] = transfers();
      assert.equal(more.length, 0);
      assert.equal(back.amount, out.amount, 'the transfer back moves what the transfer out moved');
      assert.equal(feeBacks(w.id).length, 0, 'no fee return');
      assert.equal(clearingBalance(), before.clearing - 555_000n, 'the clearing account short by exactly the fee');
      assert.equal(clearingBalance(), xenditBalance());

      const r = await report();
      const line = r.rows.find((x) => x.note.includes(w.id));
      assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['transferred', '-5550.00', '-5550.00'], JSON.stringify(line));
      assert.equal(r.totals.IDR.difference, '0.00');
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));
    });
  }

  it('the fee kept when the listing saw the withdrawal REVERSED, given back later: the next scheduled listing books its return once', async () => {
    const { w, before } = await reversedAfterBooking(false, 'COMPLETED');
    await list();
    await h.worker.drain();
    assert.equal((await row(w.id))?.state, 'reversed');
    assert.deepEqual([transfers().length, feeBacks(w.id).length], [2, 0]);

    h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
    await list();
    await h.worker.drain();
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 1, 1]);
    assert.equal((await row(w.id))?.feeReturned, true);
    assert.equal(clearingBalance(), before.clearing);
    assert.equal(clearingBalance(), xenditBalance());
    assert.equal((await report()).reconciled, true);
  });

  it('reversed with a fee Xendit kept that no listing saw COMPLETED before: its Spend Money is booked once, the balances agree, the report is reconciled', async () => {
    await funded();
    const before = { clearing: clearingBalance(), xendit: xenditBalance() };
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: true } });
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 0]);
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    assert.equal(xenditBalance(), before.xendit - 555_000n, "Xendit's balance short by the fee it kept");
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 1, 0]);
    assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
    const r = await report();
    const line = r.rows.find((x) => x.note.includes(w.id));
    assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['transferred', '-5550.00', '-5550.00'], JSON.stringify(line));
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 1, 0]);
  });

  it('sent back before anything was booked, its fee kept by Xendit: only the fee is booked (Spend Money out of the clearing account), once; no transfer out or back', async () => {
    await funded();
    const before = xenditBalance();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    assert.equal(xenditBalance(), before - 555_000n, "Xendit's balance short by the fee it kept");
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [0, 1], 'the fee alone');
    assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
    assert.equal((await row(w.id))?.state, 'reversed');
    const r = await report();
    const line = r.rows.find((x) => x.note.includes(w.id));
    assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['transferred', '-5550.00', '-5550.00'], JSON.stringify(line));
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [0, 1], 'nothing more');
  });

  it("sent back before anything was booked, its fee kept by Xendit, the fee's Spend Money refused by Xero (review): the report flags the fee missing in Xero and is not reconciled", async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    h.sims.xero.faults.failNext(1, 400, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' });
    await list();
    await h.worker.drain();
    assert.equal((await row(w.id))?.state, 'needs_review');
    assert.equal(clearingBalance() - xenditBalance(), 555_000n, "the clearing account above Xendit's balance by the fee");
    const r = await report();
    const line = r.rows.find((x) => x.note.includes(w.id));
    assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['missing_in_xero', '-5550.00', null], JSON.stringify(line));
    assert.equal(r.totals.IDR.difference, '-5550.00');
    assert.equal(r.reconciled, false);
  });

  it('after the upgrade: one the previous release reversed with nothing booked, its fee kept by Xendit, has the fee booked by the next listing, queued once', async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await list();
    // What the previous release's job left ("sent back before anything went to Xero: nothing to book"):
    // the row reversed with its fee known, nothing in Xero, the job done.
    const made = (await row(w.id))!;
    await h.stores.settlements.reversed(made.id, null, h.clock());
    await h.stores.db.updateTable('jobs').set({ state: 'done' }).where('kind', '=', 'record-withdrawal').execute();
    const old = (await row(w.id))!;
    assert.deepEqual([old.fee, old.state, old.xeroFeeEntryId, feeEntries(w.id).length], [5_550, 'reversed', null, 0]);
    const job = async () => (await h.stores.jobs.list()).find((j) => j.kind === 'record-withdrawal')!;

    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [0, 1], 'the fee Xendit kept booked, alone');
    assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
    assert.equal((await row(w.id))?.state, 'reversed');
    const ran = await job();
    assert.equal(ran.state, 'done');

    await list();
    await list();
    assert.deepEqual([(await job()).state, (await job()).payload], ['done', ran.payload], 'not queued again by later listings');
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [0, 1], 'nothing more');
  });

  it('after the upgrade: such a row whose requeued job books nothing (its run done without the fee) is not queued again by later listings', async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await list();
    const done = () => h.stores.db.updateTable('jobs').set({ state: 'done' }).where('kind', '=', 'record-withdrawal').execute();
    await h.stores.settlements.reversed((await row(w.id))!.id, null, h.clock());
    await done();
    const job = async () => (await h.stores.jobs.list()).find((j) => j.kind === 'record-withdrawal')!;
    await list();
    assert.equal((await job()).state, 'queued', 'queued again for the fee Xendit kept');
    await done();
    await list();
    await list();
    assert.equal((await job()).state, 'done', 'once ever, not by every listing run');
  });

  it("a fee's Spend Money refused by Xero, then Retry: booked once, and the row leaves review (recorded)", async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: true } });
    await list();
    await h.worker.drain();
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    h.sims.xero.faults.failNext(1, 400, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' });
    await list();
    await h.worker.drain();
    assert.equal((await row(w.id))?.state, 'needs_review');
    const [job] = (await h.stores.jobs.list()).filter((x) => x.kind === 'record-withdrawal');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    assert.equal(feeEntries(w.id).length, 1);
    assert.equal((await row(w.id))?.state, 'recorded', (await row(w.id))?.lastError ?? '');
  });

  it('a fee given back that was never booked (still PENDING when the bank sent the payout back): nothing booked for it', async () => {
    await funded();
    const before = clearingBalance();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: true } });
    await list();
    await h.worker.drain();
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id);
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 0, 0]);
    assert.equal(clearingBalance(), before);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('killed after Xero took the fee return, before it was stored: the rerun finds it by Reference and books no second one', async () => {
    const { w } = await reversedAfterBooking(true, 'REVERSED');
    await list();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal' && j.state === 'queued');
    const killed = new Error('killed at withdrawal-fee-return-accepted');
    const run = recordWithdrawalJob({
      stores: h.stores,
      xero: h.sims.xeroClient,
      clock: h.clock,
      logger: pino({ level: 'silent' }),
      crash: (point) => {
        if (point === 'withdrawal-fee-return-accepted') throw killed;
      },
    });
    await assert.rejects(run(job), killed);
    assert.equal(feeBacks(w.id).length, 1, 'in Xero');
    const r = await row(w.id);
    assert.deepEqual([r?.state, r?.xeroFeeReturnEntryId, !!r?.feeReturnAttemptAt], ['reversed', null, true], 'its mark set, its id not stored');

    // Later than Xero keeps an Idempotency-Key: only the mark and the look-up by Reference keep it once.
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    h.clock.advance(UNSETTLED_MS + 1_000);
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 1, 1]);
    assert.equal((await row(w.id))?.xeroFeeReturnEntryId, feeBacks(w.id)[0].bankTransactionId);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it("a fee inside the amount learnt while the transfer's outcome is unknown: the retry finds the whole-amount transfer and books no fee; the clearing account down by the amount exactly", async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, inAmount: true, pending: true } });
    const before = clearingBalance();
    // Xero makes the transfer (the whole amount: no fee known yet) and the answer never comes.
    h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/BankTransfers' });
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 1, 'Xero saved it');
    assert.ok((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.transferAttemptAt, 'outcome unknown');
    // The fee completes (out of the amount) before the retry.
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    await list();
    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await h.worker.drain();
    assert.deepEqual([transfers().length, transfers()[0].amount], [1, 10_000_000n], 'found, not made again');
    assert.equal(clearingBalance() - before, -10_000_000n, 'the clearing account down by what left the Xendit balance, the amount, once');
    assert.equal(feeEntries(w.id).length, 0, 'no fee booked on top of a transfer of the whole amount');
    assert.equal(clearingBalance(), xenditBalance());
    assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'recorded');

    // Sent back by the bank with its fee: the transfer back moves what the whole transfer out moved.
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'REVERSED' });
    await list();
    await h.worker.drain();
    assert.deepEqual(
      transfers().map((t) => t.amount),
      [10_000_000n, 10_000_000n],
      'the transfer back moves the whole amount the transfer out moved',
    );
    assert.equal(clearingBalance(), before);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('the whole-amount transfer found by the run that also books the reversal: the transfer back moves the whole amount', async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, inAmount: true, pending: true } });
    const before = clearingBalance();
    h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/BankTransfers' });
    await list();
    await h.worker.drain();
    assert.equal(transfers().length, 1, 'Xero saved it; its answer was lost');
    // The fee completes inside the amount, then the bank sends the payout back with it, all before the retry.
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    await list();
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'REVERSED' });
    await list();
    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await h.worker.drain();
    assert.deepEqual(
      transfers().map((t) => t.amount),
      [10_000_000n, 10_000_000n],
      'the transfer back moves what the transfer out found by this run moved',
    );
    assert.equal(clearingBalance(), before);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('its fee taken from the balance when it was made, fees billed monthly since: the report still counts the fee booked', async () => {
    await funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 1]);
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, new Date(Date.now() + 60_000));
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    const r = await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from: day(-1), to: day(1) });
    const row = r.rows.find((x) => x.note.includes(w.id));
    assert.deepEqual([row?.status, row?.xenditAmount, row?.xeroPayment], ['transferred', '-105550.00', '-105550.00'], JSON.stringify(row));
  });

  it("billed monthly when the withdrawal was made, switched to deducted before its job ran: no fee Spend Money (it is on that month's bill)", async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, new Date(h.clock().getTime() - 86_400_000));
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { feeBilling: 'invoiced' });
    await funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    // Switched after the withdrawal was made (the simulated Xendit dates it by the wall clock), before its job ran.
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'deducted' }, new Date(Date.now() + 60_000));
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, transfers()[0].amount], [1, 10_000_000n]);
    assert.equal(feeEntries(w.id).length, 0, "the fee is on the month's bill, not taken from the balance");
    assert.equal(clearingBalance(), xenditBalance());
    // The report sizes it by the billing of its day too, not today's.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    const r = await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from: day(-1), to: day(1) });
    const row = r.rows.find((x) => x.note.includes(w.id));
    assert.deepEqual([row?.status, row?.xenditAmount], ['transferred', '-100000.00'], JSON.stringify(row));
  });

  describe('a clearing account that is not a bank account (Receive Money into the settlement bank)', () => {
    let clearing: string;
    beforeEach(async () => {
      // A current asset with payments enabled: Xero takes payments and journals on it, but no bank transfer.
      clearing = h.sims.xero.addAccount(h.tenantId, { code: '095', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true }).accountId;
      await h.stores.merchants.setAccounts(
        h.merchant.id,
        { clearingAccountId: clearing, clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null },
        h.clock(),
      );
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'manual_journal' }, h.clock());
      h.merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    });
    const receives = (id: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit withdrawal ${id}`);
    const journals = (id: string) => h.sims.xero.manualJournalsOf(h.tenantId).filter((j) => j.narration === `Xendit withdrawal fee ${id}`);
    const nonBankBalance = () => h.sims.xero.balanceOf(h.tenantId, clearing);
    const state = async (id: string) => (await h.stores.settlements.byXenditId(h.merchant.id, id))?.state;

    for (const inAmount of [false, true]) {
      it(`a fee ${inAmount ? 'inside the amount' : 'on top'}: one Receive Money of what reached the bank, the clearing account down by what left Xendit's balance, the fee and its VAT on lines of their own`, async () => {
        await funded();
        const before = nonBankBalance();
        const dropped = BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
        const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, inAmount } });
        await list();
        await h.worker.drain();
        assert.equal(await state(w.id), 'recorded', JSON.stringify((await h.stores.jobs.list()).map((j) => j.lastError)));
        const [t, ...more] = receives(w.id);
        assert.equal(more.length, 0);
        assert.deepEqual(
          [t.type, t.accountId, t.total, t.lineItems.map((l) => [l.accountCode, l.lineAmount])],
          [
            'RECEIVE',
            savings,
            inAmount ? 9_445_000n : 10_000_000n,
            [
              ['095', inAmount ? 10_000_000n : 10_555_000n],
              ['404', -500_000n],
              ['404', -55_000n],
            ],
          ],
        );
        const left = dropped - BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
        assert.equal(before - nonBankBalance(), left, "the clearing account down by what left Xendit's balance");
        assert.deepEqual([feeEntries(w.id).length, journals(w.id).length], [0, 0], 'the fee on the Receive Money, nowhere else');

        const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
        assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
        await h.worker.drain();
        assert.deepEqual([receives(w.id).length, feeEntries(w.id).length, journals(w.id).length], [1, 0, 0]);
      });
    }

    it('a fee on top learnt after the Receive Money was booked: a manual journal from the clearing account to the fee account, once; the row stays recorded', async () => {
      await funded();
      const before = nonBankBalance();
      const dropped = BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: true } });
      await list();
      await h.worker.drain();
      assert.deepEqual([receives(w.id).length, await state(w.id)], [1, 'recorded']);
      h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
      await list();
      await h.worker.drain();
      assert.equal(await state(w.id), 'recorded', (await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.lastError ?? '');
      const [j, ...again] = journals(w.id);
      assert.equal(again.length, 0);
      assert.deepEqual(
        j.lines.map((l) => [l.accountCode, l.lineAmount]),
        [
          ['404', 500_000n],
          ['404', 55_000n],
          ['095', -555_000n],
        ],
      );
      const left = dropped - BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
      assert.equal(before - nonBankBalance(), left, "the clearing account down by what left Xendit's balance");
      await list();
      await h.worker.drain();
      assert.deepEqual([receives(w.id).length, journals(w.id).length], [1, 1]);
    });

    // Sent back with its fee given back: no Receive Money can come into this clearing account, so
    // the fee comes back by a manual journal, credit the fee account(s) as booked, debit the clearing account.
    const feeBackJournals = (id: string) => h.sims.xero.manualJournalsOf(h.tenantId).filter((j) => j.narration === `Xendit withdrawal fee returned ${id}`);
    const lastError = async (id: string) => (await h.stores.settlements.byXenditId(h.merchant.id, id))?.lastError ?? '';
    const nonBankReport = async () => {
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
      return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from: day(-1), to: day(1) });
    };
    for (const learnt of ['on the Receive Money', 'by a manual journal'] as const) {
      it(`its fee booked ${learnt}, reversed with the fee given back: one manual journal books it back, the clearing account is where it was, the report is reconciled`, async () => {
        await funded();
        const before = nonBankBalance();
        const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: learnt === 'by a manual journal' } });
        await list();
        await h.worker.drain();
        if (learnt === 'by a manual journal') {
          h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
          await list();
          await h.worker.drain();
        }
        assert.deepEqual([receives(w.id).length, journals(w.id).length], [1, learnt === 'by a manual journal' ? 1 : 0]);
        h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'REVERSED' });
        await list();
        await h.worker.drain();
        assert.equal(await state(w.id), 'reversed', await lastError(w.id));
        const [j, ...again] = feeBackJournals(w.id);
        assert.equal(again.length, 0, 'one fee return');
        assert.deepEqual(
          j.lines.map((l) => [l.accountCode, l.lineAmount]),
          [
            ['095', 555_000n],
            ['404', -500_000n],
            ['404', -55_000n],
          ],
          'the clearing account debited, the fee and its VAT credited back',
        );
        assert.equal(nonBankBalance(), before, 'the clearing account is back where it was before the withdrawal');
        assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.xeroFeeReturnEntryId, j.manualJournalId);

        const r = await nonBankReport();
        const line = r.rows.find((x) => x.note.includes(w.id));
        assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['transferred', '0.00', '0.00'], JSON.stringify(r.rows));
        assert.equal(r.reconciled, true, JSON.stringify(r.rows));

        await list();
        const [job] = (await h.stores.jobs.list()).filter((x) => x.kind === 'record-withdrawal');
        assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
        await h.worker.drain();
        assert.deepEqual([receives(w.id).length, journals(w.id).length, feeBackJournals(w.id).length], [1, learnt === 'by a manual journal' ? 1 : 0, 1]);
      });
    }

    it("the fee's journal gone from Xero: review says what to book by hand, and Retry finds the one a person booked", async () => {
      await funded();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: true } });
      await list();
      await h.worker.drain();
      h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
      await list();
      await h.worker.drain();
      journals(w.id)[0].status = 'VOIDED';
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'REVERSED' });
      await list();
      await h.worker.drain();
      assert.equal(await state(w.id), 'needs_review');
      const reason = await lastError(w.id);
      assert.match(reason, /manual journal/, reason);
      assert.match(reason, new RegExp(`Xendit withdrawal fee returned ${w.id}`), reason);
      assert.doesNotMatch(reason, /spend money/, reason);

      const date = new Date().toISOString().slice(0, 10);
      const lines = [
        { description: 'by hand', accountCode: '095', amount: '5550.00' },
        { description: 'by hand', accountCode: '404', amount: '-5550.00' },
      ];
      await h.sims.xeroClient.createManualJournal(h.merchant.xero, { narration: `Xendit withdrawal fee returned ${w.id}`, date, lines }, 'by-hand');
      const [job] = (await h.stores.jobs.list()).filter((x) => x.kind === 'record-withdrawal');
      assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
      await h.worker.drain();
      assert.equal(await state(w.id), 'reversed', await lastError(w.id));
      assert.equal(feeBackJournals(w.id).length, 1, 'the one booked by hand, no other');
    });

    it('killed after Xero took the fee-return journal, before it was stored: the rerun finds it by Narration and books no second one', async () => {
      await funded();
      const before = nonBankBalance();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
      await list();
      await h.worker.drain();
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'REVERSED' });
      await list();
      const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal' && j.state === 'queued');
      const killed = new Error('killed at withdrawal-fee-return-accepted');
      const run = recordWithdrawalJob({
        stores: h.stores,
        xero: h.sims.xeroClient,
        clock: h.clock,
        logger: pino({ level: 'silent' }),
        crash: (point) => {
          if (point === 'withdrawal-fee-return-accepted') throw killed;
        },
      });
      await assert.rejects(run(job), killed);
      assert.equal(feeBackJournals(w.id).length, 1, 'in Xero');
      const r = await h.stores.settlements.byXenditId(h.merchant.id, w.id);
      assert.deepEqual([r?.state, r?.xeroFeeReturnEntryId, !!r?.feeReturnAttemptAt], ['reversed', null, true], 'its mark set, its id not stored');
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      h.clock.advance(UNSETTLED_MS + 1_000);
      await h.worker.drain();
      assert.equal(feeBackJournals(w.id).length, 1);
      assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.xeroFeeReturnEntryId, feeBackJournals(w.id)[0].manualJournalId);
      assert.equal(nonBankBalance(), before);
    });

    it('the Receive Money sent only after the withdrawal came back with its fee: no fee on it, nothing to give back', async () => {
      await funded();
      const before = nonBankBalance();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
      // Xero answers 503 without saving: the attempt's outcome is unknown until the retry looks.
      h.sims.xero.faults.failNext(1, 503, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' });
      await list();
      await h.worker.drain();
      assert.deepEqual([receives(w.id).length, !!(await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.transferAttemptAt], [0, true]);
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'REVERSED' });
      await list();
      h.clock.advance(UNSETTLED_MS + 1_000);
      await h.worker.drain();
      await list();
      await h.worker.drain();
      assert.equal(await state(w.id), 'reversed', await lastError(w.id));
      const [t] = receives(w.id);
      assert.deepEqual(
        t?.lineItems.map((l) => l.accountCode),
        ['095'],
        'no fee on the Receive Money of a withdrawal already sent back with its fee',
      );
      assert.deepEqual([journals(w.id).length, feeBackJournals(w.id).length], [0, 0]);
      assert.equal(nonBankBalance(), before);
    });

    it('sent back before anything was booked, its fee kept by Xendit: only the fee, as a manual journal, once', async () => {
      await funded();
      const before = nonBankBalance();
      const dropped = BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
      await list();
      await h.worker.drain();
      assert.equal(await state(w.id), 'reversed', await lastError(w.id));
      assert.deepEqual([receives(w.id).length, journals(w.id).length], [0, 1]);
      const left = dropped - BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
      assert.equal(before - nonBankBalance(), left, "the clearing account down by the fee Xendit kept, as Xendit's balance");
      const line = (await nonBankReport()).rows.find((x) => x.note.includes(w.id));
      assert.deepEqual([line?.status, line?.xenditAmount, line?.xeroPayment], ['transferred', '-5550.00', '-5550.00'], JSON.stringify(line));
      await list();
      await h.worker.drain();
      assert.deepEqual([receives(w.id).length, journals(w.id).length], [0, 1]);
    });

    it('reversed with a fee Xendit kept, never seen COMPLETED before: its manual journal is booked, the clearing account follows the balance', async () => {
      await funded();
      const before = nonBankBalance();
      const dropped = BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: true } });
      await list();
      await h.worker.drain();
      h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
      await list();
      await h.worker.drain();
      assert.equal(await state(w.id), 'reversed', await lastError(w.id));
      assert.deepEqual([journals(w.id).length, feeBackJournals(w.id).length], [1, 0]);
      const left = dropped - BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
      assert.equal(before - nonBankBalance(), left, "the clearing account down by the fee Xendit kept, as Xendit's balance");
      const r = await nonBankReport();
      assert.equal(r.rows.find((x) => x.note.includes(w.id))?.status, 'transferred', JSON.stringify(r.rows));
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));
      await list();
      await h.worker.drain();
      assert.deepEqual([journals(w.id).length, feeBackJournals(w.id).length], [1, 0]);
    });
  });

  it('a fee inside the amount learnt after the withdrawal was booked whole: not booked, a person is told once however many runs meet it', async () => {
    // "Fees are applied once payouts are completed" (docs.xendit.co/transaction-fees): still PENDING when the transfer was booked.
    const w = await booked({ fee: { ...FEE, inAmount: true, pending: true } });
    assert.deepEqual(
      transfers().map((t) => t.amount),
      [10_000_000n],
      'booked whole',
    );
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    const warned: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warned.push(JSON.parse(line).msg) });
    const listLogged = () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger })();
    const told = () => h.stores.db.selectFrom('alerts').select(['kind', 'mailed_at']).where('kind', '=', 'withdrawalFeeNotBooked').execute();
    await listLogged();
    await h.worker.drain();
    assert.equal((await told()).length, 1);
    // Mailed, and past the quiet hours that absorb a repeated alert: the next runs still tell no one again.
    await h.stores.db.updateTable('alerts').set({ mailed_at: h.clock() }).where('kind', '=', 'withdrawalFeeNotBooked').execute();
    h.clock.advance(7 * 3600_000);
    await listLogged();
    await listLogged();
    assert.equal((await told()).length, 1, 'one alert');
    assert.equal(warned.filter((m) => m.includes('already booked whole')).length, 1, 'warned when the alert was raised, not at every run');
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [1, 0], 'nothing more booked');
  });
});
