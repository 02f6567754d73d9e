import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { movementSetup } from '../helpers/movement-fees.js';
import { Crashed, dieAt } from '../helpers/crash.js';
import type { Harness } from '../helpers/harness.js';
import { recordOtherMovementJob } from '../../app/jobs/sync/record-other-movement.js';
import { KEPT_FEE_MAX_READS } from '../../app/jobs/sync/unlisted-rows.js';

/**
 * A payout of Xendit's balance (DISBURSEMENT, IDR 20,000, fee IDR 5,000 + VAT 550 on top) whose
 * change comes after the 45 days the created listing reads: sent back late, its fee given back late,
 * or its fee still PENDING when a row no listing shows is read again by its id.
 */
describeEachDatabase('other movements changed after the 45 days the listing reads', ({ db }) => {
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
  const payout = (fee?: Parameters<typeof h.sims.xendit.test.movement>[1]['fee']) =>
    h.sims.xendit.test.movement(key(), { type: 'DISBURSEMENT', currency: 'IDR', amount: 20_000, cashflow: 'MONEY_OUT', fee });
  const rowOf = (id: string) => h.stores.otherMovements.byXenditId(h.merchant.id, id);
  const byId = (id: string) => h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: `/transactions/${id}` });
  /** Reversed before it was booked with its fee still PENDING: marked off with nothing booked, its job done. */
  const offWithFeePending = async () => {
    const m = payout({ ...FEE, pending: true });
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    assert.deepEqual([(await rowOf(m.id))?.state, (await rowOf(m.id))?.fee], ['off', 0]);
    return m;
  };

  it('booked, sent back 50 days later: the listing of what changed since finds it, and it is booked back once', async () => {
    const m = payout(FEE);
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement ${m.id}`).length, 1);
    h.clock.advance(50 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement reversed ${m.id}`).length, 1, 'booked back');
    assert.equal(entries(`Xendit movement fee returned ${m.id}`).length, 1, 'its fee given back');
    assert.equal((await rowOf(m.id))?.state, 'recorded');
    assert.equal(clearingBalance(), xenditBalance());
    await list();
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement reversed ${m.id}`).length, entries(`Xendit movement fee returned ${m.id}`).length], [1, 1], 'once');
  });

  it('sent back 50 days later, its job killed after Xero took the entry back and before it was marked: the re-run books nothing twice', async () => {
    const m = payout();
    await list();
    await h.worker.drain();
    h.clock.advance(50 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    const job = await h.stores.jobs.claim(h.clock(), 60_000);
    assert.equal(job?.kind, 'record-other-movement');
    const dying = dieAt(h.stores, 'other-movement-reversal-accepted');
    const run = recordOtherMovementJob({
      stores: dying.stores,
      xero: h.sims.xeroClient,
      clock: h.clock,
      logger: pino({ level: 'silent' }),
      crash: dying.crash,
    });
    await assert.rejects(run(job!), Crashed);
    assert.equal(entries(`Xendit movement reversed ${m.id}`).length, 1, 'Xero took it');
    assert.equal((await rowOf(m.id))?.xeroReversalEntryId, null, 'not marked');

    // The lease of the dead worker runs out; the job is claimed again, and the listing runs again meanwhile.
    h.clock.advance(120_000);
    await list();
    await h.worker.drain();
    const [back, ...again] = entries(`Xendit movement reversed ${m.id}`);
    assert.equal(again.length, 0, 'not booked twice');
    assert.deepEqual([(await rowOf(m.id))?.state, (await rowOf(m.id))?.xeroReversalEntryId], ['recorded', back.bankTransactionId]);
    assert.equal(clearingBalance(), xenditBalance());
  });

  it('sent back with its fee kept, the fee given back 50 days later: its return booked once', async () => {
    const m = payout(FEE);
    await list();
    await h.worker.drain();
    h.clock.advance(6 * DAY);
    h.sims.xendit.test.reverseMovement(key(), m.id, undefined, { fee: 'COMPLETED' });
    await list();
    await h.worker.drain();
    assert.deepEqual([entries(`Xendit movement reversed ${m.id}`).length, entries(`Xendit movement fee returned ${m.id}`).length], [1, 0]);
    h.clock.advance(50 * DAY);
    h.sims.xendit.test.giveMovementFeeBack(key(), m.id);
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee returned ${m.id}`).length, 1, 'the fee given back late, booked back');
    assert.equal(clearingBalance(), xenditBalance());
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee returned ${m.id}`).length, 1, 'once');
  });

  it("off with its fee PENDING, no longer listed, its fee COMPLETED later (Xendit's `updated` moves): found by the listing of what changed, not read by its id", async () => {
    const m = await offWithFeePending();
    h.clock.advance(46 * DAY);
    h.sims.xendit.test.completeMovementFee(key(), m.id);
    h.sims.xendit.test.clearRequests();
    await list();
    await h.worker.drain();
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1, 'the fee Xendit kept, booked');
    assert.equal(byId(m.id), 0, 'no read by its id needed');
    assert.equal(clearingBalance(), xenditBalance());
  });

  it("off with its fee PENDING when read again by its id, COMPLETED later without Xendit's `updated` moving: read again after a back-off, its fee booked once", async () => {
    const m = await offWithFeePending();
    h.clock.advance(46 * DAY);
    h.sims.xendit.test.clearRequests();
    await list();
    await h.worker.drain();
    assert.equal(byId(m.id), 1, 'read by its id: still PENDING');
    h.sims.xendit.test.completeMovementFee(key(), m.id, { updated: false });
    await list();
    assert.equal(byId(m.id), 1, 'not read again in the same day');
    h.clock.advance(DAY + 60_000);
    await list();
    await h.worker.drain();
    assert.equal(byId(m.id), 2, 'read again');
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 1, 'the fee Xendit kept, booked');
    assert.equal(clearingBalance(), xenditBalance());
    h.clock.advance(40 * DAY);
    await list();
    await h.worker.drain();
    assert.deepEqual([byId(m.id), entries(`Xendit movement fee ${m.id}`).length], [2, 1], 'settled: read no more, booked once');
  });

  it('its fee PENDING at every read: read a bounded number of times, then a person is told once and it is read no more', async () => {
    const m = await offWithFeePending();
    h.clock.advance(46 * DAY);
    let reads = 0;
    for (let day = 0; day < 80; day++) {
      h.sims.xendit.test.clearRequests();
      await list();
      reads += byId(m.id);
      h.clock.advance(DAY);
    }
    assert.equal(reads, KEPT_FEE_MAX_READS, 'read at most this many times');
    const told = await h.stores.db.selectFrom('alerts').select(['kind', 'message']).where('kind', '=', 'keptFeeUnsettled').execute();
    assert.equal(told.length, 1, 'told once');
    assert.match(told[0].message, new RegExp(m.id));
    assert.equal(entries(`Xendit movement fee ${m.id}`).length, 0);
  });

  it('its fee PENDING at the last read and the alert cannot be stored: read again by the next run until a person is told', async () => {
    const m = await offWithFeePending();
    h.clock.advance(46 * DAY);
    const raise = h.stores.alerts.raise;
    h.stores.alerts.raise = async () => {
      throw new Error('alerts table unavailable');
    };
    let reads = 0;
    try {
      for (let day = 0; day < 40; day++) {
        h.sims.xendit.test.clearRequests();
        await list();
        reads += byId(m.id);
        h.clock.advance(DAY);
      }
    } finally {
      h.stores.alerts.raise = raise;
    }
    assert.ok(reads > KEPT_FEE_MAX_READS, `not retired untold: read ${reads} times`);
    h.sims.xendit.test.clearRequests();
    await list();
    assert.equal(byId(m.id), 1, 'the last read again');
    const told = await h.stores.db.selectFrom('alerts').select('kind').where('kind', '=', 'keptFeeUnsettled').execute();
    assert.equal(told.length, 1, 'told once');
    h.clock.advance(DAY);
    h.sims.xendit.test.clearRequests();
    await list();
    assert.equal(byId(m.id), 0, 'read no more');
  });

  it('sent back with its fee given back, read again by its id: final at once, read no more', async () => {
    const m = payout(FEE);
    await list();
    h.sims.xendit.test.reverseMovement(key(), m.id);
    await list();
    await h.worker.drain();
    assert.equal((await rowOf(m.id))?.state, 'off');
    h.clock.advance(46 * DAY);
    let reads = 0;
    for (let day = 0; day < 20; day++) {
      h.sims.xendit.test.clearRequests();
      await list();
      reads += byId(m.id);
      h.clock.advance(DAY);
    }
    assert.ok(reads <= 1, `read ${reads} times`);
    const told = await h.stores.db.selectFrom('alerts').select('kind').where('kind', '=', 'keptFeeUnsettled').execute();
    assert.equal(told.length, 0);
  });
});
