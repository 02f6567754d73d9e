import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * The plpgsql functions are code, not history: each is one `.sql` file in app/store/, next to the
 * TypeScript that calls it, installed after the migrations whenever its text changed (its sha256
 * is recorded in sql_functions). Migrations only shape the data.
 */
export interface SqlFunction {
  /** The function's name, from the file's one `create or replace function`. */
  name: string;
  file: string;
  text: string;
  sha256: string;
}

const here = fileURLToPath(new URL('.', import.meta.url));
/**
 * The sources' app/store/ both under tsx and when built (this file as dist/app/store/*.js, the
 * layout of the transpile and of tsc): the .sql files are read where they are written, never copied.
 */
export const sqlFunctionsDir = import.meta.url.endsWith('.js') ? join(here, '..', '..', '..', 'app', 'store') : here;

/**
 * Kysely's own migration lock (kysely's PostgresAdapter LOCK_ID): taken as a transaction lock, so
 * an install never runs beside a migration, nor beside another process's install.
 */
const MIGRATION_LOCK_ID = '3853314791062309107';

const CREATE = /^\s*create\s+(?:or\s+replace\s+)?function\s+([a-z_][a-z0-9_]*)\s*\(/gim;

export function readSqlFunction(file: string): SqlFunction {
  const text = readFileSync(file, 'utf8');
  const names = [...text.matchAll(CREATE)].map((m) => m[1].toLowerCase());
  if (names.length !== 1) throw new Error(`${file}: expected one "create or replace function", found ${names.length}`);
  return { name: names[0], file, text, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Every `*.sql` of the directory, one function each. */
export function readSqlFunctions(dir = sqlFunctionsDir): SqlFunction[] {
  const fns = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => readSqlFunction(join(dir, f)));
  const seen = new Set<string>();
  for (const fn of fns) {
    if (seen.has(fn.name)) throw new Error(`function ${fn.name} is defined by more than one file in ${dir}`);
    seen.add(fn.name);
  }
  return fns;
}

/**
 * Brings the database's functions in line with the files, in one transaction under the migration
 * lock (concurrent starters wait, then find nothing left to do): a function whose recorded sha256
 * differs from its file's is dropped, every overload of it, and created from the file, so a
 * changed signature leaves no old one behind and an older migration's body never survives; a
 * recorded function whose file is gone is dropped. Returns the names installed and dropped.
 */
export async function installSqlFunctions(db: Kysely<Database>, fns: SqlFunction[] = readSqlFunctions()): Promise<{ installed: string[]; dropped: string[] }> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_ID)}::bigint)`.execute(trx);
    const { rows } = await sql<{ name: string; sha256: string }>`select name, sha256 from sql_functions`.execute(trx);
    const recorded = new Map(rows.map((r) => [r.name, r.sha256]));
    const installed: string[] = [];
    const dropped: string[] = [];
    for (const fn of fns) {
      if (recorded.get(fn.name) === fn.sha256) continue;
      await dropAll(trx, fn.name);
      await sql.raw(fn.text).execute(trx);
      await sql`insert into sql_functions (name, sha256, installed_at) values (${fn.name}, ${fn.sha256}, now())
        on conflict (name) do update set sha256 = excluded.sha256, installed_at = excluded.installed_at`.execute(trx);
      installed.push(fn.name);
    }
    for (const name of recorded.keys()) {
      if (fns.some((fn) => fn.name === name)) continue;
      await dropAll(trx, name);
      await sql`delete from sql_functions where name = ${name}`.execute(trx);
      dropped.push(name);
    }
    return { installed, dropped };
  });
}

async function dropAll(db: Kysely<Database>, name: string): Promise<void> {
  const { rows } = await sql<{ signature: string }>`
    select p.oid::regprocedure::text as signature from pg_proc p
    where p.proname = ${name} and p.pronamespace = (select oid from pg_namespace where nspname = current_schema())`.execute(db);
  for (const r of rows) await sql`drop function ${sql.raw(r.signature)}`.execute(db);
}
