import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Migrator, sql } from 'kysely';
import request from 'supertest';
import { connect, migrationProvider, openDatabase } from '../../app/store/db.js';
import { stopEmbeddedServer, useEmbeddedServer } from '../../app/store/embedded/server.js';
import { alive, readPostmasterPid } from '../../app/store/embedded/postmaster.js';
import { createApp } from '../../app/server.js';
import { createStores } from '../../app/store/index.js';
import { box, createHarness } from '../helpers/harness.js';
import { freePort, spawnStart, spawnTs, waitFor, type Spawned } from '../helpers/spawn.js';

/**
 * The embedded default as a user meets it: `npm start` with no DATABASE_URL finds or starts the
 * installation's PostgreSQL in DATA_DIR/pg. These tests kill, restart and double-start it.
 */
describe('embedded PostgreSQL (npm start without DATABASE_URL)', function () {
  this.timeout(120_000);
  const dirs: string[] = [];
  const newDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-emb-'));
    dirs.push(dir);
    return dir;
  };
  after(async () => {
    for (const dir of dirs) {
      await stopEmbeddedServer(dir).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  async function start(dataDir: string, port: number): Promise<Spawned> {
    const gw = spawnStart({ PORT: String(port), DATA_DIR: dataDir });
    await waitFor(
      'the gateway to answer /readyz',
      async () => ((await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok ? true : undefined),
      60_000,
    ).catch((err) => {
      gw.child.kill('SIGKILL');
      throw new Error(`${err.message}\n--- gateway output ---\n${gw.output()}`);
    });
    return gw;
  }

  it('comes back after SIGKILL, three times in a row and at once, with every committed row', async () => {
    const dataDir = newDataDir();
    const port = await freePort();
    let gw = await start(dataDir, port);
    for (let round = 1; round <= 3; round++) {
      // Written from a second process while the gateway runs: what the operator CLI does.
      const opened = await openDatabase({ dataDir, migrate: false });
      await sql`create table if not exists restart_probe (round int primary key)`.execute(opened.db);
      await sql`insert into restart_probe values (${round})`.execute(opened.db);
      await opened.close();
      gw.child.kill('SIGKILL');
      await gw.exited;
      if (round === 3) {
        // The harshest case: the database server dies too, mid-flight (crash recovery at next start).
        const pm = readPostmasterPid(join(dataDir, 'pg'));
        if (pm) process.kill(pm.pid, 'SIGKILL');
      }
      gw = await start(dataDir, port);
    }
    const opened = await openDatabase({ dataDir, migrate: false });
    const rows = await sql<{ round: number }>`select round from restart_probe order by round`.execute(opened.db);
    await opened.close();
    assert.deepEqual(
      rows.rows.map((r) => r.round),
      [1, 2, 3],
    );
    gw.child.kill('SIGTERM');
    assert.equal(await gw.exited, 0, gw.output());
    const pm = readPostmasterPid(join(dataDir, 'pg'));
    assert.ok(!pm || !alive(pm.pid), 'the last process out stopped the server');
  });

  it('a second npm start in the same directory says what it found and leaves the first one alone', async () => {
    const dataDir = newDataDir();
    const port = await freePort();
    const first = await start(dataDir, port);
    try {
      const second = spawnStart({ PORT: String(port), DATA_DIR: dataDir });
      assert.equal(await second.exited, 1);
      assert.match(
        second.output(),
        /Port \d+ is already in use\. The embedded database in .*pg is running \(pid \d+\): a gateway probably runs in this directory already/,
      );
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200, 'the first gateway still serves');
      // A worker beside it works on the same embedded server, as in production.
      const worker = spawnTs('app/bin/worker.ts', [], { DATA_DIR: dataDir, DEMO: 'true', LOG_LEVEL: 'info' });
      await waitFor('the worker to start', async () => (worker.output().includes('worker started') ? true : undefined), 30_000);
      worker.child.kill('SIGTERM');
      assert.equal(await worker.exited, 0, worker.output());
      assert.equal((await fetch(`http://127.0.0.1:${port}/readyz`)).status, 200, 'the worker leaving did not stop the server');
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });

  it('applies the newer migrations to a data directory from an older version', async () => {
    const dataDir = newDataDir();
    const all = readdirSync(fileURLToPath(new URL('../../app/store/migrations/', import.meta.url))).filter((f) => /^\d/.test(f)).length;
    const server = await useEmbeddedServer({ dataDir });
    const old = connect(server.url);
    const { error } = await new Migrator({ db: old, provider: migrationProvider((name) => name < '010') }).migrateToLatest();
    assert.equal(error, undefined);
    await old.destroy();
    await server.close();

    const opened = await openDatabase({ dataDir });
    const applied = await sql<{ n: string }>`select count(*) as n from kysely_migration`.execute(opened.db);
    await opened.close();
    assert.equal(Number(applied.rows[0]!.n), all);
  });

  it("stopped behind the gateway's back: /readyz says 503 until the gateway has started it again, then 200", async () => {
    const dataDir = newDataDir();
    const said: string[] = [];
    const logger = { info: (_: object, msg: string) => void said.push(msg), warn: (_: object, msg: string) => void said.push(msg) };
    const opened = await openDatabase({ dataDir, logger });
    const h = await createHarness(opened.db);
    const app = createApp({ ...h.deps, stores: createStores(opened.db, box) });
    try {
      await request(app).get('/readyz').expect(200);
      await stopEmbeddedServer(dataDir);
      // The gateway may have noticed and restarted the server before this request: then it must
      // have said so. A 200 without that would be readiness blind to a stopped database.
      const r = await request(app).get('/readyz');
      if (r.status !== 503) {
        assert.equal(r.status, 200);
        assert.ok(said.includes('embedded PostgreSQL went away; starting it again'), said.join('; '));
      }
      // Back: the gateway says so (its watch reattached) and /readyz answers 200 again.
      await waitFor(
        'the server to be back',
        async () => (said.includes('embedded PostgreSQL is back') && (await request(app).get('/readyz')).status === 200 ? true : undefined),
        30_000,
      );
    } finally {
      await h.close();
      await opened.close();
    }
  });
});
