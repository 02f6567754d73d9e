import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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
import * as m009Accounting from './migrations/009_accounting.js';
import * as m010Dashboard from './migrations/010_dashboard.js';

export type Db = Kysely<Database>;

export interface OpenedDatabase {
  db: Db;
  kind: 'postgres' | 'embedded';
  close(): Promise<void>;
}

export class DatabaseLockedError extends Error {}

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
  '009_accounting': m009Accounting,
  '010_dashboard': m010Dashboard,
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
    const db = new Kysely<Database>({ dialect: new PGliteDialect(new PGlite()) });
    await migrate(db);
    return { db, kind: 'embedded', close: () => db.destroy() };
  }
  const dir = resolve(opts.dataDir);
  const releaseLock = takeLock(dir);
  try {
    const client = new PGlite(join(dir, 'pg'));
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
