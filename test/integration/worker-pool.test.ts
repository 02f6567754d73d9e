import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { pino } from 'pino';
import { boot, inProcessWorkerRuntime, type Runtime } from '../../app/bin/bootstrap.js';
import { WORKER_POOL_SIZE, type Db } from '../../app/store/db.js';
import { createPostgresDatabase, requirePostgres } from '../helpers/db.js';

/** The web path's pool (app/store/db.ts connect's default): what a worker sharing it could take whole. */
const WEB_POOL_SIZE = 10;

const pid = async (db: Db) => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0].pid;

describe('the in-process worker has its own database pool', () => {
  let made: Awaited<ReturnType<typeof createPostgresDatabase>>;
  let dataDir: string;
  let runtime: Runtime;

  before(async function () {
    await requirePostgres(this);
    made = await createPostgresDatabase({ migrated: true });
    dataDir = mkdtempSync(join(tmpdir(), 'gw-pool-'));
    runtime = await boot(
      { DATABASE_URL: made.url, DATA_DIR: dataDir, SECRETS_KEY: Buffer.alloc(32, 3).toString('base64'), LOG_LEVEL: 'silent' },
      pino({ level: 'silent' }),
    );
  });
  after(async () => {
    await runtime?.database.close();
    await made?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the web path while the worker holds every connection it can get', async () => {
    const worker = inProcessWorkerRuntime(runtime);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held: number[] = [];
    let enough!: () => void;
    const allHeld = new Promise<void>((resolve) => (enough = resolve));
    // As many transactions as the web pool has connections: on a shared pool they would take all of it.
    const holds = Array.from({ length: WEB_POOL_SIZE }, () =>
      worker.stores.db.transaction().execute(async (trx) => {
        held.push(await pid(trx));
        if (held.length === WORKER_POOL_SIZE) enough();
        await gate;
      }),
    );
    await allHeld;
    try {
      const web = await pid(runtime.stores.db);
      assert.ok(!held.includes(web), `the web path's connection ${web} is one the worker holds`);
      assert.equal(held.length, WORKER_POOL_SIZE);
    } finally {
      release();
      await Promise.all(holds);
    }
  });

  it("closes the worker's pool with the database", async () => {
    const other = await createPostgresDatabase({ migrated: true });
    const dir = mkdtempSync(join(tmpdir(), 'gw-pool-'));
    try {
      const rt = await boot(
        { DATABASE_URL: other.url, DATA_DIR: dir, SECRETS_KEY: Buffer.alloc(32, 3).toString('base64'), LOG_LEVEL: 'silent' },
        pino({ level: 'silent' }),
      );
      const worker = inProcessWorkerRuntime(rt);
      await pid(worker.stores.db);
      await rt.database.close();
      // A pool left open would keep the process from exiting after SIGTERM (bin/start.ts's shutdown).
      let error: unknown;
      await pid(worker.stores.db).catch((err: unknown) => (error = err));
      assert.match(String(error), /destroyed/);
    } finally {
      await other.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
