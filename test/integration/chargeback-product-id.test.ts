import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { addedAtTheTestsStart, createHarness, REFUNDABLE, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { disputeCallbackPathFor } from '../../app/paths.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { createWorker } from '../../app/bin/worker.js';
import { Crashed, dieAt, dieOnCall } from '../helpers/crash.js';

/**
 * Which id a CHARGEBACK transaction's product_id holds, the dispute's or the disputed payment's, is
 * documented nowhere (docs.xendit.co/apidocs/list-transactions; xendit-node TransactionResponse
 * .product_id): the simulator gives the payment's when asked (resolveDispute `chargebackProductId`),
 * and the listing, the webhook and the report come out as they do with the dispute's: one
 * record-dispute LOST job under the dispute's id, one chargeback and one fee booked, the fee not
 * booked shown missing.
 */
describeEachDatabase("chargebacks whose CHARGEBACK transaction names the disputed payment's id", ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    // The transactions are dated by the simulated Xendit's clock: the test's, after the merchant was added.
    h.sims.xendit.test.useClock(h.clock);
    await addedAtTheTestsStart(h);
  });
  afterEach(async () => {
    h.sims.xendit.test.useClock();
    await h.close();
  });

  const FEE = { xenditFee: 15_000, vat: 1_650 };
  const silent = pino({ level: 'silent' });
  const hint = (disputeId: string, status: string) =>
    request(h.app)
      .post(disputeCallbackPathFor(h.merchant.id))
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ event: `dispute.${status.toLowerCase()}`, id: disputeId, status, currency: 'IDR', amount: { initial: '1.00', terminal: null } });
  const list = (o: Partial<Parameters<typeof listRefundsJob>[0]> = {}) =>
    listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: silent, ...o })();
  const feeEntries = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference.startsWith('Xendit chargeback fee '));
  const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
  const jobsOf = async (kind: string) => (await h.stores.jobs.list()).filter((j) => j.kind === kind);
  const lostJobs = async () => (await jobsOf('record-dispute')).filter((j) => j.payload.status === 'LOST');
  const inReview = async () => (await h.stores.jobs.list()).filter((j) => j.state === 'needs_review').map((j) => `${j.kind}: ${j.lastError}`);
  const day = (offset: number) => new Date(h.clock().getTime() + offset * 86_400_000).toISOString().slice(0, 10);

  /** A recorded payment, settled, and `amounts` disputes of it at Xendit (no webhook sent). */
  async function disputed(amounts: number[]) {
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    await h.sims.xendit.settle(x.id, { sendCallback: false });
    const ids: string[] = [];
    for (const amount of amounts) {
      h.clock.advance(60_000);
      ids.push((await h.sims.xendit.dispute(x.id, { amount, sendWebhook: false })).id);
    }
    return ids;
  }
  /** Lost at Xendit with `FEE`, its CHARGEBACK transaction under the payment's id, no webhook sent. */
  async function lostUnderPayment(id: string, listedAfterMs?: number) {
    h.clock.advance(60_000);
    await h.sims.xendit.resolveDispute(id, 'LOST', {
      sendWebhook: false,
      fee: FEE,
      chargebackProductId: 'payment',
      ...(listedAfterMs ? { listedAfterMs } : {}),
    });
    h.clock.advance(60_000);
  }
  /** The dispute's first webhook came: its job read it open (and so learnt its payment). */
  async function heardOf(id: string) {
    await hint(id, 'ACTION_REQUIRED').expect(200);
    await h.worker.drain();
  }

  /** Each of `ids` booked once: its credit note, and its fee as one Spend Money; nothing in review. */
  async function bookedOnce(ids: string[]) {
    assert.deepEqual(await inReview(), [], 'nothing in review');
    assert.deepEqual(
      notes()
        .map((n) => n.reference)
        .sort(),
      ids.map((id) => `Xendit chargeback ${id}`).sort(),
      'one credit note each',
    );
    assert.deepEqual(
      feeEntries()
        .map((t) => t.reference)
        .sort(),
      ids.map((id) => `Xendit chargeback fee txn_${id}`).sort(),
      'one fee each',
    );
    for (const id of ids) assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded', id);
  }

  it('the listing: queued under the dispute its first webhook made known, the same job its LOST webhook queues; booked once with its fee; later runs and that webhook add nothing', async () => {
    const [id] = await disputed([100_000]);
    await heardOf(id);
    await lostUnderPayment(id);
    await list();
    assert.deepEqual(
      (await lostJobs()).map((j) => j.payload.xenditDisputeId),
      [id],
      'the job the LOST webhook would queue, under the dispute id',
    );
    await h.worker.drain();
    await bookedOnce([id]);
    h.clock.advance(30 * 60_000);
    await list();
    await hint(id, 'LOST').expect(200, { received: true, duplicate: true });
    await h.worker.drain();
    assert.equal((await lostJobs()).length, 1);
    await bookedOnce([id]);
  });

  it('the LOST webhook first, the listing after: one job, booked once with its fee, nothing in review', async () => {
    const [id] = await disputed([100_000]);
    await lostUnderPayment(id);
    await hint(id, 'LOST').expect(200, { received: true, duplicate: false });
    await h.worker.drain();
    await bookedOnce([id]);
    await list();
    await h.worker.drain();
    assert.equal((await jobsOf('record-dispute')).length, 1, 'one dispute job');
    await bookedOnce([id]);
  });

  it('listed before any of its webhooks: waits for the dispute to be known, then its LOST webhook and the listing make one job; never known a day on, a person is told what to do; known later, the listing runs that job again and it ties it', async () => {
    const [id, other] = await disputed([100_000, 50_000]);
    await lostUnderPayment(id);
    await list();
    assert.deepEqual(await lostJobs(), [], 'no job under the payment id');
    const [match, ...more] = await jobsOf('match-chargeback');
    assert.deepEqual([more.length, match?.payload.xenditTransactionId], [0, `txn_${id}`]);
    await h.worker.drain();
    assert.equal((await h.stores.jobs.byId(match.id))?.state, 'queued', 'waits for a late webhook');

    // A day on, no webhook: a person is told, nothing is booked.
    h.clock.advance(86_400_000);
    await h.worker.drain();
    const waiting = await h.stores.jobs.byId(match.id);
    assert.equal(waiting?.state, 'needs_review');
    assert.match(
      waiting?.lastError ?? '',
      new RegExp(
        `Xendit's chargeback txn_${id} .* is of payment \\S+, and no dispute of it the gateway knows took that amount \\(none of its dispute webhooks came\\): paste Xendit's Dispute Report`,
      ),
    );
    assert.equal(notes().length, 0);
    await list();
    assert.equal((await jobsOf('match-chargeback')).length, 1, 'the listing leaves it to that job');

    // The dispute made known (its LOST webhook, or a pasted Dispute Report): booked by its job; the next listing runs the job in review again, which ties the transaction to it.
    await hint(id, 'LOST').expect(200, { received: true, duplicate: false });
    await h.worker.drain();
    await list();
    await h.worker.drain();
    assert.equal((await h.stores.jobs.byId(match.id))?.state, 'done');
    assert.deepEqual(
      (await lostJobs()).map((j) => j.payload.xenditDisputeId),
      [id],
      'one LOST job',
    );
    await bookedOnce([id]);
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, other)) ?? null, null, 'the open dispute of the payment books nothing');
    h.clock.advance(30 * 60_000);
    await list();
    await h.worker.drain();
    await bookedOnce([id]);
  });

  it('a late webhook within the day: the waiting job ties the transaction once the dispute is known; one job, booked once', async () => {
    const [id] = await disputed([100_000]);
    await lostUnderPayment(id);
    await list();
    await h.worker.drain();
    await hint(id, 'LOST').expect(200);
    await h.worker.drain();
    h.clock.advance(3 * 3_600_000);
    await h.worker.drain();
    const [match] = await jobsOf('match-chargeback');
    assert.equal(match.state, 'done', match.lastError ?? '');
    assert.equal((await lostJobs()).length, 1);
    await bookedOnce([id]);
  });

  it('two disputes of one payment, known, lost: each transaction tied to the one whose amount it took; each booked once with its fee', async () => {
    const ids = await disputed([40_000, 60_000]);
    for (const id of ids) await heardOf(id);
    for (const id of ids) await lostUnderPayment(id);
    await list();
    assert.deepEqual((await lostJobs()).map((j) => j.payload.xenditDisputeId).sort(), [...ids].sort());
    await h.worker.drain();
    await bookedOnce(ids);
  });

  it('two disputes of one payment of the same amount, known, lost: which took which cannot be told, so a person is told (naming both), nothing guessed', async () => {
    const ids = await disputed([50_000, 50_000]);
    for (const id of ids) await heardOf(id);
    for (const id of ids) await lostUnderPayment(id);
    await list();
    assert.deepEqual(await lostJobs(), []);
    h.clock.advance(86_400_000 + 60_000);
    await h.worker.drain();
    const review = await inReview();
    assert.equal(review.length, 2, review.join('\n'));
    for (const r of review)
      assert.match(r, new RegExp(`^match-chargeback: .* 2 of its disputes took that amount \\(${[...ids].sort().join(', ')}\\): record it by hand`));
    assert.equal(notes().length, 0);
  });

  describe('two disputes of one payment of the same amount, the first booked with its fee', () => {
    const HOUR = 3_600_000;
    const feeRefs = () =>
      feeEntries()
        .map((t) => t.reference)
        .sort();
    const journalRefs = () => h.sims.xero.manualJournalsOf(h.tenantId).filter((j) => j.narration.startsWith('Xendit chargeback fee '));
    /** d1 lost, its LOST webhook sent, booked with its fee (transaction txn_d1). */
    async function firstBooked() {
      const ids = await disputed([50_000, 50_000]);
      for (const id of ids) await heardOf(id);
      await lostUnderPayment(ids[0]);
      await hint(ids[0], 'LOST').expect(200);
      await h.worker.drain();
      await bookedOnce([ids[0]]);
      return ids;
    }

    it("the second's LOST webhook before Xendit lists its transaction: the first's fee is not booked again; the listing books the second's once it is listed", async () => {
      const [d1, d2] = await firstBooked();
      await lostUnderPayment(d2, HOUR);
      await hint(d2, 'LOST').expect(200);
      await h.worker.drain();
      assert.deepEqual(feeRefs(), [`Xendit chargeback fee txn_${d1}`], 'the first transaction booked once');
      assert.deepEqual(journalRefs(), [], 'no journal either');
      assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, d2))?.chargebackFee, null, "the second keeps no transaction of the first's");
      await list();
      await h.worker.drain();
      assert.deepEqual(feeRefs(), [`Xendit chargeback fee txn_${d1}`], 'its transaction not listed yet: nothing more');
      h.clock.advance(HOUR);
      await list();
      await h.worker.drain();
      await bookedOnce([d1, d2]);
      h.clock.advance(30 * 60_000);
      await list();
      await h.worker.drain();
      await bookedOnce([d1, d2]);
    });

    it("the report over the second's day alone, its fee not read: the first's transaction (booked days before, outside the range) is not taken for the second's; the second's is shown missing", async () => {
      const [d1, d2] = await firstBooked();
      h.clock.advance(3 * 86_400_000);
      await lostUnderPayment(d2);
      const unlisted = { ...h.sims.xenditClient, getChargeback: async () => null };
      await hint(d2, 'LOST').expect(200);
      await createWorker({ stores: h.stores, xero: h.sims.xeroClient, xendit: unlisted, clock: h.clock, logger: silent }).drain();
      assert.deepEqual([notes().length, feeRefs()], [2, [`Xendit chargeback fee txn_${d1}`]], 'the second booked, its fee not known');
      const merchant = (await h.stores.merchants.byId(h.merchant.id))!;
      const r = await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, merchant, { from: day(0), to: day(0) });
      const fees = r.rows.filter((x) => x.note.includes('chargeback fee')).map((x) => [x.status, x.xenditFee, x.xeroFee, x.note.includes(`txn_${d2}`)]);
      assert.deepEqual(fees, [['fee_missing', '16650.00', null, true]], JSON.stringify(r.rows));
    });

    it("the listing finds the second's transaction: its job takes that one, not the first's, and books its fee at once", async () => {
      const [d1, d2] = await firstBooked();
      await lostUnderPayment(d2);
      await list();
      await h.worker.drain();
      await bookedOnce([d1, d2]);
      assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, d2))?.chargebackFee?.txnId, `txn_${d2}`);
    });

    it("a job that missed the first's read (another worker's, not committed when it looked): the store refuses the same transaction; nothing booked twice", async () => {
      const [d1, d2] = await firstBooked();
      await lostUnderPayment(d2, HOUR);
      const stale = { ...h.stores, refunds: { ...h.stores.refunds, forPayment: async () => [] } };
      const racing = createWorker({ stores: stale, xero: h.sims.xeroClient, xendit: h.sims.xenditClient, clock: h.clock, logger: silent });
      await hint(d2, 'LOST').expect(200);
      await racing.drain();
      assert.deepEqual(feeRefs(), [`Xendit chargeback fee txn_${d1}`], 'the first transaction booked once');
      assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, d2))?.chargebackFee, null);
      h.clock.advance(HOUR);
      await list();
      await h.worker.drain();
      await bookedOnce([d1, d2]);
    });

    it("the worker killed after Xero took the second's fee, before it was stored: the run again books it once", async () => {
      const [d1, d2] = await firstBooked();
      await lostUnderPayment(d2);
      const dying = dieOnCall(h.stores, 'refunds', 'feeBooked');
      const doomed = createWorker({ stores: dying.stores, xero: h.sims.xeroClient, xendit: h.sims.xenditClient, clock: h.clock, logger: silent });
      await hint(d2, 'LOST').expect(200);
      await doomed.drain().catch(() => undefined);
      assert.ok(dying.died(), 'died calling refunds.feeBooked');
      assert.deepEqual(feeRefs(), [`Xendit chargeback fee txn_${d1}`, `Xendit chargeback fee txn_${d2}`].sort(), 'Xero took it');
      h.clock.advance(10 * 60_000);
      h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
      await h.worker.drain();
      await list();
      await h.worker.drain();
      await bookedOnce([d1, d2]);
    });
  });

  it('the listing killed after the job is queued: the re-run queues nothing more; booked once with its fee', async () => {
    const [id] = await disputed([100_000]);
    await heardOf(id);
    await lostUnderPayment(id);
    const dying = dieAt(h.stores, 'chargeback-listing-job-queued');
    await list({ stores: dying.stores, crash: dying.crash }).catch((err: unknown) => assert.ok(err instanceof Crashed, String(err)));
    assert.ok(dying.died(), 'the run reached its crash point');
    assert.deepEqual(
      (await lostJobs()).map((j) => j.payload.xenditDisputeId),
      [id],
      'at the moment of death: its job queued',
    );
    await list();
    assert.deepEqual(
      (await lostJobs()).map((j) => j.payload.xenditDisputeId),
      [id],
      'the re-run queues no second',
    );
    await h.worker.drain();
    await bookedOnce([id]);
    await list();
    await h.worker.drain();
    await bookedOnce([id]);
  });

  it("the report: the fee of a chargeback booked without it (its transaction not read) is shown missing, found by the payment's id; once booked, matched", async () => {
    const [id] = await disputed([100_000]);
    await lostUnderPayment(id);
    const unlisted = { ...h.sims.xenditClient, getChargeback: async () => null };
    const blind = createWorker({ stores: h.stores, xero: h.sims.xeroClient, xendit: unlisted, clock: h.clock, logger: silent });
    await hint(id, 'LOST').expect(200);
    await blind.drain();
    assert.deepEqual([notes().length, feeEntries().length], [1, 0], 'the chargeback booked, its fee not known');
    const reconcile = async () =>
      reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores }, (await h.stores.merchants.byId(h.merchant.id))!, {
        from: day(-1),
        to: day(1),
      });
    const before = await reconcile();
    const missing = before.rows.find((r) => r.note.includes(`chargeback fee txn_${id}`));
    assert.deepEqual([missing?.status, missing?.xenditFee, missing?.xeroFee], ['fee_missing', '16650.00', null], JSON.stringify(before.rows));
    assert.equal(before.reconciled, false);

    await list();
    await h.worker.drain();
    await bookedOnce([id]);
    const after = await reconcile();
    const row = after.rows.find((r) => r.note.includes(`chargeback fee txn_${id}`));
    assert.deepEqual([row?.status, row?.xenditFee, row?.xeroFee], ['matched', '16650.00', '16650.00'], JSON.stringify(after.rows));
    assert.equal(after.reconciled, true, JSON.stringify(after.rows));
  });
});
