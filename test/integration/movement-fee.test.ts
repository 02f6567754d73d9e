import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { movementSetup } from '../helpers/movement-fees.js';
import type { Harness } from '../helpers/harness.js';
import { recordOtherMovementJob } from '../../app/jobs/sync/record-other-movement.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { balances } from '../../app/admin/payments/balances.js';
import { runHeld } from '../helpers/held-run.js';

/**
 * Xendit's fee on one of its other balance movements (a payout to a supplier: DISBURSEMENT, IDR
 * 5,000 + VAT, docs.xendit.co/transaction-fees), shown as the transaction's fee object and taken
 * from the balance once the payout completes. The clearing account follows Xendit's balance only
 * when the gateway books that fee out of it too, once.
 */
describeEachDatabase("movement fees: Xendit's fee on a payout booked once, the balances agree", ({ db }) => {
  const t = movementSetup(db);
  let h: Harness;
  let suspense: string;
  const FEE = { xenditFee: 5_000, vat: 550 };
  beforeEach(async () => {
    await t.start();
    ({ h, suspense } = t);
  });
  afterEach(() => t.close());

  const { key, list, entries, xenditBalance, clearingBalance } = t;
  const report = async () => {
    const day = (offset: number) => new Date(h.clock().getTime() + offset * 86_400_000).toISOString().slice(0, 10);
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from: day(-1), to: day(1) });
  };
  const payout = (fee: Parameters<typeof h.sims.xendit.test.movement>[1]['fee'], amount = 20_000) =>
    h.sims.xendit.test.movement(key(), { type: 'DISBURSEMENT', currency: 'IDR', amount, cashflow: 'MONEY_OUT', fee });

  for (const inAmount of [false, true]) {
    it(`a DISBURSEMENT with its fee ${inAmount ? 'inside the amount' : 'on top'}: the fee one Spend Money to the fee account, its VAT on a line of its own, once; the report is reconciled and the balances Balanced`, async () => {
      const m = payout({ ...FEE, inAmount });
      await list();
      await h.worker.drain();

      const [fee, ...again] = entries(`Xendit movement fee ${m.id}`);
      assert.equal(again.length, 0, 'one fee entry');
      assert.ok(fee, "Xendit's fee on the payout is booked");
      assert.deepEqual(
        [fee.type, fee.accountId, fee.lineItems.map((l) => [l.accountCode, l.lineAmount]), fee.reconciled],
        [
          'SPEND',
          h.clearingAccountId,
          [
            [h.merchant.feeAccountCode, 500_000n],
            [h.merchant.feeAccountCode, 55_000n],
          ],
          true,
        ],
        "the fee and Xendit's VAT on it on lines of their own, as a withdrawal fee's",
      );
      assert.equal(fee.total, 555_000n, 'the two lines sum to the fee');
      const [spend, ...more] = entries(`Xendit movement ${m.id}`);
      assert.equal(more.length, 0);
      assert.equal(spend.total, inAmount ? 1_445_000n : 2_000_000n, 'what reached the payee');
      assert.equal(xenditBalance(), BigInt((145_650 - 20_000 - (inAmount ? 0 : 5_550)) * 100));
      assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");

      const r = await report();
      const row = r.rows.find((x) => x.note.includes(m.id));
      const total = inAmount ? '-20000.00' : '-25550.00';
      assert.deepEqual([row?.status, row?.xenditAmount, row?.xeroPayment], ['matched', total, total], JSON.stringify(row));
      assert.equal(r.totals.IDR.difference, '0.00');
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));

      // Xero's Bank Summary is read up to the organisation's today.
      h.clock.advance(Math.max(0, Date.now() - h.clock().getTime()) + 86_400_000);
      const deps = { xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores, clock: h.clock, logger: pino({ level: 'silent' }) };
      const idr = (await balances(deps, (await h.stores.merchants.byId(h.merchant.id))!)).find((b) => b.currency === 'IDR')!;
      assert.equal(idr.balanced, true, JSON.stringify(idr));

      // Listed again, its job replayed: nothing more.
      await list();
      const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement');
      assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
      await h.worker.drain();
      assert.deepEqual([entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length], [1, 1]);
    });
  }

  it('a fee still PENDING when the payout is booked: booked once it is COMPLETED, by the next listing, once', async () => {
    const m = payout({ ...FEE, pending: true });
    await list();
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length], [1, 0], 'nothing taken yet');
    assert.equal(clearingBalance(), xenditBalance());

    h.sims.xendit.test.completeMovementFee(key(), m.id);
    await list();
    await h.worker.drain();
    await list();
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length], [1, 1]);
    assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
    assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.state, 'recorded');
  });

  it('a fee COMPLETED while the job that booked the payout is still running: the job runs again and books the fee once', async () => {
    const m = payout({ ...FEE, pending: true });
    await list();
    await runHeld(h, 'record-other-movement', async () => {
      assert.deepEqual(
        [entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length],
        [1, 0],
        'the run read the row before the fee',
      );
      h.sims.xendit.test.completeMovementFee(key(), m.id);
      await list();
      assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.fee, 5_550, 'the fee noted');
    });
    const job = (await h.stores.jobs.list()).find((j) => j.kind === 'record-other-movement');
    assert.equal(job?.state, 'queued', 'the job is queued again, not done');
    await h.worker.drain();
    await list();
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length], [1, 1], 'the fee booked once');
    assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
  });

  it('a TOPUP with a fee: Receive Money of the amount, the fee Spend Money out of it; the clearing account is the balance', async () => {
    const m = h.sims.xendit.test.movement(key(), { type: 'TOPUP', currency: 'IDR', amount: 50_000, cashflow: 'MONEY_IN', fee: FEE });
    await list();
    await h.worker.drain();
    assert.deepEqual(
      [entries(`Xendit movement ${m.id}`).map((t) => [t.type, t.total]), entries(`Xendit movement fee ${m.id}`).map((t) => [t.type, t.total])],
      [[['RECEIVE', 5_000_000n]], [['SPEND', 555_000n]]],
    );
    assert.equal(clearingBalance(), xenditBalance());
    const r = await report();
    assert.equal(r.rows.find((x) => x.note.includes(m.id))?.status, 'matched');
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
  });

  it('fees billed monthly: the payout leaves the balance by its amount alone, and no fee is booked', async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, new Date(h.clock().getTime() - 3_600_000));
    h.sims.xendit.test.updateAccount(key(), { feeBilling: 'invoiced' });
    const before = [xenditBalance(), clearingBalance()];
    const m = payout(FEE);
    await list();
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length], [1, 0]);
    assert.deepEqual([before[0] - xenditBalance(), before[1] - clearingBalance()], [2_000_000n, 2_000_000n], 'each fell by the amount alone');
  });

  const reversedEntries = (id: string) => entries(`Xendit movement reversed ${id}`);
  const feeReturns = (id: string) => entries(`Xendit movement fee returned ${id}`);
  const recordJob = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement')[0];

  for (const { feeBack, inAmount } of [
    { feeBack: true, inAmount: false },
    { feeBack: false, inAmount: false },
    { feeBack: true, inAmount: true },
    { feeBack: false, inAmount: true },
  ]) {
    it(`a payout booked with its fee ${inAmount ? 'inside the amount' : 'on top'}, then REVERSED with the fee ${feeBack ? 'given back' : 'kept by Xendit'}: booked back once by the scheduled listing's job; the clearing account is Xendit's balance and the report agrees`, async () => {
      const m = payout({ ...FEE, inAmount });
      await list();
      await h.worker.drain();
      const [spend] = entries(`Xendit movement ${m.id}`);
      const before = xenditBalance();
      h.clock.advance(3_600_000);
      h.sims.xendit.test.reverseMovement(key(), m.id, undefined, feeBack ? {} : { fee: 'COMPLETED' });
      assert.equal(
        xenditBalance() - before,
        feeBack ? (inAmount ? 2_000_000n : 2_555_000n) : inAmount ? 1_445_000n : 2_000_000n,
        'what came back into the balance',
      );
      await list();
      await h.worker.drain();

      const [back, ...again] = reversedEntries(m.id);
      assert.equal(again.length, 0, 'one entry back');
      assert.deepEqual(
        [back?.type, back?.accountId, back?.lineItems.map((l) => [l.accountCode, l.lineAmount]), back?.reconciled],
        ['RECEIVE', h.clearingAccountId, [[suspense, spend.total]], true],
        'the Spend Money undone: the same clearing account, account and amount',
      );
      const returned = feeReturns(m.id);
      assert.deepEqual(
        returned.map((t) => [t.type, t.accountId, t.lineItems.map((l) => [l.accountCode, l.lineAmount])]),
        feeBack ? [['RECEIVE', h.clearingAccountId, [[h.merchant.feeAccountCode, 555_000n]]]] : [],
        feeBack ? 'the fee given back booked back' : 'the fee Xendit kept stays booked',
      );
      assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1);
      assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
      const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
      assert.deepEqual([row?.state, row?.xeroReversalEntryId, row?.feeReturned], ['recorded', back.bankTransactionId, feeBack]);
      assert.equal((await recordJob()).state, 'done');

      const r = await report();
      const shown = r.rows.find((x) => x.note.includes(m.id));
      const kept = feeBack ? '0.00' : '-5550.00';
      assert.deepEqual([shown?.status, shown?.xenditAmount, shown?.xeroPayment], ['matched', kept, kept], JSON.stringify(shown));
      assert.ok(!r.rows.some((x) => x.status === 'not_from_xendit'), 'no entry of it left unexplained');
      assert.equal(r.totals.IDR.difference, '0.00');
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));

      // Listed again, its job replayed: nothing more.
      await list();
      assert.ok(await h.stores.jobs.replay((await recordJob()).id, h.clock()));
      await h.worker.drain();
      assert.deepEqual([reversedEntries(m.id).length, feeReturns(m.id).length, entries(`Xendit movement ${m.id}`).length], [1, feeBack ? 1 : 0, 1]);
    });
  }

  it('REVERSED days after it was booked: the report of the day it left and the report of the day it came back each count their half, and agree', async () => {
    const around = (at: Date) => {
      const day = (offset: number) => new Date(at.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
      return { from: day(-1), to: day(1) };
    };
    const m = payout(FEE);
    await list();
    await h.worker.drain();
    const leftOn = around(h.clock());
    h.clock.advance(6 * 86_400_000);
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    await h.worker.drain();
    assert.deepEqual([reversedEntries(m.id).length, feeReturns(m.id).length], [1, 1]);
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    const deps = { xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores };
    for (const [range, half] of [
      [leftOn, '-25550.00'],
      [around(h.clock()), '25550.00'],
    ] as const) {
      const r = await reconciliationReport(deps, merchant, range);
      const shown = r.rows.find((x) => x.note.includes(m.id));
      assert.deepEqual([shown?.status, shown?.xenditAmount, shown?.xeroPayment], ['matched', half, half], JSON.stringify(r.rows));
      assert.equal(r.reconciled, true, JSON.stringify(r.rows));
    }
  });

  it('a TOPUP REVERSED: Spend Money of it back out of the clearing account, once', async () => {
    const m = h.sims.xendit.test.movement(key(), { type: 'TOPUP', currency: 'IDR', amount: 50_000, cashflow: 'MONEY_IN' });
    await list();
    await h.worker.drain();
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    await h.worker.drain();
    assert.deepEqual(
      reversedEntries(m.id).map((t) => [t.type, t.accountId, t.total, t.lineItems[0].accountCode]),
      [['SPEND', h.clearingAccountId, 5_000_000n, suspense]],
    );
    assert.equal(clearingBalance(), xenditBalance());
    assert.equal((await report()).reconciled, true);
  });

  for (const point of ['other-movement-reversal-accepted', 'other-movement-fee-return-accepted'] as const) {
    it(`a crash at ${point}: the re-run finds what Xero took by its Reference and sends nothing twice`, async () => {
      const m = payout(FEE);
      await list();
      await h.worker.drain();
      h.sims.xendit.test.reverseMovement(key(), m.id);
      await list();
      const job = await recordJob();
      assert.equal(job.state, 'queued', 'queued again by the listing');
      const deps = { stores: h.stores, xero: h.sims.xeroClient, clock: h.clock, logger: pino({ level: 'silent' }) };
      const died = new Error('power cut');
      await assert.rejects(
        recordOtherMovementJob({
          ...deps,
          crash: (p) => {
            if (p === point) throw died;
          },
        })(job),
        (err) => err === died,
      );
      assert.deepEqual([reversedEntries(m.id).length, feeReturns(m.id).length], point === 'other-movement-reversal-accepted' ? [1, 0] : [1, 1]);
      const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
      assert.equal(point === 'other-movement-reversal-accepted' ? row?.xeroReversalEntryId : row?.xeroFeeReturnEntryId, null, 'died before storing it');
      // Past Xero's Idempotency-Key: only the attempt mark and the look-up by Reference keep it from a second one.
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      h.clock.advance(3 * 60_000);
      await recordOtherMovementJob(deps)(job);
      await recordOtherMovementJob(deps)(job);
      assert.deepEqual(
        [entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length, reversedEntries(m.id).length, feeReturns(m.id).length],
        [1, 1, 1, 1],
      );
      const done = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
      assert.deepEqual(
        [done?.state, done?.xeroReversalEntryId, done?.xeroFeeReturnEntryId],
        ['recorded', reversedEntries(m.id)[0].bankTransactionId, feeReturns(m.id)[0].bankTransactionId],
      );
      assert.equal(clearingBalance(), xenditBalance());
    });
  }

  it('an entry whose outcome was unknown when the payout came back: found by its Reference, stored, and booked back once', async () => {
    const m = payout(undefined);
    h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/BankTransactions' });
    await list();
    await h.worker.drain();
    const unknown = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
    assert.ok(unknown?.attemptAt && !unknown.xeroBankTransactionId, 'outcome unknown');
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    h.clock.advance(3 * 60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await h.worker.drain();
    const [spend, ...again] = entries(`Xendit movement ${m.id}`);
    assert.equal(again.length, 0, 'not sent again');
    const [back, ...twice] = reversedEntries(m.id);
    assert.equal(twice.length, 0);
    const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
    assert.deepEqual([row?.state, row?.xeroBankTransactionId, row?.xeroReversalEntryId], ['recorded', spend.bankTransactionId, back?.bankTransactionId]);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('an entry whose outcome was unknown when the payout came back, never made by Xero: nothing is booked either way', async () => {
    const m = payout(undefined);
    h.sims.xero.faults.failNext(1, 503, { path: '/api.xro/2.0/BankTransactions' });
    await list();
    await h.worker.drain();
    assert.ok((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.attemptAt, 'outcome unknown');
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    h.clock.advance(3 * 60_000);
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement ${m.id}`).length, reversedEntries(m.id).length], [0, 0]);
    assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.state, 'off');
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('the account the payout was booked to is gone from the chart: review with the reason, nothing made; booked back by hand under its Reference, a Retry takes that one', async () => {
    const m = payout(undefined);
    await list();
    await h.worker.drain();
    h.sims.xero.test.removeAccount(h.tenantId, 'Xendit other movements');
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    await h.worker.drain();
    const job = await recordJob();
    const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
    assert.deepEqual([job.state, row?.state], ['needs_review', 'needs_review']);
    assert.match(row?.lastError ?? '', /^Xero refused the receive money \(movement reversed\): .*899/);
    assert.equal(reversedEntries(m.id).length, 0);
    assert.equal(row?.reversalAttemptAt, null, 'refused: no attempt left pending');

    // A person books it back by hand, on another account, under the Reference the review names.
    const byHand = await h.sims.xeroClient.createBankTransaction(
      h.merchant.xero,
      {
        type: 'RECEIVE',
        bankAccountId: h.clearingAccountId,
        contactName: 'Xendit',
        date: new Date(h.clock()).toISOString().slice(0, 10),
        reference: `Xendit movement reversed ${m.id}`,
        currencyCode: 'IDR',
        reconciled: true,
        lineItems: [{ description: 'payout back', accountCode: h.merchant.feeAccountCode!, amount: '20000' }],
      },
      'by-hand',
    );
    assert.ok(await h.stores.jobs.replay(job.id, h.clock(), ['needs_review']));
    await h.worker.drain();
    assert.deepEqual(
      reversedEntries(m.id).map((t) => t.bankTransactionId),
      [byHand.bankTransactionId],
      'no second one',
    );
    const done = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
    assert.deepEqual([done?.state, done?.xeroReversalEntryId, (await h.stores.jobs.byId(job.id))?.state], ['recorded', byHand.bankTransactionId, 'done']);
  });

  it('the clearing account archived in Xero since: review saying why, nothing made', async () => {
    const m = payout(undefined);
    await list();
    await h.worker.drain();
    h.sims.xero.test.archiveAccount(h.tenantId, h.clearingAccountId);
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    await h.worker.drain();
    const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
    assert.equal(row?.state, 'needs_review');
    assert.match(row?.lastError ?? '', /is not an active bank account.*Reference "Xendit movement reversed /);
    assert.equal(reversedEntries(m.id).length, 0);
  });

  it('a payout sent to review by the release before (told to void its entries by hand): a Retry settles it, nothing is booked back', async () => {
    const m = payout(FEE);
    await list();
    await h.worker.drain();
    const row = (await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))!;
    // As the release before left it: told to a person once it was listed REVERSED.
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await h.stores.otherMovements.reversalTold(row.id, 'Xendit lists it as REVERSED: void its entries', h.clock());
    await list();
    await h.worker.drain();
    const job = await recordJob();
    assert.ok(await h.stores.jobs.replay(job.id, h.clock(), ['needs_review', 'done']));
    await h.worker.drain();
    assert.deepEqual([reversedEntries(m.id).length, feeReturns(m.id).length], [0, 0], 'a person may have voided them: nothing booked back');
    assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.state, 'recorded');
  });

  it('a payout REVERSED before its job ran: nothing is booked', async () => {
    const m = payout(FEE);
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length], [0, 0]);
    assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.state, 'off');
    assert.equal(clearingBalance(), xenditBalance(), 'the money never left, on either side');
  });

  it('a crash after Xero accepted the fee, before it was stored: the re-run finds it by its Reference, one fee', async () => {
    const m = payout(FEE);
    await list();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement');
    const deps = { stores: h.stores, xero: h.sims.xeroClient, clock: h.clock, logger: pino({ level: 'silent' }) };
    const died = new Error('power cut');
    await assert.rejects(
      recordOtherMovementJob({
        ...deps,
        crash: (point) => {
          if (point === 'other-movement-fee-accepted') throw died;
        },
      })(job),
      (err) => err === died,
    );
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1);
    assert.equal((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))?.xeroFeeEntryId, null, 'died before storing it');
    // Past Xero's Idempotency-Key: only the attempt mark and the look-up by Reference keep it from a second one.
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    h.clock.advance(3 * 60_000);
    await recordOtherMovementJob(deps)(job);
    const [fee, ...again] = entries(`Xendit movement fee ${m.id}`);
    assert.equal(again.length, 0, 'one fee');
    assert.equal(entries(`Xendit movement ${m.id}`).length, 1);
    const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
    assert.deepEqual([row?.state, row?.xeroFeeEntryId], ['recorded', fee.bankTransactionId]);
    assert.equal(clearingBalance(), xenditBalance());
  });
});
