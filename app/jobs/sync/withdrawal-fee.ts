/**
 * Xendit's fee on a withdrawal, out of the clearing account into the merchant's Xendit fee account
 * (the fee and the VAT on it on lines of their own, as a payment fee's: post-fee feeLines): without
 * it the clearing account stays above Xendit's balance by every payout fee. Out of a BANK clearing
 * account a Spend Money of its own (Reference `Xendit withdrawal fee <transaction id>`), after the
 * transfer and marked apart from it, so a run that dies between the two sends each once (entryOnce,
 * send-once.ts). Out of any other clearing account (the withdrawal a Receive Money into the
 * settlement bank) on that Receive Money's lines, or, learnt after it was booked, a manual journal.
 * Fees billed monthly when the withdrawal was made are on Xendit's bill (record-fee-bill.ts), never
 * taken from the balance.
 * A withdrawal the bank sent back whose fee Xendit gave back too (list-withdrawals.ts, by the fee's
 * own status): the booked fee comes back into the clearing account (withdrawal-fee-return.ts).
 * One Xendit kept is booked, sent back or not: the clearing account follows the balance, short by the fee.
 */
import type { Merchant, XenditFeeBilling } from '../../store/merchants.js';
import type { Withdrawal } from '../../store/settlements.js';
import type { Stores } from '../../store/index.js';
import type { XeroBankTransaction } from '../../clients/xero/types.js';
import { toDecimal, toMinor } from '../../money.js';
import { entryOnce, type EntryDeps } from './entry-once.js';
import { feeSpendOnce, payoutFeeLines, type PayoutFee } from './fee-spend.js';
import { organisationBaseCurrency } from './org-date.js';
import { Unrecordable } from './record-failure.js';

/** Reference on the withdrawal's Bank Transfer (or its Receive Money). */
export function withdrawalReference(xenditTransactionId: string): string {
  return `Xendit withdrawal ${xenditTransactionId}`;
}

/** Reference on the Bank Transfer (or the Spend Money) that brings a reversed withdrawal back. */
export function reversalReference(xenditTransactionId: string): string {
  return `Xendit withdrawal reversed ${xenditTransactionId}`;
}

export function withdrawalFeeReference(xenditTransactionId: string): string {
  return `Xendit withdrawal fee ${xenditTransactionId}`;
}

export function withdrawalFeeReturnReference(xenditTransactionId: string): string {
  return `Xendit withdrawal fee returned ${xenditTransactionId}`;
}

/** How Xendit charged its fees when the withdrawal was made (fee_billing_changes), as post-fee judges a payment's by when it was paid. */
export async function billingWhenWithdrawn(deps: { stores: Pick<Stores, 'feeBills'> }, merchant: Merchant, row: Withdrawal): Promise<XenditFeeBilling> {
  return (await deps.stores.feeBills.billingAt(merchant))(row.withdrawnAt);
}

/**
 * A fee inside the amount whose entry out carried the whole amount (sent before the fee was known):
 * that entry took all that left Xendit's balance out of the clearing account already.
 */
export function carriedWhole(row: Withdrawal): boolean {
  return row.feeInAmount && row.transferAmount !== null && row.transferAmount !== row.amount - row.fee;
}

/**
 * The fee this withdrawal still has to book in Xero (minor units; 0: none, booked, or on the month's
 * bill by `billing`, billingWhenWithdrawn). One inside the amount whose entry out carried the whole
 * amount (carriedWhole) only once the bank sent it back with Xendit keeping the fee: until then the
 * fee on top would count it twice; then what came back is the amount less the fee while the transfer
 * back moves the whole amount, as the transfer out did, so the fee is what leaves the clearing account
 * for good, as it left the balance (one given back by then: feeToBookNow books none).
 */
export function feeToBook(row: Withdrawal, billing: XenditFeeBilling): number {
  if (row.fee <= 0 || row.xeroFeeEntryId || billing === 'invoiced') return 0;
  if (carriedWhole(row) && !row.reversedAt) return 0;
  return row.fee;
}

/**
 * The day the fee is booked on: the day the withdrawal was made, or, its entry out carrying the whole
 * amount, the day it came back (the fee left the balance then: less came back), so the clearing
 * account follows the balance on each day and the report counts the fee with the return.
 */
export function feeDay(row: Withdrawal): Date {
  return carriedWhole(row) && row.reversedAt ? row.reversedAt : row.withdrawnAt;
}

/**
 * The fee to book now: none on a withdrawal sent back whose fee came back with it (booked, it and its
 * return would net to nothing; feeReturnToBook has nothing to give back then), else feeToBook. One
 * Xendit kept left its balance for good: booked, sent back or not.
 */
export function feeToBookNow(row: Withdrawal, billing: XenditFeeBilling): number {
  return row.reversedAt && row.feeReturned ? 0 : feeToBook(row, billing);
}

/**
 * The fee given back that is still to be booked back (minor units; 0: none). Only one booked in Xero
 * (Spend Money, Receive Money lines or manual journal): one given back before it was booked (still
 * PENDING, say) was never taken there.
 */
export function feeReturnToBook(row: Withdrawal): number {
  return row.reversedAt && row.feeReturned && row.xeroFeeEntryId && !row.xeroFeeReturnEntryId ? row.fee : 0;
}

/**
 * A fee whose create got no answer (its attempt mark set, no entry stored): Xero may hold it. Booked
 * again by feeOnce/feeJournalOnce while there is a fee to book; given back meanwhile, there is none,
 * and withdrawal-fee-return.ts feeSentEarlier finds it to give it back.
 */
export function feeSentUnknown(row: Withdrawal): boolean {
  return !!row.feeAttemptAt && !row.xeroFeeEntryId;
}

/**
 * What reached the bank: once booked, what the entry out carried (a transfer sent whole before a
 * fee inside the amount was learnt stays whole, and its return moves the same); before, the amount
 * less a fee Xendit took out of it.
 */
export function bankAmount(row: Withdrawal): number {
  if (row.transferAmount !== null) return row.transferAmount;
  return row.feeInAmount ? row.amount - row.fee : row.amount;
}

/** The withdrawal's fee, as fee-spend.ts books a payout's. */
export function withdrawalFee(row: Withdrawal): PayoutFee {
  return { currency: row.currency, fee: row.fee, feeTax: row.feeTax, what: `withdrawal ${row.xenditTransactionId}` };
}

/** The fee's lines to the fee account: the fee, and its VAT on a line of its own. */
export function withdrawalFeeLines(merchant: Merchant, row: Withdrawal) {
  return payoutFeeLines(merchant, withdrawalFee(row));
}

/**
 * The lines of the withdrawal's Receive Money into the settlement bank, with its fee: the clearing
 * account credited by all that left Xendit's balance (what reached the bank and the fee), the fee
 * account debited by the fee (negative lines: Xero takes them while the total is positive), so the
 * entry carries what reached the bank.
 */
export function receiveLinesWithFee(merchant: Merchant, row: Withdrawal, clearingCode: string) {
  const fee = withdrawalFeeLines(merchant, row).map((l) => ({ ...l, amount: `-${l.amount}` }));
  const left = { description: `Xendit withdrawal ${row.xenditTransactionId} from the Xendit balance, with Xendit's fee`, accountCode: clearingCode };
  return [{ ...left, amount: toDecimal(bankAmount(row) + row.fee, row.currency) }, ...fee];
}

/** What a Receive Money found in Xero carried into the bank, and whether it booked the fee too (a line not coded to the clearing account). */
export function receivedWith(t: XeroBankTransaction, row: Withdrawal, clearingCode: string): { amount: number; withFee: boolean } {
  return { amount: toMinor(t.total, row.currency), withFee: t.lineItems.some((l) => l.accountCode !== clearingCode) };
}

export type Mark = (id: string, at: Date | null, now: Date) => Promise<boolean>;
type FeeDeps = EntryDeps & { stores: { settlements: { noteFeeAttempt: Mark } } };

/** The fee's Spend Money out of the clearing bank account, once (fee-spend.ts); its id. */
export async function feeOnce(deps: FeeDeps, merchant: Merchant, row: Withdrawal, clearing: string, lookFirst: boolean): Promise<string> {
  return feeSpendOnce(deps, merchant, withdrawalFee(row), clearing, {
    reference: withdrawalFeeReference(row.xenditTransactionId),
    key: `xendit-withdrawal-fee-${row.id}`,
    at: feeDay(row),
    sentAt: row.feeAttemptAt,
    lookFirst,
    mark: (at) => deps.stores.settlements.noteFeeAttempt(row.id, at, deps.clock()),
  });
}

/**
 * The fee of a withdrawal booked as Receive Money, learnt after it was: no Spend Money can leave a
 * clearing account that is no bank account, so a manual journal debits the fee account and credits
 * the clearing account (as post-fee's journalOnce books a payment fee there), found by its Narration.
 * Xero's ManualJournal has no CurrencyCode (xero_accounting.yaml ManualJournal): in another currency
 * than the organisation's it is a person's to book, and a Retry finds theirs by that Narration.
 */
export async function feeJournalOnce(deps: FeeDeps, merchant: Merchant, row: Withdrawal, clearingCode: string, lookFirst: boolean): Promise<string> {
  const narration = withdrawalFeeReference(row.xenditTransactionId);
  const find = async () => (await deps.xero.findManualJournalsByNarration(merchant.xero, narration))[0]?.manualJournalId;
  const fee = withdrawalFeeLines(merchant, row);
  const total = toDecimal(row.fee, row.currency);
  const base = await organisationBaseCurrency(deps, merchant);
  if (base !== row.currency) {
    const byHand = await find();
    if (byHand) return byHand;
    throw new Unrecordable(
      `Xendit's fee on withdrawal ${row.xenditTransactionId} (${total} ${row.currency}) was learnt after its Receive Money was booked, and a manual journal is in ${base} only: ` +
        `book it by hand (debit ${merchant.feeAccountCode} ${total} ${row.currency}, credit ${clearingCode}, narration "${narration}"), then Retry`,
    );
  }
  const lines = [...fee, { description: `Xendit fee and VAT on withdrawal ${row.xenditTransactionId}`, accountCode: clearingCode, amount: `-${total}` }];
  const key = `xendit-withdrawal-fee-journal-${row.id}`;
  return entryOnce(deps, merchant, row.currency, {
    reference: narration,
    key,
    at: feeDay(row),
    sentAt: row.feeAttemptAt,
    lookFirst,
    mark: (at) => deps.stores.settlements.noteFeeAttempt(row.id, at, deps.clock()),
    find,
    create: async (date) => (await deps.xero.createManualJournal(merchant.xero, { narration, date, lines }, key)).manualJournalId,
  });
}
