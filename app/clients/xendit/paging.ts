/**
 * A walk through one of Xendit's lists page by page, each page asked after the last row of the one
 * before (invoices' last_invoice, the Transactions and Refunds APIs' after_id). What Xendit answers
 * to a cursor it no longer holds (that row gone from the list between two pages) is documented
 * nowhere; it may answer the first page again or an empty page (the simulator does either:
 * simulators/xendit/cursor.ts). Either way the walk is broken, never complete: a row already seen
 * means the list started over (its rows would be counted twice, and the walk could go round for
 * ever), and an empty page after one that said there was more means the rest was not shown.
 */
export type PageVerdict = 'next' | 'end' | 'broken' | 'budget';

export class CursorWalk {
  private readonly seen = new Set<string>();
  private pages = 0;
  private more = false;

  constructor(private readonly maxPages: number) {}

  /**
   * The page just read, by its rows' ids and whether Xendit said there was more: 'next' (ask the
   * page after its last row), 'end' (read to the end), 'broken' (see above: stop, the listing is
   * not complete; its rows are not to be used) or 'budget' (maxPages read and there is more).
   */
  page(ids: readonly (string | undefined)[], hasMore: boolean): PageVerdict {
    const after = this.pages > 0;
    this.pages++;
    if (ids.some((id) => id !== undefined && this.seen.has(id))) return 'broken';
    if (after && this.more && ids.length === 0) return 'broken';
    for (const id of ids) if (id !== undefined) this.seen.add(id);
    this.more = hasMore;
    if (!hasMore) return 'end';
    return this.pages >= this.maxPages ? 'budget' : 'next';
  }
}
