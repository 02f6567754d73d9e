import { strict as assert } from 'node:assert';
import request from 'supertest';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { backendSalePaid, createHarness, REFUNDABLE, paidCallback, refundWebhook, type Harness } from '../helpers/harness.js';
import { createJobStore, type Job, type JobStore, type WaitingEndHook } from '../../app/store/jobs.js';

/**
 * A refund (or chargeback) job waiting for its payment to reach Xero ends (gives up, or ends as
 * "not ours") in the very moment the payment is recorded: it must not keep its waitsFor mark with
 * nobody left to queue it again (app/store/jobs-waiting.sql). Each interleaving is forced by a hook,
 * never by timing.
 */
describeEachDatabase('refund jobs waiting for their payment: ending while the payment is recorded', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
  const refundJob = async () => (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund')!;
  const refundRow = (id: string) => h.stores.refunds.byXenditId(h.merchant.id, id);

  /** Paid at Xendit, its PAID callback not delivered yet, refunded with the webhook delivered. */
  async function refundedBeforeRecorded() {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id, { sendCallback: false, ...REFUNDABLE });
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    return { x, id };
  }

  /** Its next failed attempt is its last: the job gives up. */
  const lastAttempt = async () => {
    const job = await refundJob();
    await h.stores.db
      .updateTable('jobs')
      .set({ max_attempts: job.attempts + 1 })
      .where('id', '=', job.id)
      .execute();
  };

  /** Runs `before` once, when the runner is about to write this verdict for a record-refund job. */
  function onVerdict(verdict: 'needsReview' | 'finish', before: () => Promise<void>) {
    const jobs = h.stores.jobs as Record<typeof verdict, (job: Job, ...rest: never[]) => Promise<unknown>>;
    const original = jobs[verdict];
    let fired = false;
    jobs[verdict] = async (job, ...rest) => {
      if (!fired && job.kind === 'record-refund') {
        fired = true;
        await before();
      }
      return original(job, ...rest);
    };
  }

  function bookedOnce(id: string) {
    assert.equal(notes().filter((n) => n.reference === `Xendit refund ${id}`).length, 1, 'one credit note');
    assert.equal(notes().length, 1);
    assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, 1, 'one cash refund');
  }

  it('gives up (review) in the moment its payment is recorded: queued again and booked, not left marked in review', async () => {
    const { x, id } = await refundedBeforeRecorded();
    await lastAttempt();
    // The PAID callback and its recording land between the job's "not recorded yet" and its verdict.
    onVerdict('needsReview', async () => {
      await paidCallback(h, x);
      await h.worker.drain();
      assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
    });
    await h.worker.drain();

    const job = await refundJob();
    assert.equal(job.state, 'done', `not stranded in review: ${job.lastError}`);
    assert.equal(job.payload.waitsFor, undefined);
    assert.equal((await refundRow(id))?.state, 'recorded');
    bookedOnce(id);
    assert.equal((await h.stores.db.selectFrom('alerts').select('kind').execute()).length, 0, 'no one is told of a review that did not happen');
  });

  it('ends as "not ours" (a backend-flow sale not seen yet) in the moment the sale is recorded: run again and booked', async () => {
    const { x } = await backendSalePaid(h, { sendCallback: false });
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    onVerdict('finish', async () => {
      await paidCallback(h, { id: x.id, external_id: x.externalId });
      await h.worker.drain();
      assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
    });
    await h.worker.drain();

    assert.equal((await refundRow(id))?.state, 'recorded', 'booked without waiting for the listing');
    bookedOnce(id);
  });

  describe('the ending and the recording at once (the store, driven step by step)', () => {
    /** The refund job, waiting (marked), claimed as a worker would; the payment's recording job queued behind it. */
    async function claimedWhileWaiting(jobs: JobStore) {
      const paid = await refundedBeforeRecorded();
      await h.worker.drain();
      assert.equal((await refundJob()).payload.waitsFor, paid.x.id, 'marked as waiting');
      h.clock.advance(60_000);
      const job = await jobs.claim(h.clock(), 60_000);
      assert.equal(job?.kind, 'record-refund');
      await paidCallback(h, paid.x);
      return { ...paid, job: job! };
    }

    const storeWith = (hook: WaitingEndHook) => createJobStore(h.stores.db, { waitingEnd: hook });

    it('recorded after the job parked, before it looked at the payment: the job sees it and queues itself again', async () => {
      const jobs = storeWith(async (at) => {
        if (at === 'parked') await h.worker.drain();
      });
      const { id, job } = await claimedWhileWaiting(jobs);
      assert.equal(await jobs.needsReview(job, 'gave up', h.clock()), 'requeued');
      await h.worker.drain();
      assert.equal((await refundRow(id))?.state, 'recorded');
      bookedOnce(id);
    });

    it("recorded while the job holds the payment's lock: the recording waits for its commit, then queues it again", async () => {
      const waitingForLock = async () => {
        const { rows } = await sql<{
          n: number;
        }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted and classid = ${0x77616974}::oid`.execute(h.stores.db);
        return rows[0].n > 0;
      };
      let recording: Promise<number> | undefined;
      const jobs = storeWith(async (at) => {
        if (at !== 'locked') return;
        let done = false;
        recording = h.worker.drain().finally(() => (done = true));
        // Until the recording is seen waiting on the lock (or, were it not to wait, has finished).
        while (!done && !(await waitingForLock())) await new Promise(setImmediate);
        assert.equal(done, false, "the payment's commit waits for the job's");
      });
      const { id, job } = await claimedWhileWaiting(jobs);
      assert.equal(await jobs.needsReview(job, 'gave up', h.clock()), true, 'the payment was not recorded yet when it looked');
      await recording;
      assert.equal((await refundRow(id))?.state, 'recorded', 'queued again by the commit that recorded the payment, and booked');
      bookedOnce(id);
      assert.notEqual((await refundJob()).state, 'needs_review');
    });
  });
});
