import { strict as assert } from 'node:assert';
import { allPages, hasMorePages } from '../../app/clients/xero/call.js';
import { UpstreamError } from '../../app/clients/types.js';

/** Xero pages in UpdatedDateUTC order: a row updated between two page reads is met again later, and another is skipped. */
describe('reading every page of a Xero listing', () => {
  const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${from + i}`, v: 1 }));

  it('stops at the first short page and keeps rows without an id', async () => {
    let asked = 0;
    const all = await allPages(
      async () => {
        asked++;
        return [{ id: undefined }, { id: undefined }];
      },
      (r) => r.id,
    );
    assert.equal(asked, 1);
    assert.equal(all.length, 2);
  });

  it('asks for pages of 1000 and reads to the end whether the server honours pageSize or pages by 100', async () => {
    const table = rows(0, 2345);
    for (const honoured of [true, false]) {
      const asked: number[] = [];
      const size = honoured ? 1000 : 100;
      const all = await allPages(
        async (page) => {
          asked.push(page);
          return table.slice((page - 1) * size, page * size);
        },
        (r) => r.id,
        { pageSize: 1000 },
      );
      assert.equal(all.length, 2345, `honoured: ${honoured}`);
      assert.deepEqual(
        asked,
        Array.from({ length: honoured ? 3 : 24 }, (_, i) => i + 1),
        `honoured: ${honoured}`,
      );
    }
  });

  it('with pageSize 1000, a page of exactly 100 is not taken as the last (it may be a server paging by 100)', async () => {
    const table = rows(0, 100);
    const asked: number[] = [];
    const all = await allPages(
      async (page) => {
        asked.push(page);
        return page === 1 ? table : [];
      },
      (r) => r.id,
      { pageSize: 1000 },
    );
    assert.equal(all.length, 100);
    assert.deepEqual(asked, [1, 2]);
  });
  /**
   * A table read in Xero's order (UpdatedDateUTC, then id): `updateAfterPage` updates one row already
   * read once that page is served, so it moves to the end and every row after it shifts back one place.
   */
  function movingTable(n: number, moves: { afterPage: number; id: string }[]) {
    let table = rows(0, n);
    let asked = 0;
    const fetchPage = async (page: number) => {
      asked++;
      const served = table.slice((page - 1) * 100, page * 100);
      for (const m of moves.filter((x) => x.afterPage === asked)) {
        const row = table.find((r) => r.id === m.id)!;
        table = [...table.filter((r) => r !== row), { ...row, v: row.v + 1 }];
      }
      return served;
    };
    return { fetchPage, asked: () => asked };
  }

  it('a row already read that moves to the end while later pages are read skips another: every page is read again', async () => {
    // r5 is updated once page 1 is served: r100 shifts onto page 1 and a single pass never sees it.
    const t = movingTable(150, [{ afterPage: 1, id: 'r5' }]);
    const all = await allPages(t.fetchPage, (r) => r.id);
    assert.equal(new Set(all.map((r) => r.id)).size, 150, 'a row was skipped');
    assert.equal(all.length, 150);
    assert.equal(all.find((r) => r.id === 'r5')?.v, 2);
    assert.equal(t.asked(), 4, 'two pages, then both again');
  });

  it('`keep`: only the rows it takes are returned, and a row it turned away that moves still has every page read again', async () => {
    // r5 (not kept) is updated once page 1 is served: r100 (kept) shifts onto page 1.
    const t = movingTable(150, [{ afterPage: 1, id: 'r5' }]);
    const wanted = (r: { id: string }) => Number(r.id.slice(1)) % 10 === 0;
    const kept = await allPages(t.fetchPage, (r) => r.id, { keep: wanted });
    assert.deepEqual(kept.map((r) => r.id).sort(), Array.from({ length: 15 }, (_, i) => `r${i * 10}`).sort());
    assert.equal(t.asked(), 4, 'two pages, then both again');
  });

  /**
   * A listing filtered by status, as Xero sends it with its `pagination` (xero_accounting.yaml
   * Pagination): `leaveAfterPage` voids a row already read once that page is served, so it drops out
   * and every row after it shifts back one place, and none is read twice.
   */
  function filteredTable(n: number, leaves: { afterPage: number; id: string }[], withCount = true) {
    let table = rows(0, n);
    let asked = 0;
    const fetchPage = async (page: number) => {
      asked++;
      const served = table.slice((page - 1) * 100, page * 100);
      const itemCount = table.length;
      for (const l of leaves.filter((x) => x.afterPage === asked)) table = table.filter((r) => r.id !== l.id);
      return withCount ? { rows: served, itemCount } : served;
    };
    return { fetchPage, asked: () => asked };
  }

  it('a row already read that leaves a filtered listing before the next page: the count Xero sends shows it, every page is read again', async () => {
    // r9 is voided once page 1 is served: r100 shifts onto page 1, no row is read twice.
    const t = filteredTable(150, [{ afterPage: 1, id: 'r9' }]);
    const all = await allPages(t.fetchPage, (r) => r.id);
    assert.ok(
      all.some((r) => r.id === 'r100'),
      'r100 was skipped',
    );
    assert.equal(all.length, 149);
    assert.ok(!all.some((r) => r.id === 'r9'), 'the voided row is not returned');
    assert.equal(t.asked(), 4, 'two pages, then both again');
  });

  it('rows still leaving after three readings: a retryable error', async () => {
    const t = filteredTable(
      150,
      [1, 3, 5].map((afterPage, i) => ({ afterPage, id: `r${i + 1}` })),
    );
    await assert.rejects(
      allPages(t.fetchPage, (r) => r.id),
      (err: unknown) => err instanceof UpstreamError && err.retryable,
    );
    assert.equal(t.asked(), 6);
  });

  it('fewer distinct rows than the count every page sent: read again', async () => {
    let asked = 0;
    const all = await allPages(
      async (page) => {
        asked++;
        // The first reading's page 2 comes back short of what the count says; the second is whole.
        const served = rows((page - 1) * 100, page === 1 ? 100 : asked === 2 ? 40 : 50);
        return { rows: served, itemCount: 150 };
      },
      (r) => r.id,
    );
    assert.equal(all.length, 150);
    assert.equal(asked, 4);
  });

  it('without a pagination object (a server that sends none) a row leaving goes unseen, as before: one reading', async () => {
    const t = filteredTable(150, [{ afterPage: 1, id: 'r9' }], false);
    const all = await allPages(t.fetchPage, (r) => r.id);
    assert.equal(t.asked(), 2);
    assert.ok(!all.some((r) => r.id === 'r100'));
  });

  it('rows still moving after three readings: a retryable error, never a list that may miss a row', async () => {
    // Every first page of a reading is followed by an update to a row on it.
    const t = movingTable(
      150,
      [1, 3, 5].map((afterPage, i) => ({ afterPage, id: `r${i + 1}` })),
    );
    await assert.rejects(
      allPages(t.fetchPage, (r) => r.id),
      (err: unknown) => err instanceof UpstreamError && err.retryable,
    );
    assert.equal(t.asked(), 6);
  });
});

/** A listing its caller reads a page at a time (the open invoices' read asks 1 000 a page). */
describe('whether a Xero listing has a page after this one', () => {
  it("as Xero's pagination says, however few rows the page held", () => {
    assert.equal(hasMorePages(1, 100, 1000, { pageSize: 100, pageCount: 2, itemCount: 150 }), true);
    assert.equal(hasMorePages(2, 50, 1000, { pageSize: 100, pageCount: 2, itemCount: 150 }), false);
    assert.equal(hasMorePages(1, 100, 1000, { pageSize: 100, itemCount: 150 }), true, 'itemCount over pageSize without pageCount');
  });

  it('without pagination: a page of 100 is taken as full even when 1 000 were asked; a shorter one, or none, is the last', () => {
    assert.equal(hasMorePages(1, 100, 1000), true);
    assert.equal(hasMorePages(1, 1000, 1000), true);
    assert.equal(hasMorePages(1, 99, 1000), false);
    assert.equal(hasMorePages(3, 0, 1000, { pageCount: 5 }), false);
  });
});
