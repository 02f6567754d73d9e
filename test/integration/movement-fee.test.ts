import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { addedAtTheTestsStart, createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
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
  let h: Harness;
  let suspense: string;
  const FEE = { xenditFee: 5_000, vat: 550 };
  beforeEach(async () => {
    h = await createHarness(db());
    suspense = h.sims.xero.addAccount(h.tenantId, { code: '899', name: 'Xendit other movements', type: 'CURRENT' }).code;
    h.sims.xendit.test.useClock(h.clock);
    await addedAtTheTestsStart(h);
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id, { sendCallback: false });
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: suspense }, h.clock());
    h.clock.advance(60_000);
  });
  afterEach(() => {
    h.sims.xendit.test.useClock();
    return h.close();
  });

  const key = () => h.merchant.xenditSecretKey;
  const list = () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const entries = (reference: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === reference && t.status === 'AUTHORISED');
  const xenditBalance = () => BigInt(h.sims.xendit.test.balance(key(), 'IDR') * 100);
  const clearingBalance = () => h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId);
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

  it('a payout booked with its fee, then REVERSED by the bank: its money and fee back at Xendit, the entries sent to review once; a Retry ends it', async () => {
    const m = payout(FEE);
    await list();
    await h.worker.drain();
    const before = xenditBalance();
    h.sims.xendit.test.reverseMovement(key(), m.id);
    assert.equal(xenditBalance() - before, 2_555_000n, 'the amount and its fee back in the balance');
    await list();
    await h.worker.drain();
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement');
    const row = await h.stores.otherMovements.byXenditId(h.merchant.id, m.id);
    assert.equal(job.state, 'needs_review', 'sent to a person');
    assert.equal(row?.state, 'needs_review');
    assert.match(row?.lastError ?? '', new RegExp(`REVERSED.*"Xendit movement ${m.id}" and "Xendit movement fee ${m.id}"`));
    // Listed again: told once.
    await list();
    await h.worker.drain();
    assert.equal((await h.stores.jobs.byId(job.id))?.attempts, job.attempts, 'not run again');
    assert.deepEqual([entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length], [1, 1], 'nothing booked by itself');
    // The person voided them (or booked the money back) and retries.
    assert.ok(await h.stores.jobs.replay(job.id, h.clock(), ['needs_review']));
    await h.worker.drain();
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'done');
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
