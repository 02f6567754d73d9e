import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { movementSetup } from '../helpers/movement-fees.js';
import type { Harness } from '../helpers/harness.js';
import { reconciliationReport } from '../../app/report/reconcile.js';

/**
 * A payout of Xendit's balance (DISBURSEMENT, IDR 20,000, fee IDR 5,000 + VAT 550 on top) sent back
 * by the bank (REVERSED) before it was booked, in the report: each range counts what happened in it,
 * once, however the entries of it are dated (a lock date) and whoever booked them.
 */
describeEachDatabase('movement reversals in the report: each range counts what happened in it, once', ({ db }) => {
  const t = movementSetup(db);
  let h: Harness;
  const FEE = { xenditFee: 5_000, vat: 550 };
  const DAY = 86_400_000;
  beforeEach(async () => {
    await t.start();
    h = t.h;
  });
  afterEach(() => t.close());

  const { key, list, entries } = t;
  // The tests' clock starts at 10:00 in Jakarta: its UTC day is the organisation's.
  const day = (at: Date, offset = 0) => new Date(at.getTime() + offset * DAY).toISOString().slice(0, 10);
  const reportOf = async (from: string, to: string) => {
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from, to });
  };
  const payout = () => h.sims.xendit.test.movement(key(), { type: 'DISBURSEMENT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT', fee: FEE });
  /** Retries come a second after a refusal (a lock date learnt from it): let the clock and the worker run them. */
  async function settle() {
    for (let i = 0; i < 5; i++) {
      h.clock.advance(5_000);
      await h.worker.drain();
    }
  }
  const rowOf = (r: Awaited<ReturnType<typeof reportOf>>, id: string) => r.rows.find((x) => x.note.includes(id));
  const show = (r: Awaited<ReturnType<typeof reportOf>>, id: string) => JSON.stringify([rowOf(r, id), r.totals]);

  it('the fee Xendit kept, its day locked in Xero: counted once, in the range of the day its entry carries, not in the range of the day it moved', async () => {
    const m = payout();
    await list();
    const out = day(h.clock());
    h.sims.xero.test.setLockDates(h.tenantId, { period: out });
    h.clock.advance(3 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await settle();
    const [fee, ...again] = entries(`Xendit movement fee ${m.id}`);
    assert.equal(again.length, 0);
    assert.equal(fee?.date, day(h.clock(), -2), 'dated the first open day after the lock date');

    // The day it moved holds what left besides the fee (nothing in Xero follows it); not the fee, counted where Xero dates it.
    const left = await reportOf(out, out);
    const there = left.rows.filter((x) => x.note.includes(m.id)).map((x) => [x.status, x.xenditAmount, x.xeroPayment]);
    assert.deepEqual(there, [['not_in_xero', '-20000.00', null]], show(left, m.id));
    const booked = await reportOf(fee.date!, fee.date!);
    const shown = rowOf(booked, m.id);
    assert.deepEqual([shown?.status, shown?.xenditAmount, shown?.xeroPayment], ['matched', '-5550.00', '-5550.00'], show(booked, m.id));
    // The two days read apart count what the two read together count.
    const both = await reportOf(out, fee.date!);
    const net = (r: typeof both) => BigInt(r.totals.IDR.xenditNet.replace('.', ''));
    assert.equal(net(left) + net(booked), net(both), `${show(left, m.id)} + ${show(booked, m.id)} = ${show(both, m.id)}`);
  });
  /** A payout listed, sent back three days later with its fee kept, listed again and drained: its day out and day back. */
  async function sentBackDaysLater() {
    const m = payout();
    await list();
    const out = day(h.clock());
    h.clock.advance(3 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    return { m, out, back: day(h.clock()) };
  }

  it('the fee Xendit kept booked alone, given back days later: each range counts the entry of it it holds, matched', async () => {
    const { m, out, back } = await sentBackDaysLater();
    assert.equal(entries(`Xendit movement fee ${m.id}`)[0]?.date, out, 'the fee Xendit kept, booked alone');
    h.clock.advance(DAY);
    h.sims.xendit.test.giveMovementFeeBack(key(), m.id);
    const given = day(h.clock());
    for (let i = 0; i < 2; i++) {
      await list();
      await h.worker.drain();
    }
    assert.equal(entries(`Xendit movement fee returned ${m.id}`)[0]?.date, given, 'booked back, dated the day Xendit gave it back');

    for (const [date, amount] of [
      [out, '-5550.00'],
      [given, '5550.00'],
    ] as const) {
      const r = await reportOf(date, date);
      const fee = r.rows.find((x) => x.note.includes(m.id) && x.xeroPayment !== null);
      assert.deepEqual(
        [fee?.status, fee?.xenditAmount, fee?.xeroPayment],
        ['matched', amount, amount],
        JSON.stringify(r.rows.filter((x) => x.note.includes(m.id))),
      );
    }
    const both = await reportOf(out, back);
    assert.equal(both.reconciled, true, show(both, m.id));
  });

  /** A payout booked, sent back two days later with its fee kept, the fee given back three days after that (the day `given`, locked first when `lock`). */
  async function bookedThenFeeGivenBackLater(lock: boolean) {
    const m = payout();
    await list();
    await settle();
    assert.deepEqual([entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length], [1, 1], 'the payout and its fee booked');
    h.clock.advance(2 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await settle();
    const back = day(h.clock());
    assert.deepEqual([entries(`Xendit movement reversed ${m.id}`).length, entries(`Xendit movement fee returned ${m.id}`).length], [1, 0]);
    h.clock.advance(3 * DAY);
    h.sims.xendit.test.giveMovementFeeBack(key(), m.id);
    const given = day(h.clock());
    if (lock) h.sims.xero.test.setLockDates(h.tenantId, { period: given });
    for (let i = 0; i < 2; i++) {
      await list();
      await settle();
    }
    return { m, back, given };
  }
  const counted = async (from: string, to: string, id: string) => {
    const r = await reportOf(from, to);
    const rows = r.rows.filter((x) => x.note.includes(id)).map((x) => [x.status, x.xenditAmount, x.xeroPayment]);
    return { got: [rows, r.totals.IDR?.difference, r.reconciled], why: `${from}..${to}: ${JSON.stringify([r.rows, r.totals])}` };
  };

  it('booked, sent back with its fee kept, the fee given back days later: its return is dated the day Xendit gave it back, and each range counts the halves it holds', async () => {
    const { m, back, given } = await bookedThenFeeGivenBackLater(false);
    const feeBack = entries(`Xendit movement fee returned ${m.id}`);
    assert.deepEqual(
      feeBack.map((x) => x.date),
      [given],
      'the fee Xendit kept at the reversal, booked back the day it gave it back',
    );
    assert.equal(day((await h.stores.otherMovements.byXenditId(h.merchant.id, m.id))!.feeReturnedAt!), given, 'kept in the database');
    for (const [from, to, shown] of [
      [back, back, ['matched', '20000.00', '20000.00']],
      [given, given, ['matched', '5550.00', '5550.00']],
      [back, given, ['matched', '25550.00', '25550.00']],
    ] as const) {
      const { got, why } = await counted(from, to, m.id);
      assert.deepEqual(got, [[shown], '0.00', true], why);
    }
  });

  it('booked, sent back with its fee kept, the fee given back on a day Xero has locked since: booked back the first open day, and counted there on both sides', async () => {
    const { m, back, given } = await bookedThenFeeGivenBackLater(true);
    const open = day(new Date(`${given}T03:00:00Z`), 1);
    assert.deepEqual(
      entries(`Xendit movement fee returned ${m.id}`).map((x) => x.date),
      [open],
      'the first day after the lock date',
    );
    for (const [from, to, shown] of [
      [back, given, ['matched', '20000.00', '20000.00']],
      [open, open, ['matched', '5550.00', '5550.00']],
    ] as const) {
      const { got, why } = await counted(from, to, m.id);
      assert.deepEqual(got, [[shown], '0.00', true], why);
    }
    // The locked day the fee came back says so (shown, not counted), alone and beside the reversal.
    const locked = (await reportOf(given, given)).rows.filter((x) => x.note.includes(m.id));
    assert.deepEqual(
      locked.map((x) => [x.status, x.xenditAmount, x.xeroPayment, x.date]),
      [['xendit_only', '5550.00', null, given]],
      JSON.stringify(locked),
    );
    assert.match(locked[0]!.note, new RegExp(`given back on ${given}.*${open}.*locked`));
    const both = (await reportOf(back, given)).rows.filter((x) => x.note.includes(m.id));
    assert.match(both[0]!.note, new RegExp(`given back on ${given}.*${open}.*locked`), JSON.stringify(both));
  });

  it('the fee Xendit kept booked alone, given back days later, not booked back yet: the give-back day counts it, not in Xero', async () => {
    const { m, back } = await sentBackDaysLater();
    h.clock.advance(2 * DAY);
    h.sims.xendit.test.giveMovementFeeBack(key(), m.id);
    const given = day(h.clock());
    // Noted by the listing, its job not run yet.
    await list();
    for (const [from, to, shown, difference] of [
      [back, back, [['not_in_xero', '20000.00', null]], '20000.00'],
      [given, given, [['not_in_xero', '5550.00', null]], '5550.00'],
    ] as const) {
      const r = await reportOf(from, to);
      const rows = r.rows.filter((x) => x.note.includes(m.id)).map((x) => [x.status, x.xenditAmount, x.xeroPayment]);
      assert.deepEqual([rows, r.totals.IDR?.difference, r.reconciled], [shown, difference, false], `${from}..${to}: ${JSON.stringify([r.rows, r.totals])}`);
    }
  });

  it("the fee Xendit kept booked by a person in Xero (booking of movements off): matched to its movement, not left as an entry of the clearing account's own", async () => {
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: null }, h.clock());
    const m = payout();
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 0, 'the gateway books nothing');
    const today = day(h.clock());
    await h.sims.xeroClient.createBankTransaction(
      h.merchant.xero,
      {
        type: 'SPEND',
        bankAccountId: h.clearingAccountId,
        contactName: 'Xendit',
        date: today,
        reference: `Payout fee ${m.id}`,
        currencyCode: 'IDR',
        reconciled: true,
        lineItems: [{ description: 'fee Xendit kept on a payout sent back', accountCode: h.merchant.feeAccountCode!, amount: '5550' }],
      },
      'by-hand',
    );
    const r = await reportOf(today, today);
    const shown = r.rows.filter((x) => x.note.includes(m.id) || x.note.includes('Payout fee'));
    assert.deepEqual(
      shown.map((x) => [x.status, x.xenditAmount, x.xeroPayment]),
      [['matched', '-5550.00', '-5550.00']],
      JSON.stringify(shown),
    );
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
  });
  it("sent back days after it moved, before it was booked, the fee kept: a range holding only one of its days is not reconciled (Xendit's balance differs by the payout there), one holding both is", async () => {
    const { m, out, back } = await sentBackDaysLater();
    for (const [from, to, difference, reconciled] of [
      [out, out, '-20000.00', false],
      [back, back, '20000.00', false],
      [out, back, '0.00', true],
    ] as const) {
      const r = await reportOf(from, to);
      assert.deepEqual([r.totals.IDR?.difference, r.reconciled], [difference, reconciled], `${from}..${to}: ${show(r, m.id)}`);
    }
  });

  it("the fee Xendit kept booked by a person two days later: a timing difference, on Xendit's side in the range it moved in and on Xero's in the range of the booking, each shown once", async () => {
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: null }, h.clock());
    const m = payout();
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    const out = day(h.clock());
    const booked = day(h.clock(), 2);
    await h.sims.xeroClient.createBankTransaction(
      h.merchant.xero,
      {
        type: 'SPEND',
        bankAccountId: h.clearingAccountId,
        contactName: 'Xendit',
        date: booked,
        reference: `Payout fee ${m.id}`,
        currencyCode: 'IDR',
        reconciled: true,
        lineItems: [{ description: 'fee Xendit kept on a payout sent back', accountCode: h.merchant.feeAccountCode!, amount: '5550' }],
      },
      'by-hand',
    );
    for (const [from, to, shown, difference, reconciled] of [
      [out, out, [['timing', '-5550.00', null]], '-5550.00', false],
      [booked, booked, [['timing', null, '-5550.00']], '5550.00', false],
      [out, booked, [['matched', '-5550.00', '-5550.00']], '0.00', true],
    ] as const) {
      const r = await reportOf(from, to);
      const rows = r.rows.filter((x) => x.note.includes(m.id) || x.note.includes('Payout fee'));
      const what = `${from}..${to}: ${JSON.stringify([rows, r.totals])}`;
      assert.deepEqual(
        [rows.map((x) => [x.status, x.xenditAmount, x.xeroPayment]), r.totals.IDR?.difference, r.reconciled],
        [shown, difference, reconciled],
        what,
      );
      if (from !== to) continue;
      assert.match(rows[0].note, from === out ? new RegExp(`booked in Xero on ${booked}`) : new RegExp(`left Xendit's balance on ${out}`), what);
    }
  });

  it("the fee Xendit kept booked by a person after a lock date that holds the day it moved: counted once, in the range of the booking, as the gateway's would be", async () => {
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: null }, h.clock());
    const m = payout();
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    const out = day(h.clock());
    const booked = day(h.clock(), 2);
    await h.stores.merchants.setXeroLockDate(h.merchant.id, day(h.clock(), 1), h.clock());
    await h.sims.xeroClient.createBankTransaction(
      h.merchant.xero,
      {
        type: 'SPEND',
        bankAccountId: h.clearingAccountId,
        contactName: 'Xendit',
        date: booked,
        reference: `Payout fee ${m.id}`,
        currencyCode: 'IDR',
        reconciled: true,
        lineItems: [{ description: 'fee Xendit kept on a payout sent back', accountCode: h.merchant.feeAccountCode!, amount: '5550' }],
      },
      'by-hand',
    );
    for (const [from, to, shown, difference] of [
      [out, out, [], '0.00'],
      [booked, booked, [['matched', '-5550.00', '-5550.00']], '0.00'],
    ] as const) {
      const r = await reportOf(from, to);
      const rows = r.rows.filter((x) => x.note.includes(m.id) || x.note.includes('Payout fee'));
      assert.deepEqual(
        [rows.map((x) => [x.status, x.xenditAmount, x.xeroPayment]), r.totals.IDR?.difference ?? '0.00', r.reconciled],
        [shown, difference, true],
        `${from}..${to}: ${JSON.stringify([rows, r.totals])}`,
      );
    }
  });
});
