/**
 * What keeps a backlog draining at Xero's ceiling: jobs refused by our own Xero budget wait for it
 * without spending attempts (and hold back their merchant's other jobs), and several jobs run at once.
 */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { enqueueJob } from '../helpers/jobs.js';
import { waitFor } from '../helpers/spawn.js';
import { createJobRunner } from '../../app/jobs/runner.js';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createXeroSimulator } from '../../app/simulators/xero/index.js';
import { createXeroClient } from '../../app/clients/xero/index.js';
import { createXeroBudget } from '../../app/store/xero-budget.js';
import { UpstreamError } from '../../app/clients/types.js';
import { unlimitedXeroBudget } from '../../app/clients/xero/budget.js';

describeEachDatabase('worker throughput under the Xero budget', ({ db }) => {
  let h: Harness;
  afterEach(() => h.close());
  const logger = pino({ level: 'silent' });

  it("a job refused by the budget waits for the next minute with its attempt given back, and so do its merchant's other jobs", async () => {
    h = await createHarness(db(), { xeroLimits: { perMinute: 3 } });
    let runs = 0;
    const runner = createJobRunner({
      jobs: h.stores.jobs,
      clock: h.clock,
      logger,
      handlers: { probe: async () => (runs++, void (await h.deps.xero.getOrganisation(h.merchant.xero))) },
    });
    for (let i = 0; i < 5; i++) await enqueueJob(h.stores.db, { kind: 'probe', merchantId: h.merchant.id, payload: { i } }, h.clock());
    await runner.drain();
    assert.equal(runs, 4, 'three calls fit the minute; the fourth job is held back and the fifth is never tried');
    const queued = await h.stores.jobs.list({ state: 'queued' });
    assert.equal(queued.length, 2);
    const nextMinute = new Date(Math.floor(h.clock().getTime() / 60_000) * 60_000 + 60_000);
    for (const job of queued) {
      assert.equal(job.attempts, 0, 'no attempt spent');
      assert.equal(job.runAt.getTime(), nextMinute.getTime());
    }
    h.clock.advance(nextMinute.getTime() - h.clock().getTime());
    await runner.drain();
    assert.equal((await h.stores.jobs.list({ state: 'done' })).length, 5);
    assert.equal(h.sims.xero.test.countRequests({ pathPrefix: '/api.xro/' }), 5, 'Xero never saw a refused call');
  });

  it('start(poll, 3) runs three jobs at once', async () => {
    h = await createHarness(db());
    let running = 0;
    let most = 0;
    let done = 0;
    // The first jobs are held until three run at once: one loop at a time would never get there.
    let threeRunning!: () => void;
    const gate = new Promise<void>((resolve) => (threeRunning = resolve));
    const runner = createJobRunner({
      jobs: h.stores.jobs,
      clock: h.clock,
      logger,
      handlers: {
        slow: async () => {
          most = Math.max(most, ++running);
          if (running === 3) threeRunning();
          await gate;
          running--;
          done++;
        },
      },
    });
    for (let i = 0; i < 9; i++) await enqueueJob(h.stores.db, { kind: 'slow', payload: { i } }, h.clock());
    runner.start(10, 3);
    try {
      await waitFor('the nine jobs to be done', async () => (done === 9 ? true : undefined), 10_000);
    } finally {
      threeRunning();
      await runner.stop();
    }
    assert.equal(done, 9);
    assert.equal(most, 3);
  });

  it('idle, five loops cost one claim per poll, and a job found wakes them all', async () => {
    h = await createHarness(db());
    let claims = 0;
    let running = 0;
    let most = 0;
    const jobs = { ...h.stores.jobs, claim: (now: Date, leaseMs: number) => (claims++, h.stores.jobs.claim(now, leaseMs)) };
    // The idle poll's timers, fired by the test: each firing is one poll interval gone by.
    const timers = new Set<() => void>();
    const pollTimer = (wake: () => void) => {
      timers.add(wake);
      return () => void timers.delete(wake);
    };
    const poll = () => [...timers].forEach((wake) => (timers.delete(wake), wake()));
    let threeRunning!: () => void;
    const gate = new Promise<void>((resolve) => (threeRunning = resolve));
    const runner = createJobRunner({
      jobs,
      clock: h.clock,
      logger,
      pollTimer,
      handlers: {
        slow: async () => {
          most = Math.max(most, ++running);
          if (running === 3) threeRunning();
          await gate;
          running--;
        },
      },
    });
    runner.start(100, 5);
    try {
      const idle = (n: number) => async () => (claims === n && timers.size === 1 ? true : undefined);
      await waitFor('the five loops to claim once each and go idle', idle(5), 10_000);
      for (let i = 1; i <= 5; i++) {
        poll();
        await waitFor(`poll ${i} to be claimed and the next one set`, idle(5 + i), 10_000);
      }
      assert.ok(claims <= 12, `${claims} claims for five idle polls: one each at start, then only the first loop polls (all five polling: 30)`);
      for (let i = 0; i < 5; i++) await enqueueJob(h.stores.db, { kind: 'slow', payload: { i } }, h.clock());
      poll();
      await waitFor('the five jobs to be done', async () => ((await h.stores.jobs.list({ state: 'done' })).length === 5 ? true : undefined), 10_000);
    } finally {
      threeRunning();
      await runner.stop();
    }
    assert.equal((await h.stores.jobs.list({ state: 'done' })).length, 5);
    assert.ok(most >= 3, `only ${most} ran at once`);
  });

  it("the Xero simulator answers 429 to a sixth call in flight; the gateway's budget never lets one through", async () => {
    h = await createHarness(db());
    const sim = createXeroSimulator({ limits: { concurrent: 5 }, latencyMs: () => 100 });
    const server = createServer(express().use(sim.router));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const clientId = `conc-${process.pid}-${Date.now()}`;
      sim.addOrganisation({ clientId, clientSecret: 'conc-s', name: 'Toko Ramai', shortCode: '!C1', baseCurrency: 'IDR' });
      const creds = { clientId, clientSecret: 'conc-s', tenantId: '' };
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => 200,
          (err: unknown) => (err instanceof UpstreamError ? (err.status ?? 0) : -1),
        );
      const bare = createXeroClient({ apiUrl: url, identityUrl: url, budget: unlimitedXeroBudget });
      const unguarded = await Promise.all(Array.from({ length: 6 }, () => outcome(bare.getOrganisation(creds))));
      assert.deepEqual([...unguarded].sort(), [200, 200, 200, 200, 200, 429]);
      const budgeted = createXeroClient({ apiUrl: url, identityUrl: url, budget: createXeroBudget(db(), h.clock, {}), now: h.clock });
      const guarded = await Promise.all(Array.from({ length: 6 }, () => outcome(budgeted.getOrganisation(creds))));
      assert.deepEqual(guarded, [200, 200, 200, 200, 200, 200], 'the sixth waited for a slot');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
