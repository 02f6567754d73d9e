import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { FEE, withdrawalFeeSetup } from '../helpers/withdrawal-fees.js';
import { addedAtTheTestsStart, type Harness } from '../helpers/harness.js';
import { reconciliationReport } from '../../app/report/reconcile.js';

/**
 * A withdrawal sent back before anything was booked, the fee kept by Xendit: that fee is all
 * record-withdrawal books, and the report counts it in the range its entry is dated in, however long
 * before that range the withdrawal was made and sent back.
 */
describeEachDatabase('withdrawal fees in the report: a kept fee counts where it is booked', ({ db }) => {
  const t = withdrawalFeeSetup(db);
  let h: Harness;
  const DAY = 86_400_000;
  beforeEach(async () => {
    await t.start();
    h = t.h;
    h.sims.xendit.test.useClock(h.clock);
    await addedAtTheTestsStart(h);
  });
  afterEach(() => {
    h.sims.xendit.test.useClock();
    return t.close();
  });
  // The tests' clock starts at 10:00 in Jakarta: its UTC day is the organisation's.
  const day = (at: Date, offset = 0) => new Date(at.getTime() + offset * DAY).toISOString().slice(0, 10);
  const reportOf = async (from: string, to: string) => {
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from, to });
  };
  /** Retries come a second after a refusal (a lock date learnt from it): let the clock and the worker run them. */
  async function settle() {
    for (let i = 0; i < 5; i++) {
      h.clock.advance(5_000);
      await h.worker.drain();
    }
  }

  it('made and sent back more than 31 days before the range, its kept fee booked in the range (its days locked): counted there, on both sides', async () => {
    await t.funded();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    const made = h.clock();
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    // The accountant locked the weeks that followed before the gateway booked it.
    h.sims.xero.test.setLockDates(h.tenantId, { period: day(made, 40) });
    await t.list();
    await settle();
    const [fee, ...again] = t.feeEntries(w.id);
    assert.equal(again.length, 0);
    assert.deepEqual([fee?.date, t.transfers().length], [day(made, 41), 0], 'the fee alone, the first open day');

    const r = await reportOf(fee.date!, fee.date!);
    const shown = r.rows.find((x) => x.note.includes(w.id));
    assert.deepEqual([shown?.status, shown?.xenditAmount, shown?.xeroPayment], ['transferred', '-5550.00', '-5550.00'], JSON.stringify(r.rows));
    assert.deepEqual([r.totals.IDR?.xenditNet, r.totals.IDR?.xeroNet], ['-5550.00', '-5550.00'], JSON.stringify(r.totals));
  });
});
