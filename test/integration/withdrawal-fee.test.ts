import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { reconciliationReport } from '../../app/report/reconcile.js';

/**
 * Xendit's payout fee (IDR 5,000 + VAT, docs.xendit.co/transaction-fees) on a withdrawal: shown as
 * the transaction's fee object, taken from the balance once the payout completes. The clearing
 * account follows Xendit's balance only when the fee is booked out of it too, once.
 */
describeEachDatabase('withdrawal fees: Xendit balance and the clearing account agree', ({ db }) => {
  let h: Harness;
  let savings: string;
  const FEE = { xenditFee: 5_000, vat: 550 };
  beforeEach(async () => {
    h = await createHarness(db());
    savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    await h.stores.settlements.saveAndResume(h.merchant.id, { IDR: savings }, () => 'unused', h.clock());
  });
  afterEach(() => h.close());

  const list = () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const transfers = () => h.sims.xero.test.bankTransfers(h.tenantId);
  const feeEntries = (id: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit withdrawal fee ${id}`);
  const report = async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!; // as saved now (fee billing)
    return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, merchant, { from: day(-1), to: day(1) });
  };
  /** Xendit's CASH balance in Xero's hundredths (IDR has no minor unit). */
  const xenditBalance = () => BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
  const clearingBalance = () => h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId);

  async function funded() {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id);
  }
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
        ['SPEND', h.clearingAccountId, [[h.merchant.feeAccountCode, 555_000n]]],
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
