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
});
