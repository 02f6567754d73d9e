import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import { PGlite } from '@electric-sql/pglite';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import type { Database } from './schema.js';
import * as m001 from './migrations/001_core.js';
import * as m001b from './migrations/001b_clearing_accounts.js';
import * as m002 from './migrations/002_fees.js';
import * as m004 from './migrations/004_admin.js';
import * as m005 from './migrations/005_onboarding.js';
import * as m003RateLimits from './migrations/003_rate_limits.js';
import * as m003Reconcile from './migrations/003_reconcile.js';
import * as m007BackendFlow from './migrations/007_backend_flow.js';
import * as m006XeroLimits from './migrations/006_xero_limits.js';
import * as m008XeroOAuth from './migrations/008_xero_oauth.js';
import * as m009Accounting from './migrations/009_accounting.js';
import * as m010Dashboard from './migrations/010_dashboard.js';
import * as m011Reliability from './migrations/011_reliability.js';
import * as m012Performance from './migrations/012_performance.js';
import * as m013SalesTax from './migrations/013_sales_tax.js';
import * as m014PayClickAdmission from './migrations/014_pay_click_admission.js';
import * as m015CallbackAccept from './migrations/015_callback_accept.js';
import * as m018XenditFidelity from './migrations/018_xendit_fidelity.js';

export type Db = Kysely<Database>;

export interface OpenedDatabase {
  db: Db;
  kind: 'postgres' | 'embedded';
  close(): Promise<void>;
}

export class DatabaseLockedError extends Error {}

/**
 * PGlite runs PostgreSQL inside this process, with PostgreSQL's server defaults (160 MB of shared
 * buffers, 64 MB maintenance_work_mem): sized for a server, they are most of the process's memory.
 * A gateway's working set is small, and the files sit in the OS page cache anyway.
 */
const EMBEDDED_CONF = { postgresqlconf: ['shared_buffers=16MB', 'maintenance_work_mem=8MB', 'work_mem=2MB', 'temp_buffers=2MB', 'wal_buffers=1MB'] };

const migrations: Record<string, Migration> = {
  '001_core': m001,
  '001b_clearing_accounts': m001b,
  '002_fees': m002,
  '003_rate_limits': m003RateLimits,
  '003_reconcile': m003Reconcile,
  '004_admin': m004,
  '005_onboarding': m005,
  '007_backend_flow': m007BackendFlow,
  '006_xero_limits': m006XeroLimits,
  '008_xero_oauth': m008XeroOAuth,
  '009_accounting': m009Accounting,
  '010_dashboard': m010Dashboard,
  '011_reliability': m011Reliability,
  '012_performance': m012Performance,
  '013_sales_tax': m013SalesTax,
  '014_pay_click_admission': m014PayClickAdmission,
  '015_callback_accept': m015CallbackAccept,
  '018_xendit_fidelity': m018XenditFidelity,
};
const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrate(db: Db): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
}

/**
 * PostgreSQL when a URL is given; otherwise embedded PGlite in dataDir (or in memory when
 * dataDir is ':memory:'). PGlite files may be opened by one process only, so a lock file
 * turns a second opener into a clear error instead of a corrupted database.
 */
export async function openDatabase(opts: {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  onPoolError?: (err: Error) => void;
}): Promise<OpenedDatabase> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 10 });
    // An idle connection dropped by the server (restart, failover) must not crash the process;
    // the pool replaces it on next use.
    pool.on('error', (err) => opts.onPoolError?.(err));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    await migrate(db);
    return { db, kind: 'postgres', close: () => db.destroy() };
  }
  if (opts.dataDir === ':memory:') {
    const db = new Kysely<Database>({ dialect: new PGliteDialect(new PGlite(EMBEDDED_CONF)) });
    await migrate(db);
    return { db, kind: 'embedded', close: () => db.destroy() };
  }
  const dir = resolve(opts.dataDir);
  const releaseLock = takeLock(dir);
  try {
    const pgDir = join(dir, 'pg');
    if (!existsSync(join(pgDir, 'PG_VERSION'))) await initdbInChild(pgDir);
    const client = new PGlite(pgDir, EMBEDDED_CONF);
    const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
    await migrate(db);
    return {
      db,
      kind: 'embedded',
      close: async () => {
        await db.destroy();
        await client.close().catch(() => undefined);
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * A new data directory is made in a short-lived child process: PGlite's initdb runs a second
 * PostgreSQL and the initdb program, each a WebAssembly instance of its own, and the memory they
 * take (≈ 500 MB) would stay in this process's footprint for good.
 */
async function initdbInChild(pgDir: string): Promise<void> {
  const pglite = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
  const script = `const { PGlite } = await import(${JSON.stringify(pglite)}); const pg = new PGlite(${JSON.stringify(pgDir)}, ${JSON.stringify(EMBEDDED_CONF)}); await pg.query('select 1'); await pg.close();`;
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 120_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`could not create the embedded database in ${pgDir}: ${stderr || err.message}`)) : resolve(),
    ),
  );
}

function takeLock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lockFile = join(dir, 'gateway.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          unlinkSync(lockFile);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockFile, 'utf8'));
      if (holder && holder !== process.pid && isAlive(holder)) {
        throw new DatabaseLockedError(
          `The embedded database in ${dir} is in use by process ${holder} (probably the running gateway). ` +
            `Stop it first, or use PostgreSQL (DATABASE_URL) to run several processes at once.`,
        );
      }
      unlinkSync(lockFile); // stale: its process is gone
    }
  }
  throw new DatabaseLockedError(`Could not take the lock ${lockFile}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
