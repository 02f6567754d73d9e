import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';
import { useEmbeddedServer, type EmbeddedLog } from './embedded/server.js';
import { installSqlFunctions } from './sql-functions.js';

export type Db = Kysely<Database>;

export interface OpenedDatabase {
  db: Db;
  /** 'embedded': the installation's own server in DATA_DIR/pg; 'postgres': DATABASE_URL. */
  kind: 'postgres' | 'embedded';
  /**
   * Another pool of `poolSize` connections to the same database, closed by close() (before an
   * embedded server stops): the in-process worker's, so its statements never queue the web path's.
   */
  openPool(poolSize: number): Db;
  close(): Promise<void>;
}

/** The in-process worker's connections (bin/start.ts): beside the web path's 10, well under max_connections=100. */
export const WORKER_POOL_SIZE = 4;

const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Migrations are the files in migrations/ (TypeScript under tsx, JavaScript in dist/). Kysely
 * applies them in name order; the names are recorded in each database, so they never change. New
 * ones are named by UTC timestamp (20261204T2200_what.ts), which sorts after every 0NN_ name.
 */
export function migrationProvider(only: (name: string) => boolean = () => true): MigrationProvider {
  return {
    getMigrations: async () => {
      const names = readdirSync(migrationsDir)
        .filter((f) => /^\d.*\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
        .map((f) => [f.replace(/\.(ts|js)$/, ''), f] as const)
        .filter(([name]) => only(name));
      const entries = await Promise.all(
        names.map(async ([name, f]) => [name, (await import(pathToFileURL(join(migrationsDir, f)).href)) as Migration] as const),
      );
      return Object.fromEntries(entries);
    },
  };
}
const provider = migrationProvider();

/** The migrations, then the plpgsql functions whose .sql text changed (app/store/sql-functions.ts). */
export async function migrate(db: Db): Promise<void> {
  const { error, results } = await new Migrator({ db, provider }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  await installSqlFunctions(db);
}

export interface PoolOptions {
  poolSize?: number;
  onPoolError?: (err: Error) => void;
  /**
   * How long a query waits for a connection (a new one's handshake, or a turn at a busy pool) before
   * it fails (DATABASE_CONNECT_TIMEOUT_MS). Not given: for ever, pg's default, under which a database
   * host that accepts connections and never answers (black-holed, frozen) held every request open
   * with no answer; now each gets the "temporarily unavailable" page (error-handler.ts). Not a bound
   * on a query once it runs.
   */
  connectTimeoutMs?: number;
}

export function connect(url: string, opts: PoolOptions = {}): Db {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, connectionTimeoutMillis: opts.connectTimeoutMs ?? 0 });
  // An idle connection dropped by the server (restart, failover) must not crash the process;
  // the pool replaces it on next use.
  pool.on('error', (err) => opts.onPoolError?.(err));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/**
 * PostgreSQL at DATABASE_URL when it is given; otherwise the installation's embedded PostgreSQL
 * server in dataDir, found running or started. One engine, one driver, one set of migrations.
 */
export async function openDatabase(opts: {
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
  onPoolError?: (err: Error) => void;
  connectTimeoutMs?: number;
  logger?: EmbeddedLog;
  migrate?: boolean;
}): Promise<OpenedDatabase> {
  if (opts.databaseUrl) {
    const db = connect(opts.databaseUrl, opts);
    if (opts.migrate !== false) await migrate(db);
    return withPools(opts.databaseUrl, db, 'postgres', opts);
  }
  const server = await useEmbeddedServer({ dataDir: opts.dataDir, ...(opts.logger ? { logger: opts.logger } : {}) });
  try {
    const db = connect(server.url, opts);
    if (opts.migrate !== false) await migrate(db);
    return withPools(server.url, db, 'embedded', { ...opts, after: () => server.close() });
  } catch (err) {
    await server.close();
    throw err;
  }
}
/** `db` and the pools opened beside it on `url`, all closed by close(), then `after` (the embedded server). */
export function withPools(
  url: string,
  db: Db,
  kind: OpenedDatabase['kind'],
  opts: Pick<PoolOptions, 'onPoolError' | 'connectTimeoutMs'> & { after?: () => Promise<void> } = {},
): OpenedDatabase {
  const more: Db[] = [];
  return {
    db,
    kind,
    openPool(poolSize) {
      const extra = connect(url, { poolSize, onPoolError: opts.onPoolError, connectTimeoutMs: opts.connectTimeoutMs });
      more.push(extra);
      return extra;
    },
    close: async () => {
      await Promise.all([db, ...more.splice(0)].map((d) => d.destroy()));
      await opts.after?.();
    },
  };
}
export { EmbeddedDatabaseError } from './embedded/server.js';
