import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';

/** The worker's lease (createWorker's default JOB_LEASE_SECONDS): the dying claims below take the same. */
const LEASE_MS = 300_000;

/**
 * A job that kills its worker (SIGKILL, out of memory) never reaches a verdict, so the attempts
 * check after a failed run never sees it: its lease running out is all that is left of each attempt.
 */
describeEachDatabase('a job that kills its worker', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  /** A worker claims the next job and dies holding it: nobody reports the outcome. */
  async function claimAndDie(): Promise<void> {
    assert.ok(await h.stores.jobs.claim(h.clock(), LEASE_MS), 'a job to claim');
    h.clock.advance(LEASE_MS + 1000);
  }

  it('is taken over until its attempts are used, then needs review with an alert, instead of coming back every lease', async () => {
    const { inv } = await paidThroughGateway(h);
    const [queued] = await h.stores.jobs.list({ state: 'queued' });
    assert.equal(queued.kind, 'record-payment');
    const since = h.clock();
    for (let i = 0; i < queued.maxAttempts; i++) await claimAndDie();
    assert.equal((await h.stores.jobs.byId(queued.id))?.attempts, queued.maxAttempts);

    // The next worker to find it does not run it (it would die too): the job goes to a person.
    assert.equal(await h.worker.runOnce(), true);
    const job = (await h.stores.jobs.byId(queued.id))!;
    assert.equal(job.state, 'needs_review');
    assert.equal(job.attempts, queued.maxAttempts, 'the review move spends no attempt of its own');
    assert.match(job.lastError ?? '', new RegExp(`gave up after ${queued.maxAttempts} attempts: the worker stopped while running`));
    const alerts = await h.stores.alerts.recent('needsReview', [h.merchant.id], since, 10);
    assert.equal(alerts.length, 1, 'a person is told, as for any job that needs review');
    assert.match(alerts[0].message, /worker stopped while running/);

    h.clock.advance(LEASE_MS + 1000);
    assert.equal(await h.worker.runOnce(), false, 'nothing comes back after another lease');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).length, 0);
  });

  it('a job whose worker died with attempts left is still taken over and run', async () => {
    await paidThroughGateway(h);
    const [queued] = await h.stores.jobs.list({ state: 'queued' });
    for (let i = 0; i < queued.maxAttempts - 1; i++) await claimAndDie();
    assert.equal(await h.worker.runOnce(), true);
    const job = (await h.stores.jobs.byId(queued.id))!;
    assert.equal(job.state, 'done');
    assert.equal(job.attempts, queued.maxAttempts);
  });
});
