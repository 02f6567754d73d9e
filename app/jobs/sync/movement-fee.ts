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
import type { Logger } from 'pino';
import type { EntryDeps } from './entry-once.js';
import { feeSpendOnce } from './fee-spend.js';
import { raiseAlert } from '../../alerts/raise.js';
import { message } from '../../i18n/index.js';
import { toDecimal } from '../../money.js';

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
 * Money out's fee inside its amount whose entry carried the whole amount (sent before the fee was
 * known, or by an earlier version): that entry took all that left Xendit's balance out of the
 * clearing account already.
 */
export function movementCarriedWhole(row: OtherMovement): boolean {
  const carried = row.entryAmount ?? (row.xeroBankTransactionId || row.attemptAt ? Math.abs(row.amount) : null);
  return row.amount < 0 && row.feeInAmount && carried !== null && carried !== Math.abs(row.amount) - row.fee;
}

/**
 * The fee this movement still has to book in Xero (minor units; 0: none, booked, or on the month's
 * bill by `billing`). One inside money out's amount whose entry carried the whole amount
 * (movementCarriedWhole) only once the movement came back with Xendit keeping the fee: until then the
 * fee on top would count it twice; then what came back is the amount less the fee while the entry back
 * carries the whole amount (movement-reversal.ts), so the fee is what leaves the clearing account for
 * good, as it left the balance.
 */
export function movementFeeToBook(row: OtherMovement, billing: XenditFeeBilling): number {
  // Reversed with its fee given back: none left to book (one booked already is booked back: movement-reversal.ts).
  if (row.fee <= 0 || row.xeroFeeEntryId || billing === 'invoiced' || (row.reversedAt && row.feeReturned)) return 0;
  if (movementCarriedWhole(row) && !row.reversedAt) return 0;
  return row.fee;
}

/**
 * The day the fee is booked on: the day it moved, or, its entry carrying the whole amount, the day it
 * came back (the fee left the balance then: less came back), so the clearing account follows the
 * balance on each day and the report counts the fee with the entry back.
 */
export function movementFeeDay(row: OtherMovement): Date {
  return movementCarriedWhole(row) && row.reversedAt ? row.reversedAt : row.movedAt;
}

/**
 * A fee the gateway does not book though it left the balance: money out's fee inside its amount
 * learnt after its entry carried the whole amount (movementCarriedWhole), not sent back. The clearing
 * account holds the balance, but the fee sits on the other movements account: a person's to mend.
 */
export function movementFeeUnbooked(row: OtherMovement, billing: XenditFeeBilling): boolean {
  const unbooked = row.fee > 0 && !row.xeroFeeEntryId && !row.feeAttemptAt && billing !== 'invoiced';
  return unbooked && !!row.xeroBankTransactionId && !row.reversedAt && movementCarriedWhole(row);
}

/**
 * A fee a person may have booked by hand under its Reference, as the movementFeeNotBooked alert asks:
 * one inside the amount of an entry that carried the whole amount, or of a movement sent back (its
 * entry may have been mended since). Looked up before the gateway books one or gives one back.
 */
export function movementFeeMayBeByHand(row: OtherMovement): boolean {
  return movementCarriedWhole(row) || (row.amount < 0 && row.feeInAmount && row.fee > 0 && !!row.reversedAt);
}

/**
 * A person is told, once ever (movementFeeUnbooked), as for a withdrawal (list-withdrawals.ts
 * feeLearnt, withdrawalFeeNotBooked): mend the entry, book the fee under its Reference, which the
 * gateway then finds before it would book one (feeOnce) and gives back when Xendit does (movement-reversal.ts).
 */
export async function tellFeeNotBooked(
  deps: { stores: EntryDeps['stores']; clock: EntryDeps['clock']; logger: Logger },
  row: OtherMovement,
  billing: XenditFeeBilling,
): Promise<void> {
  if (!movementFeeUnbooked(row, billing)) return;
  const told = await raiseAlert(deps, {
    merchantId: row.merchantId,
    kind: 'movementFeeNotBooked',
    message: message('alerts:movementFeeNotBooked', {
      movement: row.xenditTransactionId,
      type: row.type,
      currency: row.currency,
      fee: toDecimal(row.fee, row.currency),
    }),
    dedupeKey: `movementFeeNotBooked:${row.id}`,
    once: true,
  });
  if (told)
    deps.logger.warn(
      { merchantId: row.merchantId, xenditTransactionId: row.xenditTransactionId, fee: row.fee },
      "Xendit's fee came out of a balance movement already booked whole: not booked, a person is told",
    );
}

type FeeDeps = EntryDeps & { stores: { otherMovements: { noteFeeAttempt: (id: string, at: Date | null, now: Date) => Promise<boolean> } } };

/** The fee's Spend Money out of the clearing bank account, once, as a withdrawal's (fee-spend.ts); its id. */
export async function movementFeeOnce(deps: FeeDeps, merchant: Merchant, row: OtherMovement, clearing: string, lookFirst: boolean): Promise<string> {
  const fee = { currency: row.currency, fee: row.fee, feeTax: row.feeTax, what: `${row.type} ${row.xenditTransactionId}` };
  return feeSpendOnce(deps, merchant, fee, clearing, {
    reference: movementFeeReference(row.xenditTransactionId),
    key: `xendit-movement-fee-${row.id}`,
    at: movementFeeDay(row),
    sentAt: row.feeAttemptAt,
    lookFirst,
    mark: (at) => deps.stores.otherMovements.noteFeeAttempt(row.id, at, deps.clock()),
  });
}
