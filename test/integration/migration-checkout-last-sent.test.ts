import { strict as assert } from 'node:assert';
import { sql, type Kysely } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import * as dropped from '../../app/store/migrations/20261207T0915_checkout_last_sent_dropped.js';
import type { Database } from '../../app/store/schema.js';

/** checkouts.last_sent_at, no longer written or read since the part-payment hold runs from the checkout's creation, is dropped. */
describeEachDatabase('migration 20261207T0915_checkout_last_sent_dropped', ({ db }) => {
  const columns = async () =>
    (
      await sql<{ column_name: string }>`select column_name from information_schema.columns
        where table_schema = current_schema() and table_name = 'checkouts' and column_name = 'last_sent_at'`.execute(db())
    ).rows.map((r) => r.column_name);

  it('leaves checkouts without last_sent_at; down() puts the column back, up() drops it again', async () => {
    assert.deepEqual(await columns(), [], 'migrated: no last_sent_at');
    await dropped.down(db());
    assert.deepEqual(await columns(), ['last_sent_at']);
    await dropped.up(db());
    assert.deepEqual(await columns(), []);
  });

  it('is not in the Kysely table types either (a compile-time check: npx tsc)', () => {
    // @ts-expect-error last_sent_at is no column of checkouts
    const query = (d: Kysely<Database>) => d.selectFrom('checkouts').select('last_sent_at');
    assert.equal(typeof query, 'function');
  });
});
