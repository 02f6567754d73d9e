/**
 * The listings that keep their cursor between runs (budgeted-listing.ts) when Xendit no longer holds
 * the kept cursor: what it answers is documented nowhere (app/simulators/xendit/cursor.ts), an
 * empty page or the first page again. Either way the rows after the cursor are still found (their
 * jobs' dedupe keys absorb the ones read again), and a listing kept behind by cursors that keep
 * lapsing is told to a person, never started over silently.
 */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { addedAtTheTestsStart, createHarness, paidThroughGateway, REFUNDABLE, type Harness } from '../helpers/harness.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import type { ListingAt } from '../../app/store/settlements.js';

const DAY = 86_400_000;

/** What Xendit may answer to a cursor it no longer holds (simulators/xendit/cursor.ts): none is documented. */
const answerTo = { empty: 'an empty page', restart: 'the first page again', refuse: 'a 400' } as const;
describeEachDatabase('listings whose kept cursor Xendit no longer holds', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const run = (pageBudget: number) =>
    listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }), pageBudget })();
  const queued = async () =>
    new Set((await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal').map((j) => String(j.payload.xenditTransactionId)));
  const created = (): ListingAt => ({ merchantId: h.merchant.id, mode: 'test', currency: 'IDR', listing: 'created' });
  /** Xendit lets the cursor the listing kept lapse (faults.forgottenCursors), answering it as `mode` says. */
  const lapse = async (mode: 'empty' | 'restart' | 'refuse') => {
    const kept = await h.stores.settlements.listCursor(created());
    assert.ok(kept, 'a cursor kept by the run before');
    h.sims.xendit.faults.unknownCursor = mode;
    h.sims.xendit.faults.forgottenCursors.add(kept.afterId);
    return kept;
  };
  /** From when the key's business is the merchant's (key-business.ts listedSince): its creation, on the database's clock. */
  const keySince = async () => {
    const seen = await h.stores.xenditBusinesses.of(h.merchant.id, 'test');
    const since = seen?.listedSince ?? seen?.lookedAt;
    assert.ok(since);
    return since;
  };
  /** The test's clock moved to `at`. */
  const to = (at: number) => h.clock.advance(at - h.clock().getTime());
  const withdrawals = (n: number, from: Date) =>
    Array.from({ length: n }, (_, i) => h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100, { at: new Date(from.getTime() + i * 1000) }).id);

  beforeEach(async () => {
    // Money to withdraw, and the key's business known (listedSince) from now on.
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id);
    await run(2);
    // Runs days apart on the test's clock, within a second of the simulator's: past Xendit's 60 calls a minute.
    h.sims.xendit.limits.testPerMinute = 1000; // restored by the next harness
  });

  for (const mode of ['empty', 'restart', 'refuse'] as const) {
    describe(`Xendit answering ${answerTo[mode]}`, () => {
      for (const kept of ['its time', 'no time (kept before times were)'] as const)
        it(`the withdrawals after the lapsed cursor, kept with ${kept}, are found in the same run, back to where the kept walk read, even those now older than the weeks a new walk reads`, async () => {
          const start = await keySince();
          const old = withdrawals(60, new Date(start.getTime() + DAY));
          const recent = withdrawals(100, new Date(start.getTime() + 44 * DAY));
          to(start.getTime() + 44.5 * DAY);
          await run(2);
          assert.equal((await queued()).size, 100, 'two pages: the newest hundred');
          const cursor = await lapse(mode);
          assert.ok(cursor.reached, 'the time the walk reached kept');
          // Without it, the kept walk is read again from the newest in the same run (budgeted-listing.ts).
          if (kept !== 'its time') await h.stores.settlements.setListCursor(created(), { ...cursor, reached: null });
          // Two days on: a walk begun now reads from 43 days after the first run, past the old ones.
          h.clock.advance(2 * DAY);
          await run(5);
          const all = await queued();
          for (const id of [...old, ...recent]) assert.ok(all.has(id), `${id} queued`);
          assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal').length, 160, 'one job each');
        });

      it('a cursor that lapses before every run: each run goes on from the time its walk reached, all found in a few runs, each queued once', async () => {
        const start = await keySince();
        const made = withdrawals(260, new Date(start.getTime() + DAY));
        to(start.getTime() + 3 * DAY);
        // Two pages of 50 a run: five runs read the 260 once, even with every kept cursor lapsed before its run.
        for (let n = 0; n < 5; n++) {
          if (await h.stores.settlements.listCursor(created())) await lapse(mode);
          h.clock.advance(3600_000);
          await run(2);
        }
        const all = await queued();
        assert.equal(made.filter((id) => !all.has(id)).length, 0, 'every withdrawal queued');
        assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-withdrawal').length, 260, 'one job each');
        assert.equal((await h.stores.alerts.recent('withdrawalsBehind', [h.merchant.id], new Date(0), 10)).length, 0, 'never behind a day');
      });
    });
  }
});

describeEachDatabase('the refund listing, oldest first, whose kept cursor Xendit no longer holds', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { refundsListOrder: 'oldest_first' });
  });
  afterEach(() => h.close());

  const list = async () => {
    await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await h.worker.drain();
  };
  const creditNotes = () => h.sims.xero.test.creditNotes(h.tenantId);
  /** A payment of ours, recorded in Xero. */
  async function paidAndRecorded() {
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, paid.x.id))?.syncState, 'recorded');
    return paid.x.id;
  }

  /** The refund listing run with its warnings kept; the GET /refunds it sent (by id: 'by id'). */
  const listTold = async () => {
    const warned: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warned.push(JSON.parse(line).msg) });
    h.sims.xendit.test.clearRequests();
    await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger })();
    const asked = h.sims.xendit.test.requests({ method: 'GET', pathPrefix: '/refunds' }).map((r) => r.path.replace(/^\/refunds\/.*/, 'by id'));
    return { lost: warned.filter((m) => m.includes('no longer holds its cursor')), listed: asked.filter((p) => p !== 'by id') };
  };
  /** Refunds of a payment made outside the gateway (no job of ours), `n`, a minute apart: the order can be told. */
  async function othersRefunds(n: number): Promise<string[]> {
    const other = h.sims.xendit.createInvoice({ account: h.merchant.xenditSecretKey, currency: 'IDR', amount: 5000 });
    await h.sims.xendit.pay(other.id, { sendCallback: false, ...REFUNDABLE });
    const made: string[] = [];
    for (let i = 0; i < n; i++)
      made.push((await h.sims.xendit.refund(other.id, { amount: 1000, sendWebhook: false, createdAt: new Date(Date.now() - 3600_000 + i * 60_000) })).id);
    return made;
  }

  it('one refund: no cursor kept (the order cannot be told), each run reads the start, never a cursor called lost', async () => {
    await othersRefunds(1);
    for (let n = 0; n < 2; n++) {
      const { lost, listed } = await listTold();
      assert.equal(await h.stores.refundListing.cursor(h.merchant.id, 'test'), null, 'no cursor');
      assert.deepEqual(lost, []);
      assert.equal(listed.length, 1, 'the first page only');
    }
  });

  it('two refunds: the cursor is the second, held run after run: never called lost, two reads a run', async () => {
    const [, second] = await othersRefunds(2);
    await listTold();
    assert.equal(await h.stores.refundListing.cursor(h.merchant.id, 'test'), second, 'kept once two refunds were seen');
    for (let n = 0; n < 2; n++) {
      const { lost, listed } = await listTold();
      assert.deepEqual(lost, [], 'a held cursor is not called lost');
      assert.equal(listed.length, 2, 'the page after the cursor and the one before it');
      assert.equal(await h.stores.refundListing.cursor(h.merchant.id, 'test'), second);
    }
  });

  it('a cursor at the first refund Xendit lists (nothing before it: a list that no longer shows an older one, a cursor from before): held, never called lost', async () => {
    const [only] = await othersRefunds(1);
    // Not a state the listing makes itself (it keeps a cursor once two refunds were seen): Xendit
    // does not document that its list keeps every refund, so nothing before a held cursor may be.
    await h.stores.refundListing.setCursor(h.merchant.id, 'test', only);
    for (let n = 0; n < 2; n++) {
      const { lost, listed } = await listTold();
      assert.deepEqual(lost, [], 'a held cursor is not called lost');
      assert.equal(await h.stores.refundListing.cursor(h.merchant.id, 'test'), only, 'kept');
      assert.equal(listed.length, 3, 'the page after the cursor, the one before it, the start');
    }
    // Lapsed, with a refund after it: lost, read from the start, that refund found.
    const ours = await paidAndRecorded();
    const lostOne = await h.sims.xendit.refund(ours, { amount: 40_000, sendWebhook: false });
    h.sims.xendit.faults.forgottenCursors.add(only);
    const { lost } = await listTold();
    await h.worker.drain();
    assert.equal(lost.length, 1, 'a lapsed cursor is still called lost');
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, lostOne.id))?.state, 'recorded', 'the refund after it found');
  });

  for (const mode of ['empty', 'restart', 'refuse'] as const) {
    it(`Xendit answering ${answerTo[mode]}: a refund made after the kept cursor lapsed is found by the next run and booked once`, async () => {
      // Refunds of a payment made outside the gateway (no job), a minute apart: the order is known, a cursor kept.
      const other = h.sims.xendit.createInvoice({ account: h.merchant.xenditSecretKey, currency: 'IDR', amount: 5000 });
      await h.sims.xendit.pay(other.id, { sendCallback: false, ...REFUNDABLE });
      for (let i = 0; i < 5; i++)
        await h.sims.xendit.refund(other.id, { amount: 1000, sendWebhook: false, createdAt: new Date(Date.now() - 3600_000 + i * 60_000) });
      const ours = await paidAndRecorded();
      await list();
      const cursor = await h.stores.refundListing.cursor(h.merchant.id, 'test');
      assert.ok(cursor, 'a cursor kept');
      h.sims.xendit.faults.unknownCursor = mode;
      h.sims.xendit.faults.forgottenCursors.add(cursor);
      const lost = await h.sims.xendit.refund(ours, { amount: 40_000, sendWebhook: false });
      await list();
      assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, lost.id))?.state, 'recorded', 'found after the lapsed cursor');
      h.sims.xendit.test.clearRequests();
      await list();
      const asked = h.sims.xendit.test.requests({ method: 'GET', pathPrefix: '/refunds' }).map((r) => r.path.replace(/^\/refunds\/.*/, 'by id'));
      assert.equal(asked.filter((p) => p !== 'by id').length, 2, 'nothing new: the page after the cursor and the one before it, never the start again');
      assert.deepEqual(
        creditNotes().map((n) => n.reference),
        [`Xendit refund ${lost.id}`],
        'booked once',
      );
    });
  }
});

describeEachDatabase("Xendit's other balance movements, more than a run reads, their kept cursor lapsing", ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    // Movements are dated by the test's clock (after the setting was turned on).
    h.sims.xendit.test.useClock(h.clock);
    await addedAtTheTestsStart(h);
    const code = h.sims.xero.addAccount(h.tenantId, { code: '899', name: 'Xendit other movements', type: 'CURRENT' }).code;
    await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: code }, h.clock());
    h.clock.advance(60_000);
    h.sims.xendit.limits.testPerMinute = 1000; // many pages within a minute of the simulator's; restored by the next harness
  });
  afterEach(() => {
    h.sims.xendit.test.useClock();
    return h.close();
  });

  const run = (pageBudget: number) =>
    listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }), pageBudget })();
  const queued = async () =>
    new Set((await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement').map((j) => String(j.payload.xenditTransactionId)));
  const movements = (n: number) =>
    Array.from({ length: n }, () => {
      h.clock.advance(1000);
      return h.sims.xendit.test.movement(h.merchant.xenditSecretKey, { type: 'TRANSFER_OUT', currency: 'IDR', amount: 100, cashflow: 'MONEY_OUT' }).id;
    });
  const other = { merchantId: '', mode: 'test', currency: 'IDR', listing: 'other' } as const;

  it("the rows past one run's pages are read by the next runs, not the newest again; a lapsed cursor still reaches them; each queued once", async () => {
    const first = movements(110);
    await run(2);
    assert.equal((await queued()).size, 100, 'two pages of 50');
    await run(2);
    assert.deepEqual([...(await queued())].sort(), [...first].sort(), 'the next run goes on where the first stopped');
    const more = movements(130);
    await run(2); // the walk the second run began from the newest, read to its end
    await run(2);
    assert.equal((await queued()).size, 210, 'then the newest two pages');
    const kept = await h.stores.settlements.listCursor({ ...other, merchantId: h.merchant.id });
    assert.ok(kept, 'a walk left unfinished');
    h.sims.xendit.faults.forgottenCursors.add(kept.afterId);
    await run(4);
    const all = await queued();
    for (const id of [...first, ...more]) assert.ok(all.has(id), `${id} queued`);
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement').length, 240, 'one job each');
  });

  it('a cursor that lapses before every run: each run goes on from the time its walk reached (within the window Xendit is asked for), each queued once', async () => {
    const made = movements(140);
    h.clock.advance(60_000);
    // Two pages of 50 a run (one of them the empty page after the lapsed cursor): the 140 in a few runs, every kept cursor lapsed before its run.
    for (let n = 0; n < 4; n++) {
      const kept = await h.stores.settlements.listCursor({ ...other, merchantId: h.merchant.id });
      if (kept) h.sims.xendit.faults.forgottenCursors.add(kept.afterId);
      h.clock.advance(60_000);
      await run(2);
    }
    const all = await queued();
    assert.equal(made.filter((id) => !all.has(id)).length, 0, 'every movement queued');
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'record-other-movement').length, 140, 'one job each');
  });
});
