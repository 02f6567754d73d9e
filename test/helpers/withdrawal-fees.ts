/**
 * The set-up the withdrawal-fee tests share: a merchant whose IDR withdrawals go to the demo
 * organisation's savings account, and what they read back (transfers, fee entries, both balances, the report).
 */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { addedAtTheTestsStart, createHarness, paidThroughGateway, type Harness } from './harness.js';
import type { Db } from '../../app/store/db.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { reconciliationReport } from '../../app/report/reconcile.js';

/** Xendit's payout fee in the tests: IDR 5,000 + 11% VAT (docs.xendit.co/transaction-fees). */
export const FEE = { xenditFee: 5_000, vat: 550 };

/**
 * `onTestClock`: the simulated Xendit dates what it makes by the test's clock, and the merchant was
 * added at the test's start (tests that move the clock by days between a payout and its return).
 */
export function withdrawalFeeSetup(db: () => Db, { onTestClock = false } = {}) {
  let h: Harness;
  const t = {
    get h() {
      return h;
    },
    savings: '',
    async start() {
      h = await createHarness(db());
      t.savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
      await h.stores.settlements.saveAndResume(h.merchant.id, { IDR: t.savings }, () => 'unused', h.clock());
      if (!onTestClock) return;
      h.sims.xendit.test.useClock(h.clock);
      await addedAtTheTestsStart(h);
    },
    close() {
      if (onTestClock) h.sims.xendit.test.useClock();
      return h.close();
    },
    list: () => listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })(),
    transfers: () => h.sims.xero.test.bankTransfers(h.tenantId),
    feeEntries: (id: string) => h.sims.xero.bankTransactionsOf(h.tenantId).filter((x) => x.reference === `Xendit withdrawal fee ${id}`),
    /** The reconciliation report from yesterday to tomorrow, for the merchant as saved now (fee billing). */
    async report() {
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      return t.reportOf(day(-1), day(1));
    },
    /** The reconciliation report over `from`..`to` (dates), for the merchant as saved now. */
    async reportOf(from: string, to: string) {
      const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
      return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from, to });
    },
    /**
     * A withdrawal of IDR 100,000 that left on `out` and came back on `back` less the fee Xendit kept:
     * one `transferred` row in each range (out, back, both), each range's difference nothing.
     */
    async transferredEachRange(id: string, out: string, back: string) {
      for (const [from, to, shown] of [
        [out, out, ['transferred', '-100000.00', '-100000.00']],
        [back, back, ['transferred', '94450.00', '94450.00']],
        [out, back, ['transferred', '-5550.00', '-5550.00']],
      ] as const) {
        const r = await t.reportOf(from, to);
        const rows = r.rows.filter((x) => x.note.includes(id)).map((x) => [x.status, x.xenditAmount, x.xeroPayment]);
        assert.deepEqual([rows, r.totals.IDR?.difference, r.reconciled], [[shown], '0.00', true], `${from}..${to}: ${JSON.stringify([r.rows, r.totals])}`);
      }
    },
    /** Xendit's CASH balance in Xero's hundredths (IDR has no minor unit). */
    xenditBalance: () => BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100),
    clearingBalance: () => h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId),
    /** A payment recorded and settled into the Xendit balance. */
    async funded() {
      const { x } = await paidThroughGateway(h);
      await h.worker.drain();
      await h.sims.xendit.settle(x.id);
    },
  };
  return t;
}
