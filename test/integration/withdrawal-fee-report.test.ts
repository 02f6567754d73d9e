import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { FEE, withdrawalFeeSetup } from '../helpers/withdrawal-fees.js';
import type { Harness } from '../helpers/harness.js';

/**
 * A withdrawal sent back before anything was booked, the fee kept by Xendit: that fee is all
 * record-withdrawal books, and the report counts it in the range its entry is dated in, however long
 * before that range the withdrawal was made and sent back.
 */
describeEachDatabase('withdrawal fees in the report: a kept fee counts where it is booked', ({ db }) => {
  const t = withdrawalFeeSetup(db, { onTestClock: true });
  let h: Harness;
  const DAY = 86_400_000;
  beforeEach(async () => {
    await t.start();
    h = t.h;
  });
  afterEach(() => t.close());
  // The tests' clock starts at 10:00 in Jakarta: its UTC day is the organisation's.
  const day = (at: Date, offset = 0) => new Date(at.getTime() + offset * DAY).toISOString().slice(0, 10);
  const reportOf = (from: string, to: string) => t.reportOf(from, to);
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

  it('sent back days after it left, before it was booked, its kept fee booked alone and given back later: each range shows its own half of the fee and of what left and came back', async () => {
    await t.funded();
    await h.worker.drain();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    const out = day(h.clock());
    h.clock.advance(3 * DAY);
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await t.list();
    await settle();
    const back = day(h.clock());
    h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
    for (let i = 0; i < 2; i++) {
      await t.list();
      await h.worker.drain();
    }
    const feeBack = h.sims.xero.bankTransactionsOf(h.tenantId).filter((x) => x.reference === `Xendit withdrawal fee returned ${w.id}`);
    assert.deepEqual(
      [t.feeEntries(w.id)[0]?.date, feeBack.map((x) => x.date)],
      [out, [back]],
      'the fee booked the day it left, given back the day it came back',
    );
    for (const [from, to, shown, difference, reconciled] of [
      [
        out,
        out,
        [
          ['transferred', '-5550.00', '-5550.00'],
          ['not_in_xero', '-100000.00', null],
        ],
        '-100000.00',
        false,
      ],
      [
        back,
        back,
        [
          ['transferred', '5550.00', '5550.00'],
          ['not_in_xero', '100000.00', null],
        ],
        '100000.00',
        false,
      ],
      [out, back, [['transferred', '0.00', '0.00']], '0.00', true],
    ] as const) {
      const r = await reportOf(from, to);
      const rows = r.rows.filter((x) => x.note.includes(w.id)).map((x) => [x.status, x.xenditAmount, x.xeroPayment]);
      assert.deepEqual(
        [rows, r.totals.IDR?.difference, r.reconciled],
        [shown, difference, reconciled],
        `${from}..${to}: ${JSON.stringify([r.rows.filter((x) => x.note.includes(w.id)), r.totals])}`,
      );
    }
  });

  it('sent back before it was booked, its kept fee booked alone, given back days later and not booked back yet: the give-back day counts it, missing in Xero', async () => {
    await t.funded();
    await h.worker.drain();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    h.clock.advance(3 * DAY);
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await t.list();
    await settle();
    const back = day(h.clock());
    h.clock.advance(3 * DAY);
    h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
    const given = day(h.clock());
    // Noted by the listing, its job not run yet.
    await t.list();
    for (const [from, to, shown, difference] of [
      [back, back, [['not_in_xero', '100000.00', null]], '100000.00'],
      [given, given, [['missing_in_xero', '5550.00', null]], '5550.00'],
    ] as const) {
      const r = await reportOf(from, to);
      const rows = r.rows.filter((x) => x.note.includes(w.id)).map((x) => [x.status, x.xenditAmount, x.xeroPayment]);
      assert.deepEqual([rows, r.totals.IDR?.difference, r.reconciled], [shown, difference, false], `${from}..${to}: ${JSON.stringify([r.rows, r.totals])}`);
    }
  });

  it('booked, sent back with its fee kept, the fee given back days later: its return is dated the day Xendit gave it back, and each range counts the halves it holds', async () => {
    await t.funded();
    await h.worker.drain();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    await t.list();
    await settle();
    assert.deepEqual([t.transfers().length, t.feeEntries(w.id).length], [1, 1], 'the transfer out and its fee');
    h.clock.advance(2 * DAY);
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await t.list();
    await settle();
    const back = day(h.clock());
    h.clock.advance(3 * DAY);
    h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
    const given = day(h.clock());
    for (let i = 0; i < 2; i++) {
      await t.list();
      await settle();
    }
    const feeBack = h.sims.xero.bankTransactionsOf(h.tenantId).filter((x) => x.reference === `Xendit withdrawal fee returned ${w.id}`);
    assert.deepEqual(
      feeBack.map((x) => x.date),
      [given],
      'the fee Xendit kept at the reversal, booked back the day it gave it back',
    );
    assert.equal(day((await h.stores.settlements.byXenditId(h.merchant.id, w.id))!.feeReturnedAt!), given, 'kept in the database');
    // Its job run again days later: the entry is found by its Reference, not made again nor redated.
    h.clock.advance(2 * DAY);
    const [job] = (await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal');
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await settle();
    assert.deepEqual(
      h.sims.xero
        .bankTransactionsOf(h.tenantId)
        .filter((x) => x.reference === `Xendit withdrawal fee returned ${w.id}`)
        .map((x) => x.date),
      [given],
      'once, as it was',
    );
    for (const [from, to, shown] of [
      [back, back, ['transferred', '100000.00', '100000.00']],
      [given, given, ['transferred', '5550.00', '5550.00']],
      [back, given, ['transferred', '105550.00', '105550.00']],
    ] as const) {
      const r = await reportOf(from, to);
      const rows = r.rows.filter((x) => x.note.includes(w.id)).map((x) => [x.status, x.xenditAmount, x.xeroPayment]);
      assert.deepEqual([rows, r.totals.IDR?.difference, r.reconciled], [[shown], '0.00', true], `${from}..${to}: ${JSON.stringify([r.rows, r.totals])}`);
    }
  });

  it('booked, sent back with its fee kept, the fee given back on a day Xero has locked since: booked back the first open day, and counted there on both sides', async () => {
    await t.funded();
    await h.worker.drain();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, { fee: FEE });
    await t.list();
    await settle();
    h.clock.advance(2 * DAY);
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, { fee: 'COMPLETED' });
    await t.list();
    await settle();
    const back = day(h.clock());
    h.clock.advance(3 * DAY);
    h.sims.xendit.test.giveWithdrawalFeeBack(h.merchant.xenditSecretKey, w.id);
    const given = day(h.clock());
    h.sims.xero.test.setLockDates(h.tenantId, { period: given });
    for (let i = 0; i < 2; i++) {
      await t.list();
      await settle();
    }
    const open = day(h.clock(), 1);
    const feeBack = h.sims.xero.bankTransactionsOf(h.tenantId).filter((x) => x.reference === `Xendit withdrawal fee returned ${w.id}`);
    assert.deepEqual(
      feeBack.map((x) => x.date),
      [open],
      'the first day after the lock date',
    );
    for (const [from, to, shown] of [
      [back, given, ['transferred', '100000.00', '100000.00']],
      [open, open, ['transferred', '5550.00', '5550.00']],
    ] as const) {
      const r = await reportOf(from, to);
      const rows = r.rows.filter((x) => x.note.includes(w.id)).map((x) => [x.status, x.xenditAmount, x.xeroPayment]);
      assert.deepEqual([rows, r.totals.IDR?.difference, r.reconciled], [[shown], '0.00', true], `${from}..${to}: ${JSON.stringify([r.rows, r.totals])}`);
    }
    // The locked day the fee came back says so (shown, not counted), alone and beside the reversal.
    const locked = (await reportOf(given, given)).rows.filter((x) => x.note.includes(w.id));
    assert.deepEqual(
      locked.map((x) => [x.status, x.xenditAmount, x.xeroPayment, x.date]),
      [['xendit_only', '5550.00', null, given]],
      JSON.stringify(locked),
    );
    assert.match(locked[0]!.note, new RegExp(`given back on ${given}.*${open}.*locked`));
    const both = (await reportOf(back, given)).rows.filter((x) => x.note.includes(w.id));
    assert.match(both[0]!.note, new RegExp(`given back on ${given}.*${open}.*locked`), JSON.stringify(both));
  });

  // Sent back days after it left, before the gateway booked it: nothing in Xero follows what left and
  // came back (besides a fee Xendit kept), so Xendit's balance is below the clearing account by it in
  // between. A range holding only one of the two days is not reconciled; one holding both is.
  // What left and came back besides a fee kept: IDR 100,000, and a fee on top given back with it.
  for (const [fee, kept, half] of [
    [FEE, true, '100000.00'],
    [FEE, false, '105550.00'],
    [undefined, false, '100000.00'],
  ] as const) {
    it(`sent back days after it left, before it was booked, ${fee ? (kept ? 'its fee kept' : 'its fee given back') : 'no fee'}: a range holding only one of its days is off by what left and came back, one holding both is reconciled`, async () => {
      await t.funded();
      await h.worker.drain();
      const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000, fee ? { fee } : {});
      const out = day(h.clock());
      h.clock.advance(3 * DAY);
      h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id, undefined, fee ? { fee: kept ? 'COMPLETED' : 'REVERSED' } : undefined);
      await t.list();
      await settle();
      assert.deepEqual([t.transfers().length, t.feeEntries(w.id).length], [0, kept ? 1 : 0], kept ? 'the fee alone' : 'nothing booked');
      const back = day(h.clock());
      for (const [from, to, difference, reconciled] of [
        [out, out, `-${half}`, false],
        [back, back, half, false],
        [out, back, '0.00', true],
      ] as const) {
        const r = await reportOf(from, to);
        const shown = r.rows.filter((x) => x.note.includes(w.id)).map((x) => [x.status, x.xenditAmount, x.xeroPayment]);
        assert.deepEqual([r.totals.IDR?.difference, r.reconciled], [difference, reconciled], `${from}..${to}: ${JSON.stringify([shown, r.totals])}`);
      }
    });
  }
});
