/**
 * Xendit's fee on one of its other balance movements (a payout's: clients/xendit/payout-fee.ts
 * payoutFee), out of the clearing account into the merchant's Xendit fee account, as a withdrawal's
 * is (withdrawal-fee.ts): without it the clearing account stays above Xendit's balance by every
 * payout fee. A Spend Money of its own, the VAT on a line of its own (fee-spend.ts; Reference
 * `Xendit movement fee <transaction id>`), after the movement's entry and marked apart from it, so a
 * run that dies between the two sends each once (entryOnce, send-once.ts). Fees billed monthly when
 * it moved are on Xendit's bill (record-fee-bill.ts). The movement reversed, a fee Xendit kept stays
 * booked, one it gave back is booked back (movement-reversal.ts).
 */
import type { Merchant, XenditFeeBilling } from '../../store/merchants.js';
import type { OtherMovement } from '../../store/other-movements.js';
import type { EntryDeps } from './entry-once.js';
import { feeSpendOnce } from './fee-spend.js';

/**
 * The Reference of the movement's entry. Xero takes up to 255 characters in a bank transaction's
 * Reference (xero_accounting.yaml BankTransaction.Reference); the listing takes ids of up to 100.
 */
export function movementReference(xenditTransactionId: string): string {
  return `Xendit movement ${xenditTransactionId}`;
}

export function movementFeeReference(xenditTransactionId: string): string {
  return `Xendit movement fee ${xenditTransactionId}`;
}

/** What the movement's own entry carries (minor units, a size): money out less a fee taken out of it, billed monthly or not. */
export function movementEntryAmount(row: OtherMovement, billing: XenditFeeBilling): number {
  const size = Math.abs(row.amount);
  return row.amount < 0 && row.feeInAmount && row.fee > 0 && billing !== 'invoiced' ? size - row.fee : size;
}

/**
 * The fee this movement still has to book in Xero (minor units; 0: none, booked, or on the month's
 * bill by `billing`). One inside money out's amount only when the entry carried the rest: one that
 * carried the whole amount (sent before the fee was known, or by an earlier version) took all that
 * left Xendit's balance out of the clearing account already.
 */
export function movementFeeToBook(row: OtherMovement, billing: XenditFeeBilling): number {
  // Reversed with its fee given back: none left to book (one booked already is booked back: movement-reversal.ts).
  if (row.fee <= 0 || row.xeroFeeEntryId || billing === 'invoiced' || (row.reversedAt && row.feeReturned)) return 0;
  const carried = row.entryAmount ?? (row.xeroBankTransactionId || row.attemptAt ? Math.abs(row.amount) : null);
  if (row.amount < 0 && row.feeInAmount && carried !== null && carried !== Math.abs(row.amount) - row.fee) return 0;
  return row.fee;
}

type FeeDeps = EntryDeps & { stores: { otherMovements: { noteFeeAttempt: (id: string, at: Date | null, now: Date) => Promise<boolean> } } };

/** The fee's Spend Money out of the clearing bank account, once, as a withdrawal's (fee-spend.ts); its id. */
export async function movementFeeOnce(deps: FeeDeps, merchant: Merchant, row: OtherMovement, clearing: string, lookFirst: boolean): Promise<string> {
  const fee = { currency: row.currency, fee: row.fee, feeTax: row.feeTax, what: `${row.type} ${row.xenditTransactionId}` };
  return feeSpendOnce(deps, merchant, fee, clearing, {
    reference: movementFeeReference(row.xenditTransactionId),
    key: `xendit-movement-fee-${row.id}`,
    at: row.movedAt,
    sentAt: row.feeAttemptAt,
    lookFirst,
    mark: (at) => deps.stores.otherMovements.noteFeeAttempt(row.id, at, deps.clock()),
  });
}
