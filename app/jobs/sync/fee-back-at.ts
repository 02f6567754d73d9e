/**
 * When Xendit gave back a fee it kept at the reversal: the money reached the balance then, so its
 * return is dated by it (and the report counts it then). The fee object has a status and no time of
 * its own (xendit-node FeeResponse); the transaction's `updated` ("Transaction updated timestamp
 * (UTC+0)", xendit-node TransactionResponse) is taken when later than the reversal, the fee's change
 * having moved it. Xendit does not document that it does (docs.xendit.co/apidocs/list-transactions):
 * `updated` missing or not past the reversal, it is when this listing (or read by id) first saw the fee
 * given back, an earlier one having seen it kept. Never later than now.
 */
export function feeBackAt(w: { updated?: string }, known: { reversedAt: Date | null }, now: Date): Date {
  const updated = w.updated ? Date.parse(w.updated) : NaN;
  return !Number.isNaN(updated) && known.reversedAt && updated > known.reversedAt.getTime() ? new Date(Math.min(updated, now.getTime())) : now;
}
