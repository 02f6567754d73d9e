import { strict as assert } from 'node:assert';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import request from 'supertest';
import { describeEachDatabase, openTestDatabase } from '../helpers/db.js';
import { box, createHarness, type Harness } from '../helpers/harness.js';
import { createApp, READY_TIMEOUT_MS } from '../../app/server.js';
import { createStores } from '../../app/store/index.js';
import type { Database } from '../../app/store/schema.js';
import type { Db } from '../../app/store/db.js';

describeEachDatabase('/healthz and /readyz', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  /** The gateway exactly as the harness builds it, on another database. */
  const appOn = (other: Db) => createApp({ ...h.deps, stores: createStores(other, box) });

  it('/healthz: 200 while the process is up; /readyz: 200 while the database answers', async () => {
    assert.deepEqual((await request(h.app).get('/healthz').expect(200)).body, { ok: true });
    assert.deepEqual((await request(h.app).get('/readyz').expect(200)).body, { ok: true });
  });

  it('/readyz: 503 with a reason once the database is closed, while /healthz stays 200', async () => {
    const other = await openTestDatabase();
    const app = appOn(other.db);
    await request(app).get('/readyz').expect(200);
    await other.close();
    const res = await request(app).get('/readyz').expect(503);
    assert.deepEqual(res.body, { ok: false, reason: 'database unreachable' });
    await request(app).get('/healthz').expect(200);
  });
});

describe('/readyz with PostgreSQL unreachable or silent', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let h: Harness;
  let embedded: Awaited<ReturnType<typeof openTestDatabase>>;
  before(async () => {
    // Accepts connections and never says a word: what a black-holed or frozen database host looks like.
    silent = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    embedded = await openTestDatabase();
    h = await createHarness(embedded.db);
  });
  after(async () => {
    await h.close();
    await embedded.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  const pgAt = (port: number) =>
    new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: `postgres://gw@127.0.0.1:${port}/gw`, max: 1 }) }) });

  it('connection refused: 503 with a reason, never a 500', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const unreachable = pgAt(closedPort);
    const res = await request(createApp({ ...h.deps, stores: createStores(unreachable, box) }))
      .get('/readyz')
      .expect(503);
    assert.deepEqual(res.body, { ok: false, reason: 'database unreachable' });
    await unreachable.destroy().catch(() => undefined);
  });

  it(`a database that accepts but never answers: 503 after ${READY_TIMEOUT_MS} ms, not a hang`, async () => {
    const frozen = pgAt((silent.address() as AddressInfo).port);
    const started = Date.now();
    const res = await request(createApp({ ...h.deps, stores: createStores(frozen, box) }))
      .get('/readyz')
      .timeout(READY_TIMEOUT_MS + 10_000)
      .expect(503);
    assert.equal(res.body.ok, false);
    assert.match(res.body.reason, /database did not answer within/);
    assert.ok(Date.now() - started < READY_TIMEOUT_MS + 5_000, 'answered soon after the bound');
    for (const s of sockets) s.destroy(); // lets the pool's pending connect fail so it can be destroyed
    await frozen.destroy().catch(() => undefined);
  });
});
