import { strict as assert } from 'node:assert';
import { migrationProvider } from '../../app/store/db.js';

/** Kysely applies migrations in name order (String#localeCompare); new ones are named by UTC timestamp (docs/architecture.md). */
describe('migration names', () => {
  it('sort the timestamp-named migrations after every 0NN_ one, the same in any locale as by code point', async () => {
    const names = Object.keys(await migrationProvider().getMigrations());
    const sorted = [...names].sort((a, b) => a.localeCompare(b));
    assert.deepEqual(sorted, [...names].sort());
    const stamped = sorted.filter((n) => /^\d{8}T\d{4}_/.test(n));
    assert.ok(stamped.includes('20261204T2200_sql_functions'));
    assert.deepEqual(sorted.slice(sorted.length - stamped.length), stamped);
    for (const n of sorted.slice(0, sorted.length - stamped.length)) assert.match(n, /^0\d\d/);
  });

  it('give each timestamp-named migration its own minute, so two made on parallel branches cannot sort by their words', async () => {
    const names = Object.keys(await migrationProvider().getMigrations());
    const stamps = names.filter((n) => /^\d{8}T\d{4}_/.test(n)).map((n) => n.slice(0, 13));
    assert.deepEqual(
      stamps.filter((s, i) => stamps.indexOf(s) !== i),
      [],
    );
  });
});
