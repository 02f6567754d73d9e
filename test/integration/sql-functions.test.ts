/**
 * The plpgsql functions live in app/store/*.sql and are installed by migrate() when their text
 * changed (app/store/sql-functions.ts): what a database holds is exactly the files' text, whatever
 * the migrations 012, 014 and 015 once created.
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { connect, migrate, type Db } from '../../app/store/db.js';
import { installSqlFunctions, readSqlFunctions, type SqlFunction } from '../../app/store/sql-functions.js';
import { createPostgresDatabase, openTestDatabase } from '../helpers/db.js';

const FILES = readSqlFunctions();
const body = (text: string) => text.slice(text.indexOf('$$') + 2, text.lastIndexOf('$$'));

async function installed(db: Db) {
  const { rows } = await sql<{ name: string; sha256: string; installed_at: Date }>`select name, sha256, installed_at from sql_functions order by name`.execute(
    db,
  );
  return rows;
}
async function overloads(db: Db, name: string) {
  const { rows } = await sql<{ signature: string; src: string }>`
    select p.oid::regprocedure::text as signature, p.prosrc as src from pg_proc p
    where p.proname = ${name} and p.pronamespace = 'public'::regnamespace`.execute(db);
  return rows;
}
/** The files of app/store/ as they are, with `change` applied to one of them, in a directory of their own. */
function filesWith(dirs: string[], name: string, change: (text: string) => string, extra: Record<string, string> = {}): SqlFunction[] {
  const dir = mkdtempSync(join(tmpdir(), 'gw-sqlfn-'));
  dirs.push(dir);
  for (const fn of FILES) writeFileSync(join(dir, `${fn.name}.sql`), fn.name === name ? change(fn.text) : fn.text);
  for (const [file, text] of Object.entries(extra)) writeFileSync(join(dir, file), text);
  return readSqlFunctions(dir);
}

describe('plpgsql functions from app/store/*.sql', function () {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('finds one function in each file, among them the three hot-path functions', () => {
    const names = FILES.map((f) => f.name).sort();
    for (const name of ['callback_accept', 'pay_click_admit', 'xero_budget_acquire']) assert.ok(names.includes(name), name);
  });

  it('a migrated database holds exactly the text of each file, one overload each, with its sha256 recorded', async () => {
    const opened = await openTestDatabase(undefined, 2);
    try {
      const db = opened.db;
      assert.deepEqual(
        (await installed(db)).map((r) => [r.name, r.sha256]),
        FILES.map((f) => [f.name, f.sha256]).sort((a, b) => a[0].localeCompare(b[0])),
      );
      for (const fn of FILES) {
        const found = await overloads(db, fn.name);
        assert.equal(found.length, 1, `${fn.name}: ${found.map((f) => f.signature).join(', ')}`);
        assert.equal(found[0].src, body(fn.text), fn.name);
      }
      // The parameters migration 015 had and no caller used are gone.
      assert.doesNotMatch((await overloads(db, 'callback_accept'))[0].signature, /text\[\]/);
    } finally {
      await opened.close();
    }
  });

  it('installs a function again on the next migrate only when its text changed, dropping an old signature and functions whose file is gone', async () => {
    const opened = await openTestDatabase(undefined, 2);
    try {
      const db = opened.db;
      const before = await installed(db);
      const signature = (await overloads(db, 'callback_accept'))[0].signature;
      await migrate(db);
      assert.deepEqual(await installed(db), before, 'unchanged files: nothing installed');

      // The database has an older text of callback_accept, with another signature, and a function whose file was removed since.
      const older = filesWith(
        dirs,
        'callback_accept',
        (t) => t.replace('p_paid boolean,', 'p_paid boolean, p_unused text,').replace('o_inserted := false;', 'o_inserted := false; -- older'),
        { 'gone.sql': 'create or replace function sql_functions_gone() returns int language plpgsql as $$ begin return 1; end $$;\n' },
      );
      assert.deepEqual(await installSqlFunctions(db, older), { installed: ['callback_accept', 'sql_functions_gone'], dropped: [] });
      const old = await overloads(db, 'callback_accept');
      assert.equal(old.length, 1);
      assert.notEqual(old[0].signature, signature);
      assert.match(old[0].src, /-- older/);
      assert.deepEqual(await installSqlFunctions(db, older), { installed: [], dropped: [] });

      await migrate(db);
      const file = FILES.find((f) => f.name === 'callback_accept')!;
      const now = await overloads(db, 'callback_accept');
      assert.equal(now.length, 1, now.map((f) => f.signature).join(', '));
      assert.equal(now[0].src, body(file.text));
      assert.equal(now[0].signature, signature);
      assert.deepEqual(await overloads(db, 'sql_functions_gone'), []);
      const after = await installed(db);
      assert.deepEqual(
        after.map((r) => [r.name, r.sha256]),
        before.map((r) => [r.name, r.sha256]),
      );
      for (const r of after) {
        const was = before.find((b) => b.name === r.name)!;
        if (r.name === 'callback_accept') assert.ok(r.installed_at > was.installed_at, 'callback_accept installed again');
        else assert.deepEqual(r.installed_at, was.installed_at, `${r.name} left alone`);
      }
    } finally {
      await opened.close();
    }
  });

  it('two processes migrating a new database at once both succeed, and each function is installed once', async () => {
    const made = await createPostgresDatabase();
    const [a, b] = [connect(made.url, { poolSize: 2 }), connect(made.url, { poolSize: 2 })];
    try {
      await Promise.all([migrate(a), migrate(b)]);
      assert.deepEqual(
        (await installed(a)).map((r) => r.name),
        FILES.map((f) => f.name).sort(),
      );
      for (const fn of FILES) assert.equal((await overloads(a, fn.name)).length, 1, fn.name);
      // And two at once on an up-to-date database.
      await Promise.all([migrate(a), migrate(b)]);
    } finally {
      await a.destroy();
      await b.destroy();
      await made.drop();
    }
  });
});
