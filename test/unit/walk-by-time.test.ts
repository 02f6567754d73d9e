import { strict as assert } from 'node:assert';
import { walkByTime, type PageReader, type TimedCursor } from '../../app/jobs/sync/budgeted-listing.js';

/**
 * budgeted-listing.ts walkByTime: a walk of a listing Xendit filters by creation time keeps the
 * oldest `created` it read and the next run goes on from it (a second later), with no cursor of an
 * earlier run; a walk whose rows did not come newest first keeps no time (it goes on after its cursor).
 */
describe('walkByTime', () => {
  const since = new Date('2026-12-01T00:00:00Z');
  const startedAt = new Date('2026-12-07T00:00:00Z');
  const at = (s: number) => new Date(since.getTime() + s * 1000).toISOString();
  /** A listing of rows made `times` seconds after `since`, as Xendit answers it: created[lte] `before`, after `afterId`, `limit` a page. */
  const listing = (times: number[], limit: number) => {
    const asked: { afterId?: string; before?: Date }[] = [];
    const rows = times.map((t, i) => ({ id: `txn_${i}`, created: at(t) }));
    const read: PageReader = async (_since, afterId, before) => {
      asked.push({ afterId, before });
      const shown = rows.filter((r) => !before || Date.parse(r.created) <= before.getTime());
      const from = afterId ? shown.findIndex((r) => r.id === afterId) + 1 : 0;
      const page = shown.slice(from, from + limit);
      return { hasMore: from + limit < shown.length, lastId: page.at(-1)?.id, rows: page };
    };
    return { read, asked };
  };

  it('keeps the oldest time read, and goes on from a second after it, asking after no cursor', async () => {
    const { read, asked } = listing([50, 40, 30, 20, 10], 2);
    const saved: (TimedCursor | null)[] = [];
    const first = await walkByTime(1, { since, startedAt }, read, async (c) => void saved.push(c));
    assert.deepEqual(first, { pages: 1, done: false });
    assert.equal(saved[0]?.reached?.toISOString(), at(40), 'the oldest created read');
    assert.equal(saved[0]?.afterId, 'txn_1');
    const next = await walkByTime(5, saved[0]!, read, async (c) => void saved.push(c));
    assert.equal(next.done, true);
    assert.deepEqual(asked[1], { afterId: undefined, before: new Date(Date.parse(at(40)) + 1000) }, 'by time, not after the kept cursor');
    assert.equal(saved.at(-1), null, 'read to its end');
  });

  it('rows not newest first: no time kept, the next run goes on after its cursor', async () => {
    const { read, asked } = listing([10, 50, 40, 30], 2);
    const saved: (TimedCursor | null)[] = [];
    await walkByTime(1, { since, startedAt }, read, async (c) => void saved.push(c));
    assert.equal(saved[0]?.reached, null);
    await walkByTime(1, saved[0]!, read, async (c) => void saved.push(c));
    assert.deepEqual(asked[1], { afterId: 'txn_1', before: undefined });
  });

  it('a resumed walk whose rows come newer than the last one read keeps no time either', async () => {
    const { read } = listing([40, 30, 35, 20, 10], 2);
    const saved: (TimedCursor | null)[] = [];
    await walkByTime(2, { since, startedAt, afterId: 'txn_0', reached: new Date(at(40)) }, read, async (c) => void saved.push(c));
    assert.equal(saved[0]?.reached?.toISOString(), at(30), 'in order so far');
    assert.equal(saved[1]?.reached, null, '35 after 30');
  });
});
