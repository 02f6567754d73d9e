import { strict as assert } from 'node:assert';
import { readPages, type XenditPage } from '../../app/report/rows.js';

/** The report's reading of a Xendit listing (refunds, withdrawals, other movements): bounded, newest first. */
describe('report: reading a Xendit listing page by page', () => {
  /** Pages of three numbers, newest (largest) first, `total` in all. */
  function listing(total: number) {
    const asked: (string | undefined)[] = [];
    const page = async (afterId: string | undefined): Promise<XenditPage<number>> => {
      asked.push(afterId);
      const start = afterId === undefined ? total : Number(afterId) - 1;
      const items = [start, start - 1, start - 2].filter((n) => n > 0);
      const last = items.at(-1);
      return { items, hasMore: last !== undefined && last > 1, ...(last !== undefined ? { lastId: String(last) } : {}) };
    };
    return { page, asked };
  }

  it('reads to the last page, continuing after the last id of each', async () => {
    const l = listing(7);
    assert.deepEqual(await readPages(l.page, 10), { items: [7, 6, 5, 4, 3, 2, 1], complete: true });
    assert.deepEqual(l.asked, [undefined, '5', '2']);
  });

  it('stops at its bound and says the rest was left unread', async () => {
    const l = listing(30);
    const got = await readPages(l.page, 2);
    assert.deepEqual(got, { items: [30, 29, 28, 27, 26, 25], complete: false });
    assert.equal(l.asked.length, 2);
  });

  it('stops once a page reaches past what is needed, complete: the rest is older', async () => {
    const l = listing(30);
    const got = await readPages(l.page, 20, (items) => items.some((n) => n < 24));
    assert.deepEqual(got, { items: [30, 29, 28, 27, 26, 25, 24, 23, 22], complete: true });
  });

  it('a page that says there is more but gives no id to continue after: incomplete', async () => {
    const got = await readPages(async () => ({ items: [1], hasMore: true }), 5);
    assert.deepEqual(got, { items: [1], complete: false });
  });
});
