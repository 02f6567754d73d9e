import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { addedAtTheTestsStart, createHarness, REFUNDABLE, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { disputeCallbackPathFor, refundCallbackPathFor } from '../../app/paths.js';
import { Crashed, dieAt } from '../helpers/crash.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { checkOpenCheckoutsJob } from '../../app/jobs/sync/invoice-changes.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';
import type { CrashHook } from '../../app/jobs/sync/crash-points.js';
import type { XenditGateway } from '../../app/clients/xendit/types.js';
import type { Stores } from '../../app/store/index.js';

/**
 * The issue "books that close themselves": the scheduled side of each rule re-run after a crash
 * between its steps. Each listing writes in steps (a withdrawal's or other balance movement's row,
 * its job, the cursor past its page; a refund's job, the cursor or mark past its page; an invoice's check, the comparison noted),
 * each committed on its own. Killed between two of them (in process: dieAt throws at the crash
 * point and the dead run writes nothing more, see test/helpers/crash.ts), the next run loses
 * nothing and doubles nothing: one job each, one entry each in Xero, the cursor where it belongs.
 */
describeEachDatabase('scheduled listings re-run after a crash between their steps', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const logger = pino({ level: 'silent' });
  /** A run of the listing as its job runs it; `dying` kills it at its crash point. */
  type Dying = { stores: Stores; crash: CrashHook; died: () => boolean };
  /** The dying run ends by the crash, or returns (a listing that catches per account goes on, writing nothing). */
  const killed = async (dying: Dying, run: Promise<void>) => {
    await run.catch((err: unknown) => assert.ok(err instanceof Crashed, String(err)));
    assert.ok(dying.died(), 'the run reached its crash point');
  };
  const jobsOf = async (kind: string) => (await h.stores.jobs.list()).filter((j) => j.kind === kind);

  /** A re-run's first page: after the kept cursor, asking only what was made by the time the walk reached (a second later: budgeted-listing.ts). */
  function resumedAt(page: { afterId?: string; before?: Date }, kept: { afterId: string; reached?: Date | null }) {
    assert.equal(page.afterId, kept.afterId, 'the re-run continues after the first page, not from the newest');
    assert.equal(page.before?.getTime(), kept.reached!.getTime() + 1000, 'within the time the first page reached');
  }

  /** After a listing's re-run: each of `made` one job and one entry in Xero, recorded, the cursor at its end; another run adds nothing. */
  async function bookedOnce(
    made: string[],
    l: {
      kind: string;
      entries: () => { reference: string }[];
      reference: (id: string) => string;
      state: (id: string) => Promise<string | undefined>;
      cursor: () => Promise<unknown>;
      list: () => Promise<void>;
    },
  ) {
    await h.worker.drain();
    const queued = (await jobsOf(l.kind)).map((j) => String(j.payload.xenditTransactionId));
    assert.deepEqual([...queued].sort(), [...made].sort(), 'one job each');
    assert.deepEqual(
      l
        .entries()
        .map((t) => t.reference)
        .sort(),
      made.map(l.reference).sort(),
      'one entry in Xero each',
    );
    for (const id of made) assert.equal(await l.state(id), 'recorded', id);
    assert.equal(await l.cursor(), null, 'the listing read to its end');
    await l.list();
    await h.worker.drain();
    assert.equal((await jobsOf(l.kind)).length, made.length);
    assert.equal(l.entries().length, made.length);
  }

  describe('withdrawals (list-withdrawals)', () => {
    const transfers = () => h.sims.xero.test.bankTransfers(h.tenantId);
    const cursor = () => h.stores.settlements.listCursor({ merchantId: h.merchant.id, mode: 'test', currency: 'IDR', listing: 'created' });
    /** The IDR withdrawals listed, each page's after_id, last id and created[lte]. */
    let pages: { afterId?: string; lastId?: string; before?: Date }[] = [];
    const list = (dying?: Dying) => {
      const xendit: XenditGateway = {
        ...h.sims.xenditClient,
        listWithdrawals: async (key, q) => {
          const r = await h.sims.xenditClient.listWithdrawals(key, q);
          if (q.currency === 'IDR' && q.createdAfter) pages.push({ afterId: q.afterId, lastId: r.lastId, before: q.createdBefore });
          return r;
        },
      };
      return listWithdrawalsJob({ stores: dying?.stores ?? h.stores, crash: dying?.crash, xendit, clock: h.clock, logger })();
    };

    /** A settlement account picked, and money in the balance to withdraw: a paid invoice, settled. */
    async function funded() {
      const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
      await h.stores.settlements.saveAndResume(h.merchant.id, { IDR: savings }, (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w), h.clock());
      const { x } = await paidThroughGateway(h);
      await h.worker.drain();
      await h.sims.xendit.settle(x.id, { sendCallback: false });
      pages = [];
    }

    /** After the re-run: every withdrawal one job, one transfer, recorded; another run adds nothing. */
    const eachBookedOnce = (made: string[]) =>
      bookedOnce(made, {
        kind: 'record-withdrawal',
        entries: transfers,
        reference: (id) => `Xendit withdrawal ${id}`,
        state: async (id) => (await h.stores.settlements.byXenditId(h.merchant.id, id))?.state,
        cursor,
        list,
      });

    it("killed after a withdrawal's row is made, before its job is queued: the re-run queues it, and each is booked once", async () => {
      await funded();
      const made = [30_000, 20_000, 10_000].map((amount) => h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', amount).id);
      const dying = dieAt(h.stores, 'withdrawal-listing-row-made');
      await killed(dying, list(dying));
      const rows = await Promise.all(made.map((id) => h.stores.settlements.byXenditId(h.merchant.id, id)));
      assert.deepEqual(rows.map((r) => r?.state ?? 'none').sort(), ['none', 'none', 'pending'], 'at the moment of death: one row, pending');
      assert.equal((await jobsOf('record-withdrawal')).length, 0, 'and no job for it');

      await list();
      await eachBookedOnce(made);
    });

    it("killed on the second page, after a withdrawal's job is queued: the cursor and the time kept past the first page, the re-run continues there, and each is booked once", async () => {
      h.sims.xendit.limits.testPerMinute = 1000; // restored by the next harness
      h.sims.xero.limits.perMinute = 100_000; // 55 transfers in one drain; only exactly-once is tested here
      await funded();
      const made = Array.from({ length: 55 }, () => h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100).id);
      // Pages of 50: the 51st withdrawal listed is the first of the second page.
      const dying = dieAt(h.stores, 'withdrawal-listing-job-queued', 51);
      await killed(dying, list(dying));
      assert.equal(pages.length, 2);
      assert.equal((await jobsOf('record-withdrawal')).length, 51, 'at the moment of death: the first page and one more queued');
      const firstPage = pages[0].lastId;
      assert.ok(firstPage);
      const kept = await cursor();
      assert.equal(kept?.afterId, firstPage, 'the cursor past the first page only');
      assert.ok(kept.reached, 'and the time it reached');

      pages = [];
      await list();
      resumedAt(pages[0], kept);
      await eachBookedOnce(made);
    });
  });

  describe('other balance movements (list-withdrawals, listing other)', () => {
    const entries = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference.startsWith('Xendit movement ') && t.status === 'AUTHORISED');
    const cursor = () => h.stores.settlements.listCursor({ merchantId: h.merchant.id, mode: 'test', currency: 'IDR', listing: 'other' });
    /** The IDR movements listed, each page's after_id, last id and created[lte]. */
    let pages: { afterId?: string; lastId?: string; before?: Date }[] = [];
    const list = (dying?: Dying) => {
      const xendit: XenditGateway = {
        ...h.sims.xenditClient,
        listOtherMovements: async (key, q) => {
          const r = await h.sims.xenditClient.listOtherMovements(key, q);
          if (q.currency === 'IDR') pages.push({ afterId: q.afterId, lastId: r.lastId, before: q.createdBefore });
          return r;
        },
      };
      return listWithdrawalsJob({ stores: dying?.stores ?? h.stores, crash: dying?.crash, xendit, clock: h.clock, logger })();
    };
    const move = () =>
      h.sims.xendit.test.movement(h.merchant.xenditSecretKey, { type: 'TRANSFER_OUT', currency: 'IDR', amount: 100, cashflow: 'MONEY_OUT' }).id;

    beforeEach(async () => {
      // Movements are dated by the test's clock, after the setting was turned on.
      h.sims.xendit.test.useClock(h.clock);
      await addedAtTheTestsStart(h);
      const suspense = h.sims.xero.addAccount(h.tenantId, { code: '899', name: 'Xendit other movements', type: 'CURRENT' }).code;
      const { x } = await paidThroughGateway(h);
      await h.worker.drain();
      await h.sims.xendit.settle(x.id, { sendCallback: false });
      await h.stores.merchants.setSettings(h.merchant.id, { otherMovementsAccountCode: suspense }, h.clock());
      h.clock.advance(60_000);
      pages = [];
    });
    afterEach(() => h.sims.xendit.test.useClock());

    /** After the re-run: every movement one job, one Spend Money, recorded; another run adds nothing. */
    const eachBookedOnce = (made: string[]) =>
      bookedOnce(made, {
        kind: 'record-other-movement',
        entries,
        reference: (id) => `Xendit movement ${id}`,
        state: async (id) => (await h.stores.otherMovements.byXenditId(h.merchant.id, id))?.state,
        cursor,
        list,
      });

    it("killed after a movement's row is made, before its job is queued: the re-run queues it, and each is booked once", async () => {
      const made = [move(), move(), move()];
      const dying = dieAt(h.stores, 'other-movement-listing-row-made');
      await killed(dying, list(dying));
      const rows = await Promise.all(made.map((id) => h.stores.otherMovements.byXenditId(h.merchant.id, id)));
      assert.deepEqual(rows.map((r) => r?.state ?? 'none').sort(), ['none', 'none', 'pending'], 'at the moment of death: one row, pending');
      assert.equal((await jobsOf('record-other-movement')).length, 0, 'and no job for it');

      await list();
      await eachBookedOnce(made);
    });

    it("killed on the second page, after a movement's job is queued: the cursor and the time kept past the first page, the re-run continues there, and each is booked once", async () => {
      h.sims.xendit.limits.testPerMinute = 1000; // restored by the next harness
      h.sims.xero.limits.perMinute = 100_000; // 55 entries in one drain; only exactly-once is tested here
      const made = Array.from({ length: 55 }, move);
      // Pages of 50: the 51st movement listed is the first of the second page.
      const dying = dieAt(h.stores, 'other-movement-listing-job-queued', 51);
      await killed(dying, list(dying));
      assert.equal(pages.length, 2);
      assert.equal((await jobsOf('record-other-movement')).length, 51, 'at the moment of death: the first page and one more queued');
      const firstPage = pages[0].lastId;
      assert.ok(firstPage);
      const kept = await cursor();
      assert.equal(kept?.afterId, firstPage, 'the cursor past the first page only');
      assert.ok(kept.reached, 'and the time it reached');

      pages = [];
      await list();
      resumedAt(pages[0], kept);
      await eachBookedOnce(made);
    });
  });

  describe('refunds (list-refunds, refund-walk)', () => {
    const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
    const list = (dying?: Dying) =>
      listRefundsJob({ stores: dying?.stores ?? h.stores, crash: dying?.crash, xendit: h.sims.xenditClient, clock: h.clock, logger })();

    for (const order of ['newest_first', 'oldest_first'] as const) {
      it(`listed ${order.replace('_', ' ')}, killed after the first refund's job is queued: the re-run queues the rest, moves the ${order === 'newest_first' ? 'mark' : 'cursor'} past them, and each is booked once`, async () => {
        const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
        await h.worker.drain();
        if (order === 'oldest_first') h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { refundsListOrder: 'oldest_first' });
        // Webhooks lost; a millisecond apart, so the listing can tell its order.
        let at = Date.now();
        const made: string[] = [];
        for (let i = 0; i < 3; i++) made.push((await h.sims.xendit.refund(x.id, { amount: 10_000, sendWebhook: false, createdAt: new Date((at += 1)) })).id);
        const newest = made[2];

        const dying = dieAt(h.stores, 'refund-listing-job-queued');
        await killed(dying, list(dying));
        assert.equal((await jobsOf('record-refund')).length, 1, 'at the moment of death: one job queued');
        assert.equal(await h.stores.refundListing.newestFirst(h.merchant.id, 'test'), null, 'no mark moved');
        assert.equal(await h.stores.refundListing.cursor(h.merchant.id, 'test'), null, 'no cursor moved');

        await list();
        assert.deepEqual((await jobsOf('record-refund')).map((j) => String(j.payload.xenditRefundId)).sort(), [...made].sort(), 'one job per refund');
        if (order === 'newest_first') {
          const kept = await h.stores.refundListing.newestFirst(h.merchant.id, 'test');
          assert.equal(kept?.mark?.id, newest, 'the mark at the newest refund read');
          assert.equal(kept?.walk, null, 'the walk finished');
        } else {
          assert.equal(await h.stores.refundListing.cursor(h.merchant.id, 'test'), newest, 'the cursor past the last refund read');
        }
        await h.worker.drain();
        for (const id of made) assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded', id);
        assert.deepEqual(
          notes()
            .map((n) => n.reference)
            .sort(),
          made.map((id) => `Xendit refund ${id}`).sort(),
          'one credit note each',
        );

        h.clock.advance(30 * 60_000);
        await list();
        await h.worker.drain();
        assert.equal((await jobsOf('record-refund')).length, made.length);
        assert.equal(notes().length, made.length);
        assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, made.length, 'one cash refund each');
      });
    }
  });

  describe('chargebacks (list-refunds: list-chargebacks, the daily looks at disputes and fees)', () => {
    const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
    const list = (dying?: Dying) =>
      listRefundsJob({ stores: dying?.stores ?? h.stores, crash: dying?.crash, xendit: h.sims.xenditClient, clock: h.clock, logger })();
    const watched = () => h.stores.openDisputes.due(new Date('9999-01-01T00:00:00Z'), 100);
    const lostJobs = async () => (await jobsOf('record-dispute')).filter((j) => j.payload.status === 'LOST');

    it("listed, killed after the first chargeback's job is queued: the re-run queues the rest, the listing reads to its end, and each is booked once", async () => {
      // The transactions are dated by the simulated Xendit's clock: the test's, after the merchant was added.
      h.sims.xendit.test.useClock(h.clock);
      try {
        await addedAtTheTestsStart(h);
        const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
        await h.worker.drain();
        // Lost with none of their webhooks sent: only the listing can find them.
        const made: string[] = [];
        for (let i = 0; i < 3; i++) {
          h.clock.advance(60_000);
          const { id } = await h.sims.xendit.dispute(x.id, { amount: 40_000, sendWebhook: false });
          await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
          made.push(id);
        }
        h.clock.advance(60_000);
        const cursor = () => h.stores.settlements.listCursor({ merchantId: h.merchant.id, mode: 'test', currency: 'IDR', listing: 'chargeback' });

        const dying = dieAt(h.stores, 'chargeback-listing-job-queued');
        await killed(dying, list(dying));
        assert.equal((await lostJobs()).length, 1, 'at the moment of death: one job queued');

        await list();
        assert.deepEqual((await lostJobs()).map((j) => String(j.payload.xenditDisputeId)).sort(), [...made].sort(), 'one job per chargeback');
        assert.equal(await cursor(), null, 'the listing read to its end');
        await h.worker.drain();
        for (const id of made) assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded', id);
        assert.deepEqual(
          notes()
            .map((n) => n.reference)
            .sort(),
          made.map((id) => `Xendit chargeback ${id}`).sort(),
          'one credit note each',
        );

        h.clock.advance(30 * 60_000);
        await list();
        await h.worker.drain();
        assert.equal((await lostJobs()).length, made.length);
        assert.equal(notes().length, made.length);
        assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, made.length, 'one cash refund each');
      } finally {
        h.sims.xendit.test.useClock();
      }
    });

    it("listed, killed on the second page after a chargeback's job is queued: the cursor and the time kept past the first page, the re-run continues there, and each is booked once", async () => {
      h.sims.xendit.limits.testPerMinute = 1000; // restored by the next harness
      h.sims.xero.limits.perMinute = 100_000; // 55 chargebacks in one drain; only exactly-once is tested here
      h.sims.xendit.test.useClock(h.clock);
      try {
        await addedAtTheTestsStart(h);
        const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
        await h.worker.drain();
        const made: string[] = [];
        for (let i = 0; i < 55; i++) {
          h.clock.advance(1000);
          const { id } = await h.sims.xendit.dispute(x.id, { amount: 2_000, sendWebhook: false });
          await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
          made.push(id);
        }
        h.clock.advance(60_000);
        const cursor = () => h.stores.settlements.listCursor({ merchantId: h.merchant.id, mode: 'test', currency: 'IDR', listing: 'chargeback' });
        let pages: { afterId?: string; lastId?: string; before?: Date }[] = [];
        const xendit: XenditGateway = {
          ...h.sims.xenditClient,
          listChargebacks: async (key, q) => {
            const r = await h.sims.xenditClient.listChargebacks(key, q);
            if (q.currency === 'IDR') pages.push({ afterId: q.afterId, lastId: r.lastId, before: q.createdBefore });
            return r;
          },
        };
        const run = (dying?: Dying) => listRefundsJob({ stores: dying?.stores ?? h.stores, crash: dying?.crash, xendit, clock: h.clock, logger })();

        // Pages of 50: the 51st chargeback listed is the first of the second page.
        const dying = dieAt(h.stores, 'chargeback-listing-job-queued', 51);
        await killed(dying, run(dying));
        assert.equal(pages.length, 2);
        assert.equal((await lostJobs()).length, 51, 'at the moment of death: the first page and one more queued');
        const firstPage = pages[0].lastId;
        assert.ok(firstPage);
        const kept = await cursor();
        assert.equal(kept?.afterId, firstPage, 'the cursor past the first page only');
        assert.ok(kept.reached, 'and the time it reached');

        pages = [];
        await run();
        resumedAt(pages[0], kept);
        assert.equal(await cursor(), null, 'the listing read to its end');
        assert.deepEqual((await lostJobs()).map((j) => String(j.payload.xenditDisputeId)).sort(), [...made].sort(), 'one job per chargeback');
        await h.worker.drain();
        assert.deepEqual(
          notes()
            .map((n) => n.reference)
            .sort(),
          made.map((id) => `Xendit chargeback ${id}`).sort(),
          'one credit note each',
        );
        await run();
        await h.worker.drain();
        assert.equal((await lostJobs()).length, made.length);
        assert.equal(notes().length, made.length);
      } finally {
        h.sims.xendit.test.useClock();
      }
    });

    it("the daily look, killed after it queued a lost dispute's job and before it stopped watching it: the re-run reads it again, and it is booked once", async () => {
      const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
      await h.worker.drain();
      const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
      const webhook = (status: string) =>
        request(h.app)
          .post(disputeCallbackPathFor(h.merchant.id))
          .set('x-callback-token', h.merchant.callbackToken)
          .send({ event: `dispute.${status.toLowerCase()}`, id, status, currency: 'IDR', amount: { initial: '1.00', terminal: null } });
      await webhook('ACTION_REQUIRED').expect(200);
      await h.worker.drain();
      await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false }); // its LOST webhook lost
      h.clock.advance(86_400_000 + 1000);

      const dying = dieAt(h.stores, 'dispute-look-lost-queued');
      await killed(dying, list(dying));
      assert.deepEqual(
        (await lostJobs()).map((j) => j.state),
        ['queued'],
        'at the moment of death: its LOST job queued',
      );
      assert.deepEqual(
        (await watched()).map((d) => d.xenditDisputeId),
        [id],
        'and still watched',
      );

      await list();
      assert.equal((await lostJobs()).length, 1, 'read lost again: the same job');
      assert.deepEqual(await watched(), [], 'no longer watched');
      await h.worker.drain();
      assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded');
      assert.deepEqual(
        notes().map((n) => n.reference),
        [`Xendit chargeback ${id}`],
      );

      // Its LOST webhook late, and the next days' runs: nothing more.
      await webhook('LOST').expect(200);
      h.clock.advance(86_400_000 + 1000);
      await list();
      await h.worker.drain();
      assert.equal((await lostJobs()).length, 1);
      assert.equal(notes().length, 1);
      assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, 1, 'one cash refund');
    });

    it("the daily fee look, killed after the first payment's look is queued: the re-run queues the other's, one look each that day, each fee given back booked once", async () => {
      const returns = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference.startsWith('Xendit fee returned'));
      const paid = [];
      for (let i = 0; i < 2; i++) {
        const p = await paidThroughGateway(h, { paidBy: REFUNDABLE, beforeCallback: (x) => void (h.sims.xendit.getInvoice(x.id)!.feeTax = 479) });
        await h.sims.xendit.settle(p.x.id);
        await h.worker.drain();
        paid.push(p);
      }
      for (const { x } of paid) {
        const refund = await h.sims.xendit.refund(x.id, { sendWebhook: false });
        await request(h.app)
          .post(refundCallbackPathFor(h.merchant.id))
          .set('x-callback-token', h.merchant.callbackToken)
          .send({ event: 'refund.succeeded', business_id: 'b', created: new Date().toISOString(), data: { id: refund.id, status: 'SUCCEEDED', amount: 1 } })
          .expect(200);
      }
      await h.worker.drain();
      // Past the refunds' own looks (refunds are dated by the simulated Xendit's clock); Xendit gives both fees back later.
      const payment = await h.stores.payments.byXenditInvoice(h.merchant.id, paid[1].x.id);
      const refundedAt = (await h.stores.refunds.forPayment(payment!.id))[0].refundedAt;
      h.clock.advance(refundedAt.getTime() - h.clock().getTime() + 13 * 3600_000);
      await h.worker.drain();
      assert.equal(returns().length, 0);
      for (const { x } of paid) h.sims.xendit.test.giveFeeBackLater(x.id);
      const looks = async () => (await jobsOf('return-fee')).filter((j) => j.payload.look);

      const dying = dieAt(h.stores, 'fee-look-queued');
      await killed(dying, list(dying));
      assert.equal((await looks()).length, 1, "at the moment of death: one payment's look queued");

      await list();
      const queued = await looks();
      assert.equal(queued.length, 2, 'one look per payment that day');
      assert.equal(new Set(queued.map((j) => String(j.payload.paymentId))).size, 2);
      await h.worker.drain();
      assert.deepEqual(
        returns()
          .map((t) => t.reference)
          .sort(),
        paid.map(({ x }) => `Xendit fee returned ${x.id}`).sort(),
        'each fee given back booked once',
      );

      await list();
      h.clock.advance(86_400_000);
      await list();
      await h.worker.drain();
      assert.equal((await looks()).length, 2, 'booked: not looked at again');
      assert.equal(returns().length, 2);
    });
  });

  describe('open checkouts (check-open-checkouts)', () => {
    const compare = (dying?: Dying) =>
      checkOpenCheckoutsJob({
        stores: dying?.stores ?? h.stores,
        crash: dying?.crash,
        xero: h.sims.xeroClient,
        xendit: h.sims.xenditClient,
        clock: h.clock,
        logger,
      })();
    const comparedAt = async () =>
      (await h.stores.db.selectFrom('checkouts').select(['id', 'xero_checked_at']).where('merchant_id', '=', h.merchant.id).execute()).map(
        (r) => r.xero_checked_at,
      );

    it("killed after the first changed invoice's check is queued, before the comparison is noted: the re-run queues the other, one check each, and both close once", async () => {
      const opened = [];
      for (let i = 0; i < 3; i++) {
        const inv = h.addInvoice({});
        await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
        opened.push({ ...inv, x: h.sims.xendit.listInvoices().at(-1)! });
      }
      const [a, b, kept] = opened;
      await h.sims.xero.test.invoices.void(a.invoiceId);
      await h.sims.xero.test.invoices.void(b.invoiceId);
      const checks = async () => (await jobsOf('check-invoice')).map((j) => String(j.payload.xeroInvoiceId)).sort();

      const dying = dieAt(h.stores, 'checkout-compare-check-queued');
      await killed(dying, compare(dying));
      assert.equal((await checks()).length, 1, 'at the moment of death: one check queued');
      assert.deepEqual(await comparedAt(), [null, null, null], 'and none noted as compared');

      h.clock.advance(60_000);
      await compare();
      assert.deepEqual(await checks(), [a.invoiceId, b.invoiceId].sort(), 'one check per changed invoice');
      assert.ok(
        (await comparedAt()).every((t) => t !== null),
        'all three noted as compared',
      );

      await h.worker.drain();
      const status = (id: string) => h.sims.xendit.listInvoices().find((i) => i.id === id)!.status;
      assert.deepEqual(
        [a, b, kept].map((o) => status(o.x.id)),
        ['EXPIRED', 'EXPIRED', 'PENDING'],
      );
      const closed = await h.stores.invoiceWatch.recentlyClosed([h.merchant.id], 10);
      assert.deepEqual(closed.map((c) => c.xeroInvoiceId).sort(), [a.invoiceId, b.invoiceId].sort(), 'each closed once');
      for (const c of closed) assert.equal(JSON.parse(c.closedReason).key, 'admin:closedReason_voided');

      h.clock.advance(30 * 60_000);
      await compare();
      await h.worker.drain();
      assert.equal((await checks()).length, 2, 'nothing more to check');
    });
  });
});
