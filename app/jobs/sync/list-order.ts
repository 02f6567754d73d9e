/**
 * The order in which Xendit lists something, judged from what was read. GET /refunds (docs.xendit.co
 * "Refunds", xendit-node RefundApi getAllRefunds: limit, after_id, before_id, no date filter) does
 * not document its order, so the gateway reads it off the `created` times of the rows, in the order
 * listed: the first two that differ tell. One row, or rows all created at the same time, tell
 * nothing: read on.
 */
export type ListOrder = 'newest_first' | 'oldest_first' | 'undecided';

export function listOrder(rows: readonly { created?: string }[]): ListOrder {
  let first: number | undefined;
  for (const r of rows) {
    const t = r.created ? Date.parse(r.created) : NaN;
    if (Number.isNaN(t)) continue;
    if (first === undefined) first = t;
    else if (t > first) return 'oldest_first';
    else if (t < first) return 'newest_first';
  }
  return 'undecided';
}
