import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { SIM_CLIENT_TIMEOUT_MS } from '../helpers/sims.js';
import type { Merchant } from '../../app/store/merchants.js';
import { createXeroClient } from '../../app/clients/xero/index.js';
import { unlimitedXeroBudget } from '../../app/clients/xero/budget.js';
import { XeroDisconnected } from '../../app/clients/xero/errors.js';
import { createXeroSimulator, type XeroSimulator } from '../../app/simulators/xero/index.js';
import { createWorker } from '../../app/bin/worker.js';
import { scheduleXeroKeepAlive } from '../../app/jobs/schedules.js';

const DAY = 24 * 3600_000;
const APP = { clientId: 'keepalive-oauth-app', clientSecret: 'keepalive-oauth-secret' };

/**
 * The shared simulators keep the wall clock; refresh tokens expire after 60 days only on a
 * simulator that shares the test's clock, so this one has its own, served on its own port.
 */
describeEachDatabase('Xero OAuth keep-alive: idle refresh tokens are used before Xero drops them (60 days)', ({ db }) => {
  let h: Harness;
  let sim: XeroSimulator;
  let server: Server;
  let client: ReturnType<typeof createXeroClient>;
  let worker: ReturnType<typeof createWorker>;
  let orgA: string;
  let orgB: string;
  beforeEach(async () => {
    h = await createHarness(db());
    sim = createXeroSimulator({ now: h.clock });
    server = createServer(express().use(sim.router));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    sim.addOAuthApp(APP.clientId, APP.clientSecret);
    client = createXeroClient({
      apiUrl: url,
      identityUrl: url,
      timeoutMs: SIM_CLIENT_TIMEOUT_MS,
      now: h.clock,
      budget: unlimitedXeroBudget,
      oauth: { clientId: APP.clientId, clientSecret: APP.clientSecret, tokens: h.stores.xeroTokens },
    });
    worker = createWorker({ stores: h.stores, xero: client, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) });
    orgA = sim.addOrganisation({ clientId: 'ka-a', clientSecret: 'ka-a-secret', name: 'Warung Satu', shortCode: '!KA1', baseCurrency: 'IDR' }).tenantId;
    orgB = sim.addOrganisation({ clientId: 'ka-b', clientSecret: 'ka-b-secret', name: 'Warung Dua', shortCode: '!KA2', baseCurrency: 'IDR' }).tenantId;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await h.close();
  });

  /** An OAuth merchant for this organisation, connected without the browser (the sim's grant). */
  async function oauthMerchant(tenantId: string, shortCode: string): Promise<Merchant> {
    const set = sim.grantOAuth(APP.clientId, [tenantId]);
    const tokens = { accessToken: set.access_token, refreshToken: set.refresh_token!, expiresAt: new Date(h.clock().getTime() + set.expires_in * 1000) };
    const id = await h.stores.xeroConnections.addOAuthMerchant(
      { name: shortCode, shortCode, tenantId, clientId: APP.clientId, tokens, isDemoCompany: true },
      h.clock(),
    );
    return (await h.stores.merchants.byId(id))!;
  }

  const refreshes = () => sim.test.oauth.tokenCalls('refresh_token');
  /** Today's keep-alive run, queued as the schedule does and run by the worker. */
  async function runKeepAlive(): Promise<void> {
    await scheduleXeroKeepAlive(h);
    await worker.drain();
  }
  const keepAliveJobs = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'xero-keep-alive');

  it('control: without the job, a connection idle for 61 days is gone (invalid_grant → reconnect)', async () => {
    const m = await oauthMerchant(orgA, '!KA1');
    h.clock.advance(61 * DAY);
    await assert.rejects(client.getOrganisation(m.xero), XeroDisconnected);
    assert.match((await h.stores.merchants.byId(m.id))!.xeroDisconnected?.reason ?? '', /invalid_grant/);
  });

  it('a connection idle for 59 days is refreshed by the job and still works at day 61 and day 120', async () => {
    const a = await oauthMerchant(orgA, '!KA1');
    const b = await oauthMerchant(orgB, '!KA2');
    h.clock.advance(59 * DAY);
    await runKeepAlive();
    assert.equal(refreshes(), 2, 'both idle sets refreshed once');
    assert.deepEqual(
      (await keepAliveJobs()).map((j) => j.state),
      ['done'],
    );

    h.clock.advance(2 * DAY);
    await runKeepAlive();
    assert.equal(refreshes(), 2, 'refreshed 2 days ago: left alone');
    assert.equal((await client.getOrganisation(a.xero)).shortCode, '!KA1', 'day 61');

    // B is never used by anything but the daily job until day 120.
    for (let day = 62; day <= 120; day++) {
      h.clock.advance(DAY);
      await runKeepAlive();
    }
    assert.equal((await client.getOrganisation(b.xero)).shortCode, '!KA2', 'day 120');
    assert.equal((await h.stores.merchants.byId(b.id))!.xeroDisconnected, null);
    assert.ok((await keepAliveJobs()).every((j) => j.state === 'done'));
    assert.equal((await keepAliveJobs()).length, 61, 'one run per day');
  });

  it('connections refreshed recently are not refreshed', async () => {
    const a = await oauthMerchant(orgA, '!KA1');
    await oauthMerchant(orgB, '!KA2');
    h.clock.advance(10 * DAY);
    await runKeepAlive();
    assert.equal(refreshes(), 0, 'nothing idle for 30 days yet');

    h.clock.advance(10 * DAY);
    await client.getOrganisation(a.xero); // A's payments refresh its tokens on day 20
    assert.equal(refreshes(), 1);
    h.clock.advance(15 * DAY);
    await runKeepAlive();
    assert.equal(refreshes(), 2, 'day 35: only B (idle 35 days), not A (idle 15)');
  });

  it('a revoked grant: the merchant is marked for reconnection and alerted once, and the job does not fail or retry it', async () => {
    const m = await oauthMerchant(orgA, '!KA1');
    sim.test.oauth.refuseRefresh(true);
    h.clock.advance(31 * DAY);
    await runKeepAlive();
    const disconnected = (await h.stores.merchants.byId(m.id))!;
    assert.match(disconnected.xeroDisconnected?.reason ?? '', /invalid_grant/);
    assert.equal(await h.stores.xeroTokens.current(m.id), null);
    assert.equal(refreshes(), 1);

    // Nobody else would hear: an idle merchant has no payment job to meet the refusal.
    const alerts = async () =>
      (await sql<{ n: number }>`select count(*)::int as n from alerts where kind = 'xeroDisconnected' and merchant_id = ${m.id}`.execute(db())).rows[0].n;
    assert.equal(await alerts(), 1, 'the merchant and the operators are told');

    h.clock.advance(DAY);
    await runKeepAlive();
    assert.equal(refreshes(), 1, 'not tried again');
    assert.equal(await alerts(), 1, 'told once');
    const jobs = await keepAliveJobs();
    assert.deepEqual(
      jobs.map((j) => [j.state, j.attempts]),
      [
        ['done', 1],
        ['done', 1],
      ],
    );
  });
});
