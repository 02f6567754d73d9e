/**
 * The rows a list shows after its page cursor (invoices' last_invoice / last_invoice_id, the
 * Transactions and Refunds APIs' after_id). What Xendit answers to a cursor it does not hold (a row
 * gone from the list, e.g. a PENDING withdrawal that went through while a `statuses=PENDING` listing
 * was paged) is documented nowhere (docs.xendit.co List Transactions, List Refunds, List Invoices;
 * xendit-node's docs): by default the simulator answers an empty last page; faults.unknownCursor
 * 'restart' answers the first page, as if no cursor was sent. The gateway must be right with both.
 */
import type { XenditFaults } from './errors.js';

export function rowsAfterCursor<T>(faults: XenditFaults, rows: T[], cursor: string | undefined, idOf: (row: T) => string): T[] {
  if (cursor === undefined) return rows;
  const at = rows.findIndex((r) => idOf(r) === cursor);
  if (at >= 0) return rows.slice(at + 1);
  return faults.unknownCursor === 'restart' ? rows : [];
}
