import pg from 'pg';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { connect, migrate, withPools, type Db, type OpenedDatabase } from '../../app/store/db.js';
import { useEmbeddedServer, type EmbeddedServer } from '../../app/store/embedded/server.js';

/**
 * The suite runs once, on one PostgreSQL: the server at TEST_DATABASE_URL / DATABASE_URL when
 * given (CI: the machine's server at 127.0.0.1:5432), otherwise an embedded server started once
 * for the run in the system's temp directory. Each run works in databases of its own.
 */
const EXTERNAL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
export type Engine = 'embedded' | 'postgres';
export const ENGINE: Engine = EXTERNAL ? 'postgres' : 'embedded';
/** One engine per run; kept as a list for the tests that loop over it. */
export const ENGINES: Engine[] = [ENGINE];

/**
 * The run's database names start with RUN. Under `--parallel` each worker process names its own
 * beneath the run's (GW_TEST_RUN, set by the main process before the workers start), so the main
 * process drops them all at the end, whichever worker made them.
 */
export const RUN = process.env.GW_TEST_RUN ? `${process.env.GW_TEST_RUN}_w${process.pid}` : `gw_t${process.pid}_${Date.now().toString(36)}`;
let counter = 0;
let embedded: Promise<EmbeddedServer> | undefined;
let template: Promise<string> | undefined;

/** A URL on the test server for the given database (the maintenance database by default). */
export async function serverUrl(database = 'postgres'): Promise<string> {
  if (EXTERNAL) {
    const url = new URL(EXTERNAL);
    url.pathname = `/${database}`;
    return url.toString();
  }
  embedded ??= useEmbeddedServer({ dataDir: join(tmpdir(), 'xx-gateway-test-db') });
  return (await embedded).urlFor(database);
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: await serverUrl() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** Migrated once per run; every test database is a copy of it (CREATE DATABASE … TEMPLATE). */
function migratedTemplate(): Promise<string> {
  template ??= (async () => {
    const name = `${RUN}_tpl`;
    await adminQuery(`create database ${name}`);
    const db = connect(await serverUrl(name), { poolSize: 2 });
    try {
      await migrate(db);
      // Tests date money by clocks that start in the past, before this migration ran: as on a new
      // installation, nothing simulated predates the floors of listings an upgrade added.
      await db
        .updateTable('listing_floors')
        .set({ since: new Date(0) })
        .execute();
    } finally {
      await db.destroy();
    }
    return name;
  })();
  return template;
}

/** A database of its own on the test server: empty, or a migrated copy. Dropped by drop(). */
export async function createPostgresDatabase(opts: { migrated?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${RUN}_${++counter}`;
  await adminQuery(opts.migrated ? `create database ${name} template ${await migratedTemplate()}` : `create database ${name}`);
  return {
    url: await serverUrl(name),
    drop: async () => {
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/** A fresh, migrated database of its own, dropped on close. The engine argument is ignored: one per run. */
export async function openTestDatabase(_engine?: Engine, poolSize = 25): Promise<OpenedDatabase> {
  const made = await createPostgresDatabase({ migrated: true });
  return withPools(made.url, connect(made.url, { poolSize }), ENGINE, { after: made.drop });
}

/** The test server must answer; under CI a missing server fails the run instead of skipping. */
export async function requirePostgres(_ctx?: Mocha.Context, _title?: string): Promise<void> {
  await serverUrl();
}

/** Called once after the whole run, in the main process (test/helpers/root-hooks.ts): every database the run made, by any worker. */
export async function releaseTestServer(): Promise<void> {
  if (!EXTERNAL && !embedded) return;
  const client = new pg.Client({ connectionString: await serverUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('select datname from pg_database where starts_with(datname, $1)', [RUN]);
    for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`).catch(() => undefined);
  } finally {
    await client.end();
  }
  if (embedded) await (await embedded).close();
}

/** Runs the block on a migrated database of its own (one engine per run). */
export function describeEachDatabase(title: string, body: (ctx: { db(): Db; engine: Engine }) => void): void {
  describe(title, function () {
    let opened: OpenedDatabase | undefined;
    before(async function () {
      opened = await openTestDatabase();
    });
    after(async () => {
      await opened?.close();
    });
    body({ db: () => opened!.db, engine: ENGINE });
  });
}

export async function truncateAll(db: Db): Promise<void> {
  await sql`truncate jobs, payments, callback_events, checkouts, merchants, rate_limits restart identity cascade`.execute(db);
}
