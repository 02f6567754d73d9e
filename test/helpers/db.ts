import pg from 'pg';
import { sql } from 'kysely';
import { openDatabase, type Db, type OpenedDatabase } from '../../app/store/db.js';

/** Real PostgreSQL on every machine; the embedded engine needs nothing. */
export const ADMIN_URL = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export type Engine = 'embedded' | 'postgres';
export const ENGINES: Engine[] = ['embedded', 'postgres'];

let counter = 0;
let pgReachable: Promise<boolean> | undefined;

export function checkPostgres(): Promise<boolean> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.end();
      return true;
    } catch {
      return false;
    }
  })();
  return pgReachable;
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** An empty PostgreSQL database of its own, for code that takes a DATABASE_URL. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gw_test_${process.pid}_${++counter}_${Date.now().toString(36)}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}

/** A fresh, migrated database of that engine; postgres gets its own database per call, dropped on close. */
export async function openTestDatabase(engine: Engine): Promise<OpenedDatabase> {
  if (engine === 'embedded') return openDatabase({ dataDir: ':memory:' });
  const created = await createPostgresDatabase();
  const opened = await openDatabase({ databaseUrl: created.url, dataDir: 'unused', poolSize: 25 });
  return {
    ...opened,
    close: async () => {
      await opened.close();
      await created.drop();
    },
  };
}

/** Skips (or, under CI, fails) when PostgreSQL is not there. */
export async function requirePostgres(ctx: Mocha.Context, title: string): Promise<void> {
  if (await checkPostgres()) return;
  if (process.env.CI === 'true') throw new Error(`PostgreSQL unreachable at ${ADMIN_URL} (required under CI=true)`);
  console.warn(`\n  NOTICE: PostgreSQL unreachable at ${ADMIN_URL}; skipping "${title}" on postgres\n`);
  ctx.skip();
}

/**
 * Runs the same describe block once per engine. PostgreSQL missing fails under CI=true and is
 * skipped with a visible notice elsewhere.
 */
export function describeEachDatabase(title: string, body: (ctx: { db(): Db; engine: Engine }) => void): void {
  for (const engine of ENGINES) {
    describe(`${title} [${engine}]`, function () {
      let opened: OpenedDatabase | undefined;
      before(async function () {
        if (engine === 'postgres') await requirePostgres(this, title);
        opened = await openTestDatabase(engine);
      });
      after(async () => {
        await opened?.close();
      });
      body({ db: () => opened!.db, engine });
    });
  }
}

export async function truncateAll(db: Db): Promise<void> {
  await sql`truncate jobs, payments, callback_events, checkouts, merchants, rate_limits restart identity cascade`.execute(db);
}
