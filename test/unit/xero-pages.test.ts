import { strict as assert } from 'node:assert';
import { allPages } from '../../app/clients/xero/call.js';

/** Xero pages in UpdatedDateUTC order: a row updated between two page reads is met again later. */
describe('reading every page of a Xero listing', () => {
  const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${from + i}`, v: 1 }));

  it('keeps one of a row read twice (the later read) and every other row once', async () => {
    const page1 = rows(0, 100);
    // r5 was updated after page 1 was read: it moved behind the others and comes again on page 2.
    const page2 = [...rows(100, 40), { id: 'r5', v: 2 }];
    const all = await allPages(
      async (page) => (page === 1 ? page1 : page === 2 ? page2 : []),
      (r) => r.id,
    );
    assert.equal(all.length, 140);
    assert.equal(new Set(all.map((r) => r.id)).size, 140);
    assert.equal(all.find((r) => r.id === 'r5')?.v, 2);
  });

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
});
