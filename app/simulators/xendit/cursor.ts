/**
 * The rows a list shows after its page cursor (invoices' last_invoice / last_invoice_id, the
 * Transactions and Refunds APIs' after_id). What Xendit answers to a cursor it does not hold (a row
 * gone from the list, e.g. a PENDING withdrawal that went through while a `statuses=PENDING` listing
 * was paged) is documented nowhere (docs.xendit.co List Transactions, List Refunds, List Invoices;
 * xendit-node's docs): by default the simulator answers an empty last page; faults.unknownCursor
 * 'restart' answers the first page, as if no cursor was sent, and 'refuse' a 400 API_VALIDATION_ERROR
 * (Xendit's answer to a request it will not take, docs.xendit.co errors). The gateway must be right with all three.
 * Nor is a cursor's lifetime documented: faults.forgottenCursors holds ids answered as unknown though
 * their row is still listed (a cursor a listing kept between runs that Xendit let lapse), until a
 * page ending at the same row hands it out afresh (handOut).
 */
import type { XenditFaults } from './errors.js';

export function rowsAfterCursor<T>(faults: XenditFaults, rows: T[], cursor: string | undefined, idOf: (row: T) => string): T[] {
  if (cursor === undefined) return rows;
  const at = faults.forgottenCursors.has(cursor) ? -1 : rows.findIndex((r) => idOf(r) === cursor);
  if (at >= 0) return rows.slice(at + 1);
  return faults.unknownCursor === 'restart' ? rows : [];
}

/**
 * The Refunds API's before_id (xendit-node GetAllRefundsRequest beforeId; its meaning is not
 * documented either): the `limit` rows just before that refund in the list's order. An unknown one
 * is answered as after_id's is.
 */
export function rowsBeforeCursor<T>(faults: XenditFaults, rows: T[], cursor: string, limit: number, idOf: (row: T) => string): T[] {
  const at = faults.forgottenCursors.has(cursor) ? -1 : rows.findIndex((r) => idOf(r) === cursor);
  if (at >= 0) return rows.slice(Math.max(0, at - limit), at);
  return faults.unknownCursor === 'restart' ? rows.slice(0, limit) : [];
}

/** Whether a list refuses `cursor` (faults.unknownCursor 'refuse'): one it does not hold, or let lapse. */
export function refusesCursor<T>(faults: XenditFaults, rows: T[], cursor: string | undefined, idOf: (row: T) => string): boolean {
  if (cursor === undefined || faults.unknownCursor !== 'refuse') return false;
  return faults.forgottenCursors.has(cursor) || !rows.some((r) => idOf(r) === cursor);
}

/** A page answered: the cursor its last row is, handed out afresh, is held again (forgottenCursors). */
export function handOut<T>(faults: XenditFaults, page: T[], idOf: (row: T) => string): T[] {
  const last = page.at(-1);
  if (last !== undefined) faults.forgottenCursors.delete(idOf(last));
  return page;
}
