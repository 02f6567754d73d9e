/**
 * A job may run longer than its lease (a listing over many merchants slowed by Xendit's rate limit,
 * a report, a big backlog group): its worker renews the lease while it runs, so nobody takes it
 * over and runs it a second time alongside. A worker that stops renewing (killed, stuck) still
 * loses its jobs when the lease runs out, and cannot take them back afterwards.
 */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { enqueueJob } from '../helpers/jobs.js';
import { createJobRunner, type JobHandler, type LeaseTimer, type RunnerDeps } from '../../app/jobs/runner.js';
import { createXeroBatch } from '../../app/jobs/xero-batch.js';

const LEASE_MS = 300_000;

/** A worker's renewal timer fired by the test: each `renew()` is one renewal interval gone by. */
function manualRenewals() {
  const pending = new Set<() => Promise<void>>();
  const intervals: number[] = [];
  const leaseTimer: LeaseTimer = (renew, ms) => {
    pending.add(renew);
    intervals.push(ms);
    return () => void pending.delete(renew);
  };
  return {
    leaseTimer,
    intervals,
    renew: async () => void (await Promise.all([...pending].map((renew) => renew()))),
    get active() {
      return pending.size;
    },
  };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describeEachDatabase('a job running longer than its lease', ({ db }) => {
  let h: Harness;
  let warnings: string[];
  beforeEach(async () => {
    h = await createHarness(db());
    warnings = [];
  });
  afterEach(() => h.close());

  /** A worker of the test's own handlers, with its own renewal timer. */
  function worker(handlers: Record<string, JobHandler>, extra: Partial<RunnerDeps> = {}) {
    const renewals = manualRenewals();
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const runner = createJobRunner({ jobs: h.stores.jobs, clock: h.clock, logger, leaseMs: LEASE_MS, handlers, leaseTimer: renewals.leaseTimer, ...extra });
    return { runner, renewals };
  }

  /** `long` blocks its first run until the test releases it; a later run (a take-over) blocks on `second` if given. */
  function longJob(second?: Promise<void>) {
    const started = gate();
    const release = gate();
    const startedAgain = gate();
    let runs = 0;
    const handlers = {
      long: async () => {
        runs++;
        if (runs === 1) {
          started.open();
          await release.opened;
        } else {
          startedAgain.open();
          await second;
        }
      },
    };
    return { handlers, started, release, startedAgain, runs: () => runs };
  }

  async function theJob() {
    const [job] = await h.stores.jobs.list();
    return job;
  }

  it('is renewed while it runs: no other worker takes it over, and it ends done at its first attempt', async () => {
    const long = longJob();
    const a = worker(long.handlers);
    const b = worker(long.handlers);
    await enqueueJob(h.stores.db, { kind: 'long', payload: {} }, h.clock());
    const running = a.runner.runOnce();
    await long.started.opened;

    // Twice the lease in all, renewed every half lease.
    for (let i = 1; i <= 4; i++) {
      h.clock.advance(LEASE_MS / 2);
      await a.renewals.renew();
      assert.equal(await b.runner.runOnce(), false, `a second worker took the job over ${(i * LEASE_MS) / 2000} s into its run`);
    }
    long.release.open();
    assert.equal(await running, true);

    const job = await theJob();
    assert.equal(job.state, 'done');
    assert.equal(job.attempts, 1);
    assert.equal(long.runs(), 1, 'run once, never alongside itself');
    assert.equal(a.renewals.active, 0, 'renewing stops when the job ends');
    assert.ok(a.renewals.intervals[0] < LEASE_MS / 2, `renewed every ${a.renewals.intervals[0]} ms: at least twice per lease`);
    assert.deepEqual(warnings, []);
  });

  it('whose worker stops renewing (killed, stuck) is taken over once the lease runs out, as before', async () => {
    const long = longJob();
    const a = worker(long.handlers);
    const b = worker(long.handlers);
    await enqueueJob(h.stores.db, { kind: 'long', payload: {} }, h.clock());
    const running = a.runner.runOnce();
    await long.started.opened;
    h.clock.advance(LEASE_MS / 2);
    await a.renewals.renew();

    // Worker a renews no more: its lease (renewed half a lease in) runs out a lease later.
    h.clock.advance(LEASE_MS / 2);
    assert.equal(await b.runner.runOnce(), false, 'still leased to the worker that renewed it');
    h.clock.advance(LEASE_MS / 2 + 1000);
    assert.equal(await b.runner.runOnce(), true, 'taken over once the renewed lease ran out');
    const job = await theJob();
    assert.equal(job.state, 'done');
    assert.equal(job.attempts, 2);
    assert.equal(long.runs(), 2);

    long.release.open();
    await running;
    assert.equal((await theJob()).state, 'done', "the first run's late verdict changes nothing");
  });

  it('a worker that lost its job cannot take it back by renewing, and stops renewing it', async () => {
    const second = gate();
    const long = longJob(second.opened);
    const a = worker(long.handlers);
    const b = worker(long.handlers);
    await enqueueJob(h.stores.db, { kind: 'long', payload: {} }, h.clock());
    const runningA = a.runner.runOnce();
    await long.started.opened;

    // Worker a stalls past its lease; b takes the job over (and runs it, renewing its own lease).
    h.clock.advance(LEASE_MS + 1000);
    const runningB = b.runner.runOnce();
    await long.startedAgain.opened;
    const taken = await theJob();
    assert.equal(taken.attempts, 2);
    const leaseB = taken.lockedUntil?.getTime();

    // Worker a comes back and renews what it thinks is its lease, later than b's.
    h.clock.advance(1000);
    assert.equal(a.renewals.active, 1);
    await a.renewals.renew();
    const after = await theJob();
    assert.equal(after.lockedUntil?.getTime(), leaseB, "b's lease, not a's renewal");
    assert.equal(after.attempts, 2);
    assert.equal(a.renewals.active, 0, 'a renews it no more');
    assert.ok(
      warnings.some((w) => /job lease lost while running/.test(w)),
      'the lost lease is logged',
    );

    long.release.open();
    await runningA;
    assert.equal((await theJob()).state, 'running', "a's late verdict is fenced off: the job is still b's");
    second.open();
    await runningB;
    const job = await theJob();
    assert.equal(job.state, 'done');
    assert.equal(job.attempts, 2);
  });

  it('a take-over at the last attempt (the same attempt count) is not renewed by the worker that lost it', async () => {
    await enqueueJob(h.stores.db, { kind: 'long', payload: {}, maxAttempts: 1 }, h.clock());
    const first = (await h.stores.jobs.claim(h.clock(), LEASE_MS))!;
    h.clock.advance(LEASE_MS + 1000);
    const again = (await h.stores.jobs.claim(h.clock(), LEASE_MS))!;
    assert.equal(again.workerStopped, true);
    assert.equal(again.attempts, first.attempts, 'the claim that sends it to review keeps the count');

    const renewed = await h.stores.jobs.renew([{ id: first.id, claimNo: first.claimNo, attempts: first.attempts }], new Date(h.clock().getTime() + LEASE_MS));
    assert.equal(renewed.size, 0);
    assert.equal((await theJob()).lockedUntil?.getTime(), again.lockedUntil?.getTime());
  });

  it('in a group, a member done early stays leased until the slowest one ends', async () => {
    const started = gate();
    const release = gate();
    const runs = new Map<number, number>();
    const handlers: Record<string, JobHandler> = {
      long: async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        if (job.payload.slow) {
          started.open();
          await release.opened;
        }
      },
    };
    const batch = { size: 5, kinds: ['long'], open: () => createXeroBatch(h.deps.xero) };
    const a = worker(handlers, { batch });
    const b = worker(handlers, { batch });
    await enqueueJob(h.stores.db, { kind: 'long', merchantId: h.merchant.id, payload: { slow: false } }, h.clock());
    await enqueueJob(h.stores.db, { kind: 'long', merchantId: h.merchant.id, payload: { slow: true } }, h.clock());
    const running = a.runner.runOnce();
    await started.opened;
    for (let i = 1; i <= 4; i++) {
      h.clock.advance(LEASE_MS / 2);
      await a.renewals.renew();
      assert.equal(await b.runner.runOnce(), false, `a second worker took a job of the group over ${(i * LEASE_MS) / 2000} s into its run`);
    }
    release.open();
    await running;
    const jobs = await h.stores.jobs.list();
    assert.deepEqual(
      jobs.map((j) => [j.state, j.attempts]),
      [
        ['done', 1],
        ['done', 1],
      ],
    );
    assert.deepEqual([...runs.values()], [1, 1]);
    assert.deepEqual(warnings, []);
  });
});
