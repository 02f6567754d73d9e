import { strict as assert } from 'node:assert';
import { walkByTime, type PageReader, type TimedCursor } from '../../app/jobs/sync/budgeted-listing.js';

/**
 * budgeted-listing.ts walkByTime: a kept walk of a listing Xendit filters by creation time asks only
 * what was made by the time it reached (a second later), after its kept cursor; a cursor Xendit let
 * lapse (answered with an empty page, or the first page again: clients/xendit/paging.ts) still goes
 * on from that time. A walk whose rows did not come newest first keeps no time.
 */
describe('walkByTime', () => {
  const since = new Date('2026-12-01T00:00:00Z');
  const startedAt = new Date('2026-12-07T00:00:00Z');
  const at = (s: number) => new Date(since.getTime() + s * 1000).toISOString();
  const second = (s: number) => new Date(Date.parse(at(s)) + 1000);
  /** Rows made `times` seconds after `since`, listed as the simulator does: created[lte] `before`, after `afterId`, `limit` a page. */
  const listing = (times: number[], limit: number, unknown: 'empty' | 'restart' = 'empty') => {
    const asked: { afterId?: string; before?: Date }[] = [];
    const forgotten = new Set<string>();
    const rows = times.map((t, i) => ({ id: `txn_${i}`, created: at(t) }));
    const read: PageReader = async (_since, afterId, before) => {
      asked.push({ afterId, before });
      const shown = rows.filter((r) => !before || Date.parse(r.created) <= before.getTime());
      const held = afterId === undefined ? -1 : forgotten.has(afterId) ? -2 : shown.findIndex((r) => r.id === afterId);
      const from = held >= 0 ? held + 1 : held === -1 || unknown === 'restart' ? 0 : shown.length;
      const page = shown.slice(from, from + limit);
      return { hasMore: from + limit < shown.length, lastId: page.at(-1)?.id, rows: page };
    };
    return { read, asked, forgotten };
  };
  const saving = () => {
    const saved: (TimedCursor | null)[] = [];
    return { saved, save: async (c: TimedCursor | null) => void saved.push(c) };
  };

  it('keeps the oldest time read; the next run asks after its cursor what was made by a second after it', async () => {
    const { read, asked } = listing([50, 40, 30, 20, 10], 2);
    const { saved, save } = saving();
    assert.deepEqual(await walkByTime(1, { since, startedAt }, read, save), { pages: 1, done: false });
    assert.equal(saved[0]?.reached?.toISOString(), at(40), 'the oldest created read');
    assert.equal(saved[0]?.afterId, 'txn_1');
    assert.equal((await walkByTime(5, saved[0]!, read, save)).done, true);
    assert.deepEqual(asked[1], { afterId: 'txn_1', before: second(40) });
    assert.equal(saved.at(-1), null, 'read to its end');
  });

  for (const unknown of ['empty', 'restart'] as const) {
    it(`a cursor lapsed before every run, answered with ${unknown === 'empty' ? 'an empty page' : 'the first page again'}: each run gets further by time, every row read`, async () => {
      const times = Array.from({ length: 20 }, (_, i) => 200 - i * 10);
      const { read, forgotten } = listing(times, 2, unknown);
      const seen = new Set<string>();
      const reading: PageReader = async (...a) => {
        const r = await read(...a);
        for (const row of r.rows ?? []) seen.add(row.created!);
        return r;
      };
      const { saved, save } = saving();
      let kept: TimedCursor | null = null;
      for (let run = 0; run < 10 && (run === 0 || kept); run++) {
        if (kept) forgotten.add(kept.afterId);
        await walkByTime(3, kept ?? { since, startedAt }, reading, save);
        kept = saved.at(-1) ?? null;
      }
      assert.equal(kept, null, 'read to its end');
      assert.deepEqual([...seen].sort(), times.map(at).sort(), 'every row read');
    });
  }

  it('rows not newest first: no time kept, the next run goes on after its cursor as it always did', async () => {
    const { read, asked } = listing([10, 50, 40, 30], 2);
    const { saved, save } = saving();
    await walkByTime(1, { since, startedAt }, read, save);
    assert.equal(saved[0]?.reached, null);
    await walkByTime(1, saved[0]!, read, save);
    assert.deepEqual(asked[1], { afterId: 'txn_1', before: undefined });
  });

  it('a row newer than one read before it, later in the walk: no time kept either', async () => {
    const { read } = listing([40, 30, 35, 20, 10], 2);
    const { saved, save } = saving();
    await walkByTime(2, { since, startedAt }, read, save);
    assert.equal(saved[0]?.reached?.toISOString(), at(30), 'in order so far');
    assert.equal(saved[1]?.reached, null, '35 after 30');
  });
});
