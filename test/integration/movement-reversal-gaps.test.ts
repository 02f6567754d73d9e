import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { movementSetup } from '../helpers/movement-fees.js';
import type { Harness } from '../helpers/harness.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { UNSETTLED_MS } from '../../app/jobs/sync/send-once.js';

/**
 * A payout of Xendit's balance (DISBURSEMENT, IDR 20,000, fee IDR 5,000 + VAT 550 on top) sent back
 * by the bank (REVERSED), in the cases the book-back first left out: its book-back not made yet when a
 * later month's report is read, reversed before it was booked with the fee Xendit kept, a kept fee
 * learnt from the reversed listing, the day the return is dated by, and a person's entry gone.
 */
describeEachDatabase('movement reversals: what came back is counted and booked, once', ({ db }) => {
  const t = movementSetup(db);
  let h: Harness;
  const FEE = { xenditFee: 5_000, vat: 550 };
  const DAY = 86_400_000;
  beforeEach(async () => {
    await t.start();
    h = t.h;
  });
  afterEach(() => t.close());

  const { key, list, entries, xenditBalance, clearingBalance } = t;
  const around = (at: Date) => {
    const day = (offset: number) => new Date(at.getTime() + offset * DAY).toISOString().slice(0, 10);
    return { from: day(-1), to: day(1) };
  };
  const reportOf = async (range: { from: string; to: string }) => {
    const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
    return reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, range);
  };
  const payout = (fee: Parameters<typeof h.sims.xendit.test.movement>[1]['fee'], amount = 20_000) =>
    h.sims.xendit.test.movement(key(), { type: 'DISBURSEMENT', currency: 'IDR', amount, cashflow: 'MONEY_OUT', fee });
  const recordJob = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement')[0];
  const rowOf = (id: string) => h.stores.otherMovements.byXenditId(h.merchant.id, id);

  it("booked, reversed days later, its book-back not made yet: the range it came back in counts Xendit's side and shows it not in Xero", async () => {
    const m = payout(FEE);
    await list();
    await h.worker.drain();
    h.clock.advance(6 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id);
    // Listed, its job queued, not run yet (waiting, or in review).
    await list();
    const waiting = await reportOf(around(h.clock()));
    const shown = waiting.rows.find((x) => x.note.includes(m.id));
    assert.deepEqual([shown?.status, shown?.xenditAmount, shown?.xeroPayment], ['not_in_xero', '25550.00', null], JSON.stringify(waiting.rows));
    assert.equal(waiting.reconciled, false, 'Xendit rose by what came back, the clearing account did not');

    await h.worker.drain();
    const booked = await reportOf(around(h.clock()));
    const after = booked.rows.find((x) => x.note.includes(m.id));
    assert.deepEqual([after?.status, after?.xenditAmount, after?.xeroPayment], ['matched', '25550.00', '25550.00'], JSON.stringify(booked.rows));
    assert.equal(booked.reconciled, true, JSON.stringify(booked.rows));
  });

  it('booked, reversed days later, the fee Xendit kept booked and its entry back refused by Xero: the range it came back in is not reconciled until it is booked back', async () => {
    const m = payout({ ...FEE, pending: true });
    await list();
    await h.worker.drain();
    h.clock.advance(6 * DAY);
    h.sims.xendit.test.completeMovementFee(key(), m.id);
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    // The fee is booked; Xero refuses the entry back that follows (asked after the clearing account is read).
    h.sims.xero.faults.beforeRequest(1, () => h.sims.xero.faults.failNext(10, 503, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' }), {
      method: 'GET',
      path: '/api.xro/2.0/Accounts',
    });
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1, 'the fee Xendit kept booked');
    assert.equal(entries(`Xendit movement reversed ${m.id}`).length, 0, 'refused');
    const row = (await rowOf(m.id))!;
    assert.notEqual(row.state, 'recorded', 'not settled while its entry back is to be made');

    const waiting = await reportOf(around(h.clock()));
    const shown = waiting.rows.find((x) => x.note.includes(m.id));
    assert.deepEqual([shown?.status, shown?.xenditAmount], ['not_in_xero', '20000.00'], JSON.stringify(waiting.rows));
    assert.equal(waiting.reconciled, false, 'Xendit rose by what came back, the clearing account did not');

    // Its job's retry, once Xero takes writes again.
    h.sims.xero.faults.reset();
    h.clock.advance(DAY);
    await h.worker.drain();
    assert.equal(entries(`Xendit movement reversed ${m.id}`).length, 1);
    assert.equal((await rowOf(m.id))?.state, 'recorded');
    const booked = await reportOf(around(h.clock()));
    assert.equal(booked.reconciled, true, JSON.stringify(booked.rows));
  });

  it('reversed before it was booked, the fee kept by Xendit: the fee alone is booked out of the clearing account, once; the report counts it', async () => {
    const m = payout(FEE);
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();

    assert.equal(entries(`Xendit movement ${m.id}`).length, 0, 'the payout itself never left for good');
    const [fee, ...again] = entries(`Xendit movement fee ${m.id}`);
    assert.equal(again.length, 0);
    assert.deepEqual([fee?.type, fee?.accountId, fee?.total], ['SPEND', h.clearingAccountId, 555_000n], 'the fee Xendit kept, out of the clearing account');
    assert.equal(clearingBalance(), xenditBalance(), "the clearing account holds Xendit's balance");
    const row = await rowOf(m.id);
    assert.deepEqual([row?.state, row?.xeroFeeEntryId], ['recorded', fee.bankTransactionId]);

    const r = await reportOf(around(h.clock()));
    const shown = r.rows.find((x) => x.note.includes(m.id));
    assert.deepEqual([shown?.status, shown?.xenditAmount, shown?.xeroPayment], ['matched', '-5550.00', '-5550.00'], JSON.stringify(r.rows));
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));

    await list();
    assert.ok(await h.stores.jobs.replay((await recordJob()).id, h.clock()));
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1, 'once');
  });

  it('reversed days after it moved, before it was booked, the fee kept: the fee is counted in the range it moved in, and each range holding one day alone is off by what left and came back', async () => {
    const m = payout(FEE);
    await list();
    const leftAt = h.clock();
    h.clock.advance(6 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee ${m.id}`)[0]?.date, leftAt.toISOString().slice(0, 10), 'dated the day it moved');
    const left = await reportOf(around(leftAt));
    const shown = left.rows.find((x) => x.note.includes(m.id));
    assert.deepEqual([shown?.status, shown?.xenditAmount, shown?.xeroPayment], ['matched', '-5550.00', '-5550.00'], JSON.stringify(left.rows));
    // Xendit's balance is lower by the payout until it came back; nothing in Xero follows it.
    assert.deepEqual([left.totals.IDR?.difference, left.reconciled], ['-20000.00', false], JSON.stringify(left.rows));
    // The range it came back in holds that half alone (what came back, less the fee kept): counted on Xendit's side.
    const back = await reportOf(around(h.clock()));
    const half = back.rows.find((x) => x.note.includes(m.id));
    assert.deepEqual([half?.status, half?.xenditAmount, half?.xeroPayment], ['not_in_xero', '20000.00', null], JSON.stringify(back.rows));
    assert.equal(back.reconciled, false, JSON.stringify(back.rows));
    const both = await reportOf({ from: around(leftAt).from, to: around(h.clock()).to });
    assert.equal(both.reconciled, true, JSON.stringify(both.rows));
  });

  it("reversed days after it moved, before it was booked, its fee given back: each range holding one half counts it on Xendit's side, the range holding both nets it", async () => {
    const m = payout(FEE);
    await list();
    const leftAt = h.clock();
    h.clock.advance(6 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    await h.worker.drain();
    for (const [at, amount] of [
      [leftAt, '-25550.00'],
      [h.clock(), '25550.00'],
    ] as const) {
      const r = await reportOf(around(at));
      const shown = r.rows.find((x) => x.note.includes(m.id));
      assert.deepEqual([shown?.status, shown?.xenditAmount, shown?.xeroPayment], ['not_in_xero', amount, null], JSON.stringify(r.rows));
      assert.equal(r.reconciled, false, JSON.stringify(r.rows));
    }
    const both = await reportOf({ from: around(leftAt).from, to: around(h.clock()).to });
    assert.equal(both.reconciled, true, JSON.stringify(both.rows));
  });

  it("booked, its fee's Spend Money without an answer (a 503), reversed with the fee kept: the entry back is booked in that run, the fee once its send may no longer be in the making, each once", async () => {
    const m = payout({ ...FEE, pending: true });
    await list();
    await h.worker.drain();
    h.sims.xendit.test.completeMovementFee(key(), m.id);
    h.sims.xero.faults.failNext(1, 503, { method: 'PUT', path: '/api.xro/2.0/BankTransactions' });
    await list();
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement fee ${m.id}`).length, !!(await rowOf(m.id))?.feeAttemptAt], [0, true], 'its outcome unknown');

    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    h.clock.advance(UNSETTLED_MS / 2);
    await h.worker.drain();
    const waiting = await rowOf(m.id);
    assert.equal(entries(`Xendit movement reversed ${m.id}`).length, 1, `the entry back booked while the fee waits: ${waiting?.lastError}`);
    assert.deepEqual([!!waiting?.feeAttemptAt, entries(`Xendit movement fee ${m.id}`).length], [true, 0]);
    assert.notEqual(waiting?.state, 'recorded', 'not settled while its fee is to be booked');

    h.clock.advance(UNSETTLED_MS);
    await h.worker.drain();
    const r = await rowOf(m.id);
    assert.deepEqual([r?.state, r?.feeAttemptAt], ['recorded', null], r?.lastError ?? '');
    assert.deepEqual(
      [entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement reversed ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length],
      [1, 1, 1],
      'each once',
    );
    assert.equal(r?.xeroFeeEntryId, entries(`Xendit movement fee ${m.id}`)[0].bankTransactionId);
    assert.equal(clearingBalance(), xenditBalance());
    await list();
    assert.ok(await h.stores.jobs.replay((await recordJob()).id, h.clock()));
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement reversed ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length], [1, 1]);
  });

  it('marked off by the release before with the fee Xendit kept known: queued once more by the listing, and the fee booked once', async () => {
    const m = payout(FEE);
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    // As the release before left it: off, nothing booked.
    const before = (await rowOf(m.id))!;
    await h.stores.otherMovements.off(before.id, 'sent back into the Xendit balance (REVERSED) before it was booked: nothing to book', h.clock());
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 0);

    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1, 'the fee Xendit kept booked');
    assert.equal(clearingBalance(), xenditBalance());
    const noted = (await rowOf(m.id))!;
    assert.equal(noted.state, 'recorded');

    // Queued once, not by every listing.
    const job = await recordJob();
    await list();
    assert.equal((await recordJob()).payload.retry, job.payload.retry, 'not queued again');
  });

  it('marked off by the release before with the fee Xendit kept, no longer listed (over 45 days on): read again by its id, its fee booked once, and read no more', async () => {
    const m = payout(FEE);
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    // As the release before left it: off, nothing booked, its job done.
    await h.stores.otherMovements.off((await rowOf(m.id))!.id, 'sent back into the Xendit balance (REVERSED) before it was booked: nothing to book', h.clock());
    await h.stores.db.updateTable('jobs').set({ state: 'done' }).where('kind', '=', 'record-other-movement').execute();
    h.clock.advance(46 * DAY);
    h.sims.xendit.test.clearRequests();
    const byId = () => h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: `/transactions/${m.id}` });

    await list();
    await h.worker.drain();
    const r = (await rowOf(m.id))!;
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1, `the fee Xendit kept booked: ${r.lastError}`);
    assert.deepEqual([r.state, entries(`Xendit movement ${m.id}`).length, byId()], ['recorded', 0, 1], 'the fee alone, read by its id');
    assert.equal(clearingBalance(), xenditBalance());

    await list();
    await h.worker.drain();
    assert.deepEqual([(await recordJob()).state, byId(), entries(`Xendit movement fee ${m.id}`).length], ['done', 1, 1], 'not read or queued again');
  });

  it('reversed before it was booked with its fee still PENDING, marked off; the fee Xendit kept learnt later: booked once, with its VAT', async () => {
    const m = payout({ ...FEE, pending: true });
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    const off = (await rowOf(m.id))!;
    assert.deepEqual([off.state, off.fee], ['off', 0], 'nothing to book yet: no fee taken');
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 0);

    h.sims.xendit.test.completeMovementFee(key(), m.id);
    await list();
    await h.worker.drain();
    const [fee, ...again] = entries(`Xendit movement fee ${m.id}`);
    assert.equal(again.length, 0);
    assert.equal(fee?.total, 555_000n, 'the fee Xendit kept, booked');
    assert.deepEqual([(await rowOf(m.id))?.fee, (await rowOf(m.id))?.feeTax], [5_550, 550]);
    assert.equal(clearingBalance(), xenditBalance());
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1, 'once');
  });

  it("a kept fee learnt from the reversed listing keeps its VAT: the fee's Spend Money has the VAT on a line of its own", async () => {
    const m = payout({ ...FEE, pending: true });
    await list();
    await h.worker.drain();
    h.sims.xendit.test.completeMovementFee(key(), m.id);
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    assert.equal((await rowOf(m.id))?.feeTax, 550, 'the VAT part kept');
    const [fee] = entries(`Xendit movement fee ${m.id}`);
    assert.deepEqual(
      fee?.lineItems.map((l) => [l.accountCode, l.lineAmount]),
      [
        [h.merchant.feeAccountCode, 500_000n],
        [h.merchant.feeAccountCode, 55_000n],
      ],
    );
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('the return is dated in the report by the day the gateway dated its entry back (reversed_at), not by what Xendit says now', async () => {
    const m = payout(FEE);
    await list();
    await h.worker.drain();
    const leftAt = h.clock();
    h.clock.advance(6 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    // The listing dated it back three days earlier than Xendit's `updated` reads now (Xendit updates a transaction later).
    const storedBack = new Date(leftAt.getTime() + 3 * DAY);
    await db().updateTable('other_movements').set({ reversed_at: storedBack }).where('xendit_transaction_id', '=', m.id).execute();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement reversed ${m.id}`)[0]?.date, storedBack.toISOString().slice(0, 10));

    const r = await reportOf(around(storedBack));
    const shown = r.rows.find((x) => x.note.includes(m.id));
    assert.deepEqual([shown?.status, shown?.xenditAmount, shown?.xeroPayment], ['matched', '25550.00', '25550.00'], JSON.stringify(r.rows));
    assert.equal(r.reconciled, true);
  });

  it('its entry voided by a person, the listing queues its book-back: review, not settled silently', async () => {
    const m = payout(FEE);
    await list();
    await h.worker.drain();
    const [spend] = entries(`Xendit movement ${m.id}`);
    // Voided by a person in Xero (Status VOIDED: xero_accounting.yaml BankTransaction.Status).
    spend.status = 'VOIDED';
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    await h.worker.drain();
    const row = await rowOf(m.id);
    assert.equal(row?.state, 'needs_review', 'a person is told');
    assert.match(row?.lastError ?? '', /no longer in Xero/);
    assert.equal(entries(`Xendit movement fee returned ${m.id}`).length, 0, 'nothing sent while it is theirs');

    // Their Retry: the entry they voided leaves nothing to book back; the fee Xendit gave back is.
    assert.ok(await h.stores.jobs.replay((await recordJob()).id, h.clock()));
    await h.worker.drain();
    assert.equal((await rowOf(m.id))?.state, 'recorded');
    assert.equal(entries(`Xendit movement reversed ${m.id}`).length, 0);
    assert.equal(entries(`Xendit movement fee returned ${m.id}`).length, 1, "the fee's return is not skipped");
  });

  it('a test-key movement for a live organisation, reversed with its fee kept: nothing reaches Xero', async () => {
    await h.stores.merchants.setSettings(h.merchant.id, { xeroTestOrganisation: false }, h.clock());
    const m = payout(FEE);
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement ${m.id}`).length, entries(`Xendit movement fee ${m.id}`).length], [0, 0]);
    assert.equal((await rowOf(m.id))?.state, 'test_mode');
  });
});
