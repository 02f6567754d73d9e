import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { FEE, withdrawalFeeSetup } from '../helpers/withdrawal-fees.js';
import { addedAtTheTestsStart, type Harness } from '../helpers/harness.js';
import { recordWithdrawalJob } from '../../app/jobs/sync/record-withdrawal.js';
import { UNSETTLED_MS } from '../../app/jobs/sync/send-once.js';
import type { XeroGateway } from '../../app/clients/xero/types.js';

/**
 * A withdrawal's fee between its booking and Xendit giving it back: booked alone on a withdrawal
 * sent back before any entry out, its create left without an answer, found by a run that books the
 * rest, and a stalled run storing its entry out after the one that took over booked it back.
 */
describeEachDatabase('withdrawal fees: given back after they were booked, however they were', ({ db }) => {
  const t = withdrawalFeeSetup(db);
  let h: Harness;
  beforeEach(async () => {
    await t.start();
    h = t.h;
  });
  afterEach(() => t.close());
  const { list, transfers, feeEntries, report, xenditBalance, clearingBalance, funded } = t;
  const feeBacks = (id: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((x) => x.reference === `Xendit withdrawal fee returned ${id}`);
  const row = (id: string) => h.stores.settlements.byXenditId(h.merchant.id, id);
  const lastError = async (id: string) => (await row(id))?.lastError ?? '';
  const jobStates = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal').map((j) => j.state);
  const replay = async () => {
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
  };
  async function listTwice() {
    for (let i = 0; i < 2; i++) {
      await list();
      await h.worker.drain();
    }
  }

  it('sent back before anything was booked, its fee kept, given back later: one Receive Money brings the fee back, and no listing queues the job again', async () => {
    await funded();
    const before = { clearing: clearingBalance(), xendit: xenditBalance() };
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length, (await row(w.id))?.state], [0, 1, 'reversed'], 'the fee alone');

    h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
    await listTwice();
    const [ret, ...again] = feeBacks(w.id);
    assert.equal(again.length, 0, 'one fee return');
    assert.deepEqual(
      [ret?.type, ret?.accountId, ret?.lineItems.map((l) => [l.accountCode, l.lineAmount])],
      ['RECEIVE', h.clearingAccountId, [[h.merchant.feeAccountCode, 555_000n]]],
      'into the clearing account the fee left, from the fee account',
    );
    const r = await row(w.id);
    assert.deepEqual([r?.state, r?.xeroFeeReturnEntryId], ['reversed', ret.bankTransactionId], r?.lastError ?? '');
    assert.equal(xenditBalance(), before.xendit);
    assert.equal(clearingBalance(), before.clearing, 'the clearing account is back where it was');
    assert.equal((await report()).reconciled, true);

    await list();
    assert.deepEqual(await jobStates(), ['done'], 'nothing left to book: the listing queues nothing');
    await replay();
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [0, 1, 1]);
  });

  it('that fee return killed after Xero took it: the rerun finds it by Reference and books no second one', async () => {
    await funded();
    const before = clearingBalance();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
    await list();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal' && j.state === 'queued');
    assert.ok(job, 'queued again by the fee given back');
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
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    h.clock.advance(UNSETTLED_MS + 1_000);
    await h.worker.drain();
    assert.equal(feeBacks(w.id).length, 1);
    assert.equal((await row(w.id))?.xeroFeeReturnEntryId, feeBacks(w.id)[0].bankTransactionId);
    assert.equal(clearingBalance(), before);
  });

  it("the fee's Spend Money saved by Xero, its answer lost, the fee given back before the retry: the retry finds and stores it, then books its return", async () => {
    await funded();
    const before = clearingBalance();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: true } });
    await list();
    await h.worker.drain();
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    h.sims.xero.faults.dropResponseAfterSave(1, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' });
    await list();
    await h.worker.drain();
    const [fee] = feeEntries(w.id);
    assert.ok(fee, 'Xero saved the fee');
    assert.ok((await row(w.id))?.feeAttemptAt, 'its outcome unknown');

    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'REVERSED' });
    await list();
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    h.clock.advance(UNSETTLED_MS + 1_000);
    await h.worker.drain();
    const r = await row(w.id);
    assert.deepEqual([r?.state, r?.xeroFeeEntryId, r?.feeAttemptAt], ['reversed', fee.bankTransactionId, null], r?.lastError ?? '');
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 1, 1], 'the fee booked once and given back once');
    assert.equal(clearingBalance(), before);
    assert.equal(clearingBalance(), xenditBalance());
    await list();
    await replay();
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 1, 1]);
  });

  it("the fee's Spend Money never made (a 503), given back before the retry: once its send may no longer be in the making, nothing is booked and its mark is cleared", async () => {
    await funded();
    const before = clearingBalance();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: true } });
    await list();
    await h.worker.drain();
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    h.sims.xero.faults.failNext(1, 503, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' });
    await list();
    await h.worker.drain();
    assert.deepEqual([feeEntries(w.id).length, !!(await row(w.id))?.feeAttemptAt], [0, true]);

    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'REVERSED' });
    await list();
    // Xero may still be making it: nothing is taken as not made yet.
    h.clock.advance(UNSETTLED_MS / 2);
    await h.worker.drain();
    const waiting = await row(w.id);
    assert.deepEqual([!!waiting?.feeAttemptAt, feeEntries(w.id).length], [true, 0], 'its mark kept');
    assert.match(waiting?.lastError ?? '', /Xero may still be making it/);
    h.clock.advance(UNSETTLED_MS);
    await h.worker.drain();
    const r = await row(w.id);
    assert.deepEqual([r?.state, r?.xeroFeeEntryId, r?.feeAttemptAt], ['reversed', null, null], r?.lastError ?? '');
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 0, 0]);
    assert.equal(clearingBalance(), before);
    assert.equal(clearingBalance(), xenditBalance());
    await list();
    assert.deepEqual(await jobStates(), ['done']);
  });

  it("the fee's Spend Money without an answer (a 503), the withdrawal sent back with its fee kept: the transfer back is booked in that run, the fee once its send may no longer be in the making, each once", async () => {
    await funded();
    const before = clearingBalance();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, pending: true } });
    await list();
    await h.worker.drain();
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    h.sims.xero.faults.failNext(1, 503, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' });
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, feeEntries(w.id).length, !!(await row(w.id))?.feeAttemptAt], [1, 0, true], 'its outcome unknown');

    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await list();
    h.clock.advance(UNSETTLED_MS / 2);
    await h.worker.drain();
    const waiting = await row(w.id);
    assert.equal(transfers().length, 2, `the transfer back booked while the fee waits: ${waiting?.lastError}`);
    assert.deepEqual([waiting?.xeroReversalTransferId, !!waiting?.feeAttemptAt, feeEntries(w.id).length], [transfers()[1].bankTransferId, true, 0]);

    h.clock.advance(UNSETTLED_MS);
    await h.worker.drain();
    const r = await row(w.id);
    assert.deepEqual([r?.state, r?.xeroFeeEntryId, r?.feeAttemptAt], ['reversed', feeEntries(w.id)[0]?.bankTransactionId, null], r?.lastError ?? '');
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [2, 1, 0], 'each once');
    assert.equal(clearingBalance(), before - 555_000n, 'short by the fee Xendit kept');
    assert.equal(clearingBalance(), xenditBalance());
    await list();
    await replay();
    assert.deepEqual([transfers().length, feeEntries(w.id).length], [2, 1]);
  });

  it('sent back before anything was booked, the fee kept: its Spend Money saved, its answer lost, then given back: found, stored and given back once', async () => {
    await funded();
    const before = clearingBalance();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    h.sims.xero.faults.dropResponseAfterSave(1, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' });
    await list();
    await h.worker.drain();
    const [fee] = feeEntries(w.id);
    assert.ok(fee, 'Xero saved the fee');
    assert.ok((await row(w.id))?.feeAttemptAt);

    h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
    await list();
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    h.clock.advance(UNSETTLED_MS + 1_000);
    await h.worker.drain();
    await listTwice();
    const r = await row(w.id);
    assert.deepEqual([r?.state, r?.xeroFeeEntryId, r?.feeAttemptAt], ['reversed', fee.bankTransactionId, null], r?.lastError ?? '');
    assert.deepEqual([transfers().length, feeEntries(w.id).length, feeBacks(w.id).length], [0, 1, 1]);
    assert.equal(clearingBalance(), before);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('one the previous release reversed with nothing booked, its fee kept, no longer listed (over 45 days on): read again by its id, its fee booked once, and read no more', async () => {
    h.sims.xendit.test.useClock(h.clock);
    try {
      await addedAtTheTestsStart(h);
      await funded();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
      await list();
      // What the previous release's job left: reversed, its fee known, nothing in Xero, the job done.
      await h.stores.settlements.reversed((await row(w.id))!.id, null, h.clock());
      await h.stores.db.updateTable('jobs').set({ state: 'done' }).where('kind', '=', 'record-withdrawal').execute();
      h.clock.advance(46 * 86_400_000);
      h.sims.xendit.test.clearRequests();

      await list();
      await h.worker.drain();
      const r = await row(w.id);
      assert.deepEqual([transfers().length, feeEntries(w.id).length], [0, 1], `the fee Xendit kept booked, alone: ${r?.lastError}`);
      assert.deepEqual([r?.state, r?.xeroFeeEntryId], ['reversed', feeEntries(w.id)[0].bankTransactionId]);
      assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
      const byId = () => h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: `/transactions/${w.id}` });
      assert.equal(byId(), 1, 'read by its id');

      await listTwice();
      assert.deepEqual([await jobStates(), byId(), feeEntries(w.id).length], [['done'], 1, 1], 'not read or queued again');
    } finally {
      h.sims.xendit.test.useClock();
    }
  });

  /** Four withdrawals the previous release left reversed with nothing booked, their fees kept, no longer listed (46 days on). */
  async function fourUnlisted() {
    await addedAtTheTestsStart(h);
    await funded();
    const ws = [0, 1, 2, 3].map(() => h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 10_000, { fee: FEE }));
    for (const w of ws) h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await list();
    const rows = await Promise.all(ws.map(async (w) => ({ w, row: (await row(w.id))! })));
    for (const { row: r } of rows) await h.stores.settlements.reversed(r.id, null, h.clock());
    await h.stores.db.updateTable('jobs').set({ state: 'done' }).where('kind', '=', 'record-withdrawal').execute();
    h.clock.advance(46 * 86_400_000);
    return { ws, rows };
  }

  it('four such rows no longer listed: a run reads three of them again by their ids, the next the fourth, each fee booked once', async () => {
    h.sims.xendit.test.useClock(h.clock);
    try {
      const { ws } = await fourUnlisted();
      h.sims.xendit.test.clearRequests();
      const byId = () => ws.reduce((n, w) => n + h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: `/transactions/${w.id}` }), 0);
      const booked = () => ws.filter((w) => feeEntries(w.id).length === 1).length;

      await list();
      await h.worker.drain();
      assert.deepEqual([byId(), booked()], [3, 3], 'a few a run');
      await listTwice();
      assert.deepEqual([byId(), booked(), ws.map((w) => feeEntries(w.id).length)], [4, 4, [1, 1, 1, 1]], 'then the rest, each once');
      assert.equal(clearingBalance(), xenditBalance());
    } finally {
      h.sims.xendit.test.useClock();
    }
  });

  it('three such rows whose reads by id keep failing do not hold the fourth back: the next run reads it', async () => {
    h.sims.xendit.test.useClock(h.clock);
    try {
      const { ws, rows } = await fourUnlisted();
      // The three a run picks first (the same reversal time: by row id) can never be read.
      const [a, b, c, last] = rows.sort((x, y) => (x.row.id < y.row.id ? -1 : 1)).map((x) => x.w);
      for (const w of [a, b, c]) h.sims.xendit.faults.failNext(1000, 503, { method: 'GET', path: `/transactions/${w.id}` });

      await listTwice();
      assert.deepEqual(
        ws.map((w) => feeEntries(w.id).length),
        ws.map((w) => (w === last ? 1 : 0)),
        'the fourth read and its fee booked while the other three keep failing',
      );
    } finally {
      h.sims.xendit.test.useClock();
    }
  });

  it('a stalled run storing its transfer out after the run that took over booked it back: the row stays reversed, and no listing queues it again', async () => {
    await funded();
    const before = clearingBalance();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, {});
    await list();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal' && j.state === 'queued');
    // Xero makes the transfer; its answer reaches the run only once the test lets it.
    let reached!: () => void;
    const atXero = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const inner = h.sims.xeroClient;
    const xero: XeroGateway = {
      ...inner,
      createBankTransfer: async (...args: Parameters<XeroGateway['createBankTransfer']>) => {
        const made = await inner.createBankTransfer(...args);
        reached();
        await released;
        return made;
      },
    };
    const stalled = recordWithdrawalJob({ stores: h.stores, xero, clock: h.clock, logger: pino({ level: 'silent' }) })(job);
    await atXero;
    // Meanwhile the bank sends it back, and another run books it out (found by Reference) and back.
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id);
    await list();
    await h.worker.drain();
    assert.deepEqual([transfers().length, (await row(w.id))?.state], [2, 'reversed'], await lastError(w.id));
    release();
    await stalled;
    const r = await row(w.id);
    assert.deepEqual([r?.state, r?.xeroBankTransferId], ['reversed', transfers()[0].bankTransferId], 'not put back to recorded; its transfer kept');
    await list();
    assert.deepEqual(await jobStates(), ['done'], 'nothing left: the listing queues nothing');
    await h.worker.drain();
    assert.equal(transfers().length, 2);
    assert.equal(clearingBalance(), before);
  });

  describe('a clearing account that is not a bank account', () => {
    let clearing: string;
    beforeEach(async () => {
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
    const feeBackJournals = (id: string) => h.sims.xero.manualJournalsOf(h.tenantId).filter((j) => j.narration === `Xendit withdrawal fee returned ${id}`);
    const nonBankBalance = () => h.sims.xero.balanceOf(h.tenantId, clearing);
    const backLines = [
      ['095', 555_000n],
      ['404', -500_000n],
      ['404', -55_000n],
    ];

    it('sent back before anything was booked, its fee kept as a manual journal, given back later: one manual journal brings it back', async () => {
      await funded();
      const before = nonBankBalance();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
      await list();
      await h.worker.drain();
      assert.deepEqual([receives(w.id).length, journals(w.id).length, (await row(w.id))?.state], [0, 1, 'reversed']);

      h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
      await listTwice();
      const r = await row(w.id);
      assert.equal(r?.state, 'reversed', r?.lastError ?? '');
      const [j, ...again] = feeBackJournals(w.id);
      assert.equal(again.length, 0, 'one fee return');
      assert.deepEqual(
        j?.lines.map((l) => [l.accountCode, l.lineAmount]),
        backLines,
        'the clearing account debited, the fee and its VAT credited back',
      );
      assert.equal(r?.xeroFeeReturnEntryId, j.manualJournalId);
      assert.equal(nonBankBalance(), before, 'the clearing account is back where it was');
      await list();
      assert.deepEqual(await jobStates(), ['done']);
      await replay();
      assert.deepEqual([receives(w.id).length, journals(w.id).length, feeBackJournals(w.id).length], [0, 1, 1]);
    });

    it('the Receive Money with the fee saved, its answer lost, the withdrawal back with its fee before the retry: that retry books the fee back too', async () => {
      await funded();
      const before = nonBankBalance();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
      h.sims.xero.faults.dropResponseAfterSave(1, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' });
      await list();
      await h.worker.drain();
      assert.equal(receives(w.id).length, 1, 'Xero saved it, with the fee on its lines');
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'REVERSED' });
      await list();
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      h.clock.advance(UNSETTLED_MS + 1_000);
      await h.worker.drain();
      const r = await row(w.id);
      assert.equal(r?.state, 'reversed', r?.lastError ?? '');
      assert.equal(feeBackJournals(w.id).length, 1, 'the fee given back, booked by the run that found the Receive Money carrying it');
      assert.deepEqual(
        feeBackJournals(w.id)[0].lines.map((l) => [l.accountCode, l.lineAmount]),
        backLines,
      );
      assert.equal(nonBankBalance(), before);
      await list();
      await replay();
      assert.deepEqual([receives(w.id).length, journals(w.id).length, feeBackJournals(w.id).length], [1, 0, 1]);
    });

    it('sent back before anything was booked, the fee kept: its journal saved, its answer lost, then given back: found, stored and given back by a journal', async () => {
      await funded();
      const before = nonBankBalance();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
      h.sims.xero.faults.dropResponseAfterSave(1, { method: 'PUT', path: '/api.xro/2.0/ManualJournals' });
      await list();
      await h.worker.drain();
      const [fee] = journals(w.id);
      assert.ok(fee, 'Xero saved the journal');
      h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
      await list();
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      h.clock.advance(UNSETTLED_MS + 1_000);
      await h.worker.drain();
      await listTwice();
      const r = await row(w.id);
      assert.deepEqual([r?.state, r?.xeroFeeEntryId, r?.feeAttemptAt], ['reversed', fee.manualJournalId, null], r?.lastError ?? '');
      assert.deepEqual([journals(w.id).length, feeBackJournals(w.id).length], [1, 1]);
      assert.deepEqual(
        feeBackJournals(w.id)[0].lines.map((l) => [l.accountCode, l.lineAmount]),
        backLines,
      );
      assert.equal(nonBankBalance(), before);
    });
  });
});
