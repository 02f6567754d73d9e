import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/spawn.js';
import { startDemo, type DemoRun } from '../helpers/demo.js';
import { addUser, clearAdminTables, csrfOf, signedIn } from '../helpers/admin.js';
import { consent, startConnect } from '../helpers/xero-oauth.js';
import type { Harness } from '../helpers/harness.js';
import { DEMO, DEMO2 } from '../../app/simulators/demo-data.js';
import { runCli } from '../../app/cli.js';
import { paths } from '../../app/paths.js';

describeEachDatabase('demo state across restarts', ({ db }) => {
  let dataDir: string;
  let port: number;
  let run: DemoRun | undefined;

  beforeEach(async () => {
    await sql`truncate jobs, payments, callback_events, checkouts, merchants, rate_limits, xero_oauth_states restart identity cascade`.execute(db());
    await clearAdminTables(db());
    dataDir = mkdtempSync(join(tmpdir(), 'gw-demo-state-'));
    port = await freePort();
  });
  afterEach(async () => {
    await run?.close();
    run = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  const restart = async () => {
    await run!.close();
    run = await startDemo(db(), dataDir, port);
    return run;
  };
  const merchantOf = async (shortCode: string) => (await run!.runtime.stores.merchants.list()).find((m) => m.shortCode === shortCode);

  /** Connect to Xero against the demo's simulated Xero, picking the second demo organisation. */
  async function onboardDemo2() {
    await addUser(run!.runtime.stores, 'ops@example.com', null);
    const ops = await signedIn(run!.app, 'ops@example.com');
    const authorize = await startConnect(ops);
    // The helper speaks to a simulator at its own root; the demo mounts it under /_sim/xero.
    const sims = { xeroUrl: `${run!.base}${paths.simXero}` } as Harness['sims'];
    const atSim = new URL(authorize.pathname.slice(paths.simXero.length) + authorize.search, run!.base);
    const org2 = orgIdOf(DEMO2.shortCode);
    await ops.get(await consent(sims, atSim, { tenants: [org2] })).expect(303);
    return ops;
  }
  const orgIdOf = (shortCode: string) => [...run!.demo.simulators.xero.state.orgs.values()].find((o) => o.shortCode === shortCode)!.tenantId;

  it('a merchant onboarded with Connect to Xero against the simulated Xero still pays after a restart', async () => {
    run = await startDemo(db(), dataDir, port);
    await onboardDemo2();
    const m = await merchantOf(DEMO2.shortCode);
    console.log(m?.status, m?.mode);
  });
});
