import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { FEE, withdrawalFeeSetup } from '../helpers/withdrawal-fees.js';
import type { Harness } from '../helpers/harness.js';
import { recordWithdrawalJob } from '../../app/jobs/sync/record-withdrawal.js';
import { UNSETTLED_MS } from '../../app/jobs/sync/send-once.js';
import type { CrashPoint } from '../../app/jobs/sync/crash-points.js';

/**
 * A payout whose fee Xendit took out of its amount after the gateway had booked the whole amount:
 * the withdrawalFeeNotBooked alert has a person book the fee by hand and mend the transfer out. Xero
 * cannot change a Bank Transfer (its API creates and deletes them only), so the person deletes it
 * and makes it again for what reached the bank. When the bank sends the payout back, the transfer
 * back moves what the transfer out moves in Xero, not what the gateway once sent.
 */
const DAY = 86_400_000;
const day = (at: Date, offset = 0) => new Date(at.getTime() + offset * DAY).toISOString().slice(0, 10);

describeEachDatabase('a withdrawal sent back after a person mended its transfer out', ({ db }) => {
  const t = withdrawalFeeSetup(db, { onTestClock: true });
  let h: Harness;
  beforeEach(async () => {
    await t.start();
    h = t.h;
  });
  afterEach(() => t.close());
  const live = (reference: string) => t.transfers().filter((x) => x.reference === reference && x.status !== 'DELETED');
  const savings = () => h.sims.xero.balanceOf(h.tenantId, t.savings);
  const rowOf = (id: string) => h.stores.settlements.byXenditId(h.merchant.id, id);

  /** Booked whole while its fee was PENDING; the fee COMPLETED: a person is told, and books the fee by hand. */
  async function bookedWhole(feeByHand = true) {
    await t.funded();
    await h.worker.drain();
    const banked = savings();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, inAmount: true, pending: true } });
    const out = day(h.clock());
    await t.list();
    await h.worker.drain();
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    await t.list();
    await h.worker.drain();
    const told = await h.stores.db.selectFrom('alerts').select(['kind']).where('kind', '=', 'withdrawalFeeNotBooked').execute();
    assert.equal(told.length, 1, 'a person is told');
    if (feeByHand)
      await h.sims.xeroClient.createBankTransaction(
        h.merchant.xero,
        {
          type: 'SPEND',
          bankAccountId: h.clearingAccountId,
          contactName: 'Xendit',
          date: out,
          reference: `Xendit withdrawal fee ${w.id}`,
          currencyCode: 'IDR',
          reconciled: true,
          lineItems: [{ description: 'fee Xendit took out of a withdrawal', accountCode: h.merchant.feeAccountCode!, amount: '5550' }],
        },
        'fee-by-hand',
      );
    return { w, out, banked };
  }

  /** As the person does in Xero: the transfer out deleted and made again for `amount`, same Reference, accounts and date. */
  async function remade(id: string, amount: string) {
    const [old] = live(`Xendit withdrawal ${id}`);
    h.sims.xero.test.deleteBankTransfer(h.tenantId, old.bankTransferId);
    await h.sims.xeroClient.createBankTransfer(
      h.merchant.xero,
      {
        fromAccountId: old.fromAccountId,
        toAccountId: old.toAccountId,
        amount,
        date: old.date,
        reference: old.reference,
        fromIsReconciled: true,
        toIsReconciled: false,
      },
      `remade-${amount}`,
    );
  }

  async function sentBack(id: string, fee: 'COMPLETED' | 'REVERSED' = 'COMPLETED') {
    h.clock.advance(3 * DAY);
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, id, undefined, { fee });
    await t.list();
    return day(h.clock());
  }

  it('remade for what reached the bank: the transfer back moves that, the fee by hand is the only one, both accounts and every range agree', async () => {
    const { w, out, banked } = await bookedWhole();
    await remade(w.id, '94450');
    assert.equal(t.clearingBalance(), t.xenditBalance(), 'mended: the clearing account holds the balance');
    const back = await sentBack(w.id);
    await h.worker.drain();
    assert.deepEqual(
      live(`Xendit withdrawal reversed ${w.id}`).map((x) => x.amount),
      [9_445_000n],
      'the transfer back moves what the transfer out moves in Xero',
    );
    assert.deepEqual(
      t.feeEntries(w.id).map((x) => x.total),
      [555_000n],
      "the person's fee only",
    );
    assert.equal(savings(), banked, 'the bank account in Xero is back where it was');
    assert.equal(t.clearingBalance(), t.xenditBalance(), "the clearing account holds Xendit's balance");
    const row = await rowOf(w.id);
    assert.deepEqual([row?.state, row?.transferAmount, row?.xeroBankTransferId], ['reversed', 94_450, live(`Xendit withdrawal ${w.id}`)[0].bankTransferId]);

    await t.transferredEachRange(w.id, out, back);

    // Listed again, its job replayed: nothing more.
    await t.list();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    assert.deepEqual([live(`Xendit withdrawal reversed ${w.id}`).length, t.feeEntries(w.id).length], [1, 1]);
  });

  for (const point of ['withdrawal-fee-accepted', 'withdrawal-reversal-accepted'] as const) {
    it(`remade, killed at ${point}: the re-run books one transfer back of what the transfer out moves`, async () => {
      const { w, banked } = await bookedWhole();
      await remade(w.id, '94450');
      await sentBack(w.id);
      const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal' && j.state === 'queued');
      const killed = new Error(`killed at ${point}`);
      const deps = { stores: h.stores, xero: h.sims.xeroClient, clock: h.clock, logger: pino({ level: 'silent' }) };
      const crash = (p: CrashPoint) => {
        if (p === point) throw killed;
      };
      await assert.rejects(recordWithdrawalJob({ ...deps, crash })(job), killed);
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      h.clock.advance(UNSETTLED_MS + 1_000);
      await recordWithdrawalJob(deps)(job);
      await recordWithdrawalJob(deps)(job);
      assert.deepEqual([live(`Xendit withdrawal reversed ${w.id}`).map((x) => x.amount), t.feeEntries(w.id).length], [[9_445_000n], 1]);
      assert.equal(savings(), banked);
      assert.equal(t.clearingBalance(), t.xenditBalance());
      assert.equal((await rowOf(w.id))?.state, 'reversed');
    });
  }

  it('remade, the run dying once the transfer out it found is stored and before the fee is looked for: the re-run finds the fee by hand, one transfer back', async () => {
    const { w, banked } = await bookedWhole();
    await remade(w.id, '94450');
    await sentBack(w.id);
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal' && j.state === 'queued');
    const deps = { stores: h.stores, xero: h.sims.xeroClient, clock: h.clock, logger: pino({ level: 'silent' }) };
    const died = new Error('power cut');
    // Dies at its first look for a bank transaction by Reference: the fee's, after the transfer out was stored.
    const dying = new Proxy(h.sims.xeroClient, {
      get: (target, key, receiver) => (key === 'findBankTransactionsByReference' ? () => Promise.reject(died) : Reflect.get(target, key, receiver)),
    });
    await assert.rejects(recordWithdrawalJob({ ...deps, xero: dying })(job));
    const stored = await rowOf(w.id);
    assert.deepEqual([stored?.transferAmount, stored?.xeroBankTransferId], [94_450, live(`Xendit withdrawal ${w.id}`)[0].bankTransferId], 'stored first');
    // Run as a job never queued again would be (send-once.ts requeued: false), so only the row can say that
    // the fee may be in Xero already: the transfer out it stored no longer tells (it carried the rest).
    await recordWithdrawalJob(deps)({ ...job, payload: { ...job.payload, retry: 0 } });
    assert.deepEqual([live(`Xendit withdrawal reversed ${w.id}`).map((x) => x.amount), t.feeEntries(w.id).length], [[9_445_000n], 1]);
    assert.equal(savings(), banked);
    assert.equal(t.clearingBalance(), t.xenditBalance());
  });

  it('remade for what reached the bank, the fee not booked by hand: the gateway books it, dated the day it left, and the transfer back moves what reached the bank', async () => {
    const { w, out, banked } = await bookedWhole(false);
    await remade(w.id, '94450');
    await sentBack(w.id);
    await h.worker.drain();
    assert.deepEqual(
      live(`Xendit withdrawal reversed ${w.id}`).map((x) => x.amount),
      [9_445_000n],
    );
    assert.deepEqual(
      t.feeEntries(w.id).map((x) => [x.total, x.date]),
      [[555_000n, out]],
      'the fee, on the day it left the balance',
    );
    assert.equal(savings(), banked);
    assert.equal(t.clearingBalance(), t.xenditBalance());
    assert.equal((await rowOf(w.id))?.state, 'reversed');
  });

  it('stored before what the transfer carried was kept (transfer_amount null): the transfer back moves the whole amount the transfer out moves', async () => {
    const { w, banked } = await bookedWhole(false);
    await h.stores.db.updateTable('withdrawals').set({ transfer_amount: null }).where('xendit_transaction_id', '=', w.id).execute();
    const back = await sentBack(w.id);
    await h.worker.drain();
    assert.deepEqual(
      live(`Xendit withdrawal reversed ${w.id}`).map((x) => x.amount),
      [10_000_000n],
      'the transfer back moves what the transfer out moves in Xero',
    );
    assert.equal(savings(), banked, 'the bank account in Xero is back where it was');
    assert.deepEqual(
      t.feeEntries(w.id).map((x) => [x.total, x.date]),
      [[555_000n, back]],
      'the fee Xendit kept, once, the day it came back',
    );
    assert.equal(t.clearingBalance(), t.xenditBalance());
    assert.equal((await rowOf(w.id))?.state, 'reversed');
  });

  it('out of a clearing account that is no bank account, stored before what its Receive Money carried was kept: the Spend Money back moves what that Receive Money carries', async () => {
    await t.funded();
    await h.worker.drain();
    // A current asset with payments enabled: the withdrawal is a Receive Money into savings coded to it, its fee a manual journal.
    const clearing = h.sims.xero.addAccount(h.tenantId, { code: '095', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true }).accountId;
    await h.stores.merchants.setAccounts(
      h.merchant.id,
      { clearingAccountId: clearing, clearingAccounts: {}, feeAccountCode: '404', salesAccountCode: null },
      h.clock(),
    );
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'manual_journal' }, h.clock());
    h.merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    const banked = savings();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: { ...FEE, inAmount: true, pending: true } });
    await t.list();
    await h.worker.drain();
    h.sims.xendit.test.completeWithdrawal(h.merchant.xenditSecretKey, w.id);
    await t.list();
    await h.worker.drain();
    const entries = (reference: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((x) => x.reference === reference);
    assert.deepEqual(
      entries(`Xendit withdrawal ${w.id}`).map((x) => [x.type, x.total]),
      [['RECEIVE', 10_000_000n]],
      'booked whole',
    );
    await h.stores.db.updateTable('withdrawals').set({ transfer_amount: null }).where('xendit_transaction_id', '=', w.id).execute();
    await sentBack(w.id);
    await h.worker.drain();
    assert.deepEqual(
      entries(`Xendit withdrawal reversed ${w.id}`).map((x) => [x.type, x.total]),
      [['SPEND', 10_000_000n]],
      'the spend money back moves what the receive money out carries in Xero',
    );
    assert.equal(savings(), banked, 'the bank account in Xero is back where it was');
    assert.equal((await rowOf(w.id))?.state, 'reversed');
  });

  it('remade for an amount the gateway cannot account for: in review, nothing sent back; booked back by hand, a Retry finds it', async () => {
    const { w } = await bookedWhole();
    await remade(w.id, '90000');
    const back = await sentBack(w.id);
    await h.worker.drain();
    const row = await rowOf(w.id);
    assert.equal(row?.state, 'needs_review');
    assert.match(row?.lastError ?? '', /moves 90000(\.00)? in Xero/);
    assert.deepEqual(live(`Xendit withdrawal reversed ${w.id}`), [], 'nothing guessed');
    const [out] = live(`Xendit withdrawal ${w.id}`);
    await h.sims.xeroClient.createBankTransfer(
      h.merchant.xero,
      {
        fromAccountId: out.toAccountId,
        toAccountId: out.fromAccountId,
        amount: '90000',
        date: back,
        reference: `Xendit withdrawal reversed ${w.id}`,
        fromIsReconciled: false,
        toIsReconciled: true,
      },
      'back-by-hand',
    );
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    assert.equal((await rowOf(w.id))?.state, 'reversed');
    assert.equal(live(`Xendit withdrawal reversed ${w.id}`).length, 1, "the person's only");
  });

  it('two transfers out under its Reference once the stored one is gone: in review, nothing sent back', async () => {
    const { w } = await bookedWhole();
    await remade(w.id, '94450');
    const [again] = live(`Xendit withdrawal ${w.id}`);
    await h.sims.xeroClient.createBankTransfer(
      h.merchant.xero,
      {
        fromAccountId: again.fromAccountId,
        toAccountId: again.toAccountId,
        amount: '94450',
        date: again.date,
        reference: again.reference,
        fromIsReconciled: true,
        toIsReconciled: false,
      },
      'twice',
    );
    await sentBack(w.id);
    await h.worker.drain();
    const row = await rowOf(w.id);
    assert.equal(row?.state, 'needs_review');
    assert.deepEqual(live(`Xendit withdrawal reversed ${w.id}`), [], 'nothing guessed');
  });

  describe('Xendit gives its fee back with the payout', () => {
    const feeBack = (id: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((x) => x.reference === `Xendit withdrawal fee returned ${id}`);
    const job = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal' && j.state === 'queued')[0];
    const deps = () => ({ stores: h.stores, xero: h.sims.xeroClient, clock: h.clock, logger: pino({ level: 'silent' }) });

    /** All of it came back into Xendit's balance: the transfer back moves what the transfer out moves, the fee by hand comes back. */
    async function allBack(id: string, banked: bigint) {
      assert.deepEqual(
        live(`Xendit withdrawal reversed ${id}`).map((x) => x.amount),
        [9_445_000n],
        'the transfer back moves what the transfer out moves',
      );
      assert.deepEqual(
        feeBack(id).map((x) => [x.type, x.total, x.accountId, x.lineItems.map((l) => l.accountCode)]),
        [['RECEIVE', 555_000n, h.clearingAccountId, [h.merchant.feeAccountCode]]],
        "the person's fee, given back into the account it left, coded as it was",
      );
      assert.deepEqual(
        t.feeEntries(id).map((x) => x.total),
        [555_000n],
        "the person's fee only",
      );
      assert.equal(savings(), banked, 'the bank account in Xero is back where it was');
      assert.equal(t.clearingBalance(), t.xenditBalance(), "the clearing account holds Xendit's balance");
      const row = await rowOf(id);
      assert.deepEqual(
        [row?.state, row?.transferAmount, row?.fee, row?.xeroFeeEntryId, row?.xeroFeeReturnEntryId],
        ['reversed', 94_450, 5_550, t.feeEntries(id)[0].bankTransactionId, feeBack(id)[0].bankTransactionId],
      );
    }

    it('remade for what reached the bank, the fee booked by hand: the transfer back moves that and the fee comes back, both accounts and every range agree', async () => {
      const { w, out, banked } = await bookedWhole();
      await remade(w.id, '94450');
      const back = await sentBack(w.id, 'REVERSED');
      await h.worker.drain();
      await allBack(w.id, banked);
      for (const [from, to] of [
        [out, out],
        [back, back],
        [out, back],
      ]) {
        const r = await t.reportOf(from, to);
        assert.deepEqual([r.totals.IDR?.difference, r.reconciled], ['0.00', true], `${from}..${to}: ${JSON.stringify([r.rows, r.totals])}`);
      }
      // Listed again, its job replayed: nothing more.
      await t.list();
      const [j] = (await h.stores.jobs.list()).filter((x) => x.kind === 'record-withdrawal');
      assert.ok(await h.stores.jobs.replay(j.id, h.clock()));
      await h.worker.drain();
      await allBack(w.id, banked);
    });

    for (const point of ['withdrawal-reversal-accepted', 'withdrawal-fee-return-accepted'] as const) {
      it(`remade, the fee by hand, killed at ${point}: the re-run books one transfer back and one fee back`, async () => {
        const { w, banked } = await bookedWhole();
        await remade(w.id, '94450');
        await sentBack(w.id, 'REVERSED');
        const j = await job();
        const killed = new Error(`killed at ${point}`);
        const crash = (p: CrashPoint) => {
          if (p === point) throw killed;
        };
        await assert.rejects(recordWithdrawalJob({ ...deps(), crash })(j), killed);
        h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
        h.clock.advance(UNSETTLED_MS + 1_000);
        await recordWithdrawalJob(deps())(j);
        await recordWithdrawalJob(deps())(j);
        await allBack(w.id, banked);
      });
    }

    it('remade, the fee by hand, the run dying once what Xero holds is stored and before anything is sent: the re-run books each once', async () => {
      const { w, banked } = await bookedWhole();
      await remade(w.id, '94450');
      await sentBack(w.id, 'REVERSED');
      const j = await job();
      const died = new Error('power cut');
      const dying = new Proxy(h.sims.xeroClient, {
        get: (target, key, receiver) => (key === 'createBankTransfer' ? () => Promise.reject(died) : Reflect.get(target, key, receiver)),
      });
      await assert.rejects(recordWithdrawalJob({ ...deps(), xero: dying })(j));
      const stored = await rowOf(w.id);
      assert.deepEqual(
        [stored?.transferAmount, stored?.xeroBankTransferId, stored?.fee, stored?.xeroFeeEntryId],
        [94_450, live(`Xendit withdrawal ${w.id}`)[0].bankTransferId, 5_550, t.feeEntries(w.id)[0].bankTransactionId],
        'stored first',
      );
      // Its transfer back was sent without an answer: looked up once Xero can no longer be making it.
      h.clock.advance(UNSETTLED_MS + 1_000);
      await recordWithdrawalJob(deps())({ ...j, payload: { ...j.payload, retry: 0 } });
      await allBack(w.id, banked);
    });

    it('not remade, the fee booked by hand: the transfer back moves the whole amount and the fee comes back', async () => {
      const { w, banked } = await bookedWhole();
      await sentBack(w.id, 'REVERSED');
      await h.worker.drain();
      assert.deepEqual(
        live(`Xendit withdrawal reversed ${w.id}`).map((x) => x.amount),
        [10_000_000n],
      );
      assert.deepEqual(
        feeBack(w.id).map((x) => x.total),
        [555_000n],
      );
      assert.equal(savings(), banked);
      assert.equal(t.clearingBalance(), t.xenditBalance());
      assert.equal((await rowOf(w.id))?.state, 'reversed');
    });

    it('the fee booked by hand twice: in review saying what to book, nothing sent; booked by hand, a Retry finds it', async () => {
      const { w, banked } = await bookedWhole();
      await remade(w.id, '94450');
      const [fee] = t.feeEntries(w.id);
      await h.sims.xeroClient.createBankTransaction(
        h.merchant.xero,
        {
          type: 'SPEND',
          bankAccountId: h.clearingAccountId,
          contactName: 'Xendit',
          date: fee.date!,
          reference: `Xendit withdrawal fee ${w.id}`,
          currencyCode: 'IDR',
          reconciled: true,
          lineItems: [{ description: 'the fee again', accountCode: h.merchant.feeAccountCode!, amount: '5550' }],
        },
        'fee-by-hand-twice',
      );
      const back = await sentBack(w.id, 'REVERSED');
      await h.worker.drain();
      const row = await rowOf(w.id);
      assert.equal(row?.state, 'needs_review');
      assert.match(row?.lastError ?? '', /2 spend money entries carry the Reference "Xendit withdrawal fee /);
      assert.match(row?.lastError ?? '', /of what the bank transfer out moves, 94450(\.00)? IDR, Reference "Xendit withdrawal reversed /);
      assert.match(row?.lastError ?? '', /Reference "Xendit withdrawal fee returned /);
      assert.deepEqual([live(`Xendit withdrawal reversed ${w.id}`), feeBack(w.id)], [[], []], 'nothing guessed');
      const [out] = live(`Xendit withdrawal ${w.id}`);
      await h.sims.xeroClient.createBankTransfer(
        h.merchant.xero,
        {
          fromAccountId: out.toAccountId,
          toAccountId: out.fromAccountId,
          amount: '94450',
          date: back,
          reference: `Xendit withdrawal reversed ${w.id}`,
          fromIsReconciled: false,
          toIsReconciled: true,
        },
        'back-by-hand',
      );
      const [j] = (await h.stores.jobs.list()).filter((x) => x.kind === 'record-withdrawal');
      assert.ok(await h.stores.jobs.replay(j.id, h.clock()));
      await h.worker.drain();
      assert.equal((await rowOf(w.id))?.state, 'reversed');
      assert.deepEqual([live(`Xendit withdrawal reversed ${w.id}`).length, feeBack(w.id).length], [1, 0], "the person's only");
      assert.equal(savings(), banked);
    });

    it('remade for an amount the fee by hand does not explain: in review naming both, nothing sent', async () => {
      const { w } = await bookedWhole();
      await remade(w.id, '90000');
      await sentBack(w.id, 'REVERSED');
      await h.worker.drain();
      const row = await rowOf(w.id);
      assert.equal(row?.state, 'needs_review');
      assert.match(row?.lastError ?? '', /moves 90000(\.00)? in Xero.*with the fee of 5550(\.00)? booked by hand/);
      assert.deepEqual([live(`Xendit withdrawal reversed ${w.id}`), feeBack(w.id)], [[], []], 'nothing guessed');
    });

    it('remade, no fee booked by hand: in review saying what to book, nothing sent', async () => {
      const { w } = await bookedWhole(false);
      await remade(w.id, '94450');
      await sentBack(w.id, 'REVERSED');
      await h.worker.drain();
      const row = await rowOf(w.id);
      assert.equal(row?.state, 'needs_review');
      assert.match(row?.lastError ?? '', /bank transfer from the bank into the clearing account of what the bank transfer out moves, 94450(\.00)? IDR/);
      assert.deepEqual(live(`Xendit withdrawal reversed ${w.id}`), [], 'nothing guessed');
    });
  });
});
