/**
 * Xendit's fee on a withdrawal, out of the clearing account into the merchant's Xendit fee account:
 * without it the clearing account stays above Xendit's balance by every payout fee. A Spend Money
 * of its own (Reference `Xendit withdrawal fee <transaction id>`), after the transfer and marked
 * apart from it, so a run that dies between the two sends each once (entryOnce, send-once.ts).
 * Fees billed monthly are on Xendit's bill (record-fee-bill.ts), never taken from the balance.
 * A withdrawal the bank sent back whose fee Xendit gave back too (list-withdrawals.ts, by the fee's
 * own status): the booked fee comes back into the clearing account as a Receive Money of its own
 * (`Xendit withdrawal fee returned <transaction id>`), after the transfer back and marked apart.
 * One Xendit kept stays booked: the clearing account follows the balance, short by the fee.
 */
import type { Merchant } from '../../store/merchants.js';
import type { Withdrawal } from '../../store/settlements.js';
import { bankTransactionOnce, type EntryDeps } from './entry-once.js';
import { Unrecordable } from './record-failure.js';

export function withdrawalFeeReference(xenditTransactionId: string): string {
  return `Xendit withdrawal fee ${xenditTransactionId}`;
}

export function withdrawalFeeReturnReference(xenditTransactionId: string): string {
  return `Xendit withdrawal fee returned ${xenditTransactionId}`;
}

/** The fee this withdrawal still has to book in Xero (minor units; 0: none, or booked). */
export function feeToBook(merchant: Merchant, row: Withdrawal): number {
  if (row.fee <= 0 || row.xeroFeeEntryId || merchant.xenditFeeBilling === 'invoiced') return 0;
  return row.fee;
}

/**
 * The fee given back that is still to be booked back (minor units; 0: none). Only one whose Spend
 * Money is in Xero: one given back before it was booked (still PENDING, say) was never taken there.
 */
export function feeReturnToBook(row: Withdrawal): number {
  return row.reversedAt && row.feeReturned && row.xeroFeeEntryId && !row.xeroFeeReturnEntryId ? row.fee : 0;
}

/** What reached the bank: the amount less a fee Xendit took out of it. */
export function bankAmount(row: Withdrawal): number {
  return row.feeInAmount ? row.amount - row.fee : row.amount;
}

/** The fee's Spend Money out of the clearing bank account, once; its id. */
type Mark = (id: string, at: Date | null, now: Date) => Promise<boolean>;

export async function feeOnce(
  deps: EntryDeps & { stores: { settlements: { noteFeeAttempt: Mark } } },
  merchant: Merchant,
  row: Withdrawal,
  clearing: string,
  lookFirst: boolean,
): Promise<string> {
  if (!merchant.feeAccountCode) throw new Unrecordable(`no fee account is configured for Xendit's fee on withdrawal ${row.xenditTransactionId}`);
  return bankTransactionOnce(
    deps,
    merchant,
    { currency: row.currency, amount: row.fee },
    {
      type: 'SPEND',
      bank: clearing,
      accountCode: merchant.feeAccountCode,
      description: `Xendit fee on withdrawal ${row.xenditTransactionId}`,
      reference: withdrawalFeeReference(row.xenditTransactionId),
      key: `xendit-withdrawal-fee-${row.id}`,
      at: row.withdrawnAt,
      sentAt: row.feeAttemptAt,
      lookFirst,
      mark: (at) => deps.stores.settlements.noteFeeAttempt(row.id, at, deps.clock()),
      // No feed carries the clearing account.
      reconciled: true,
    },
  );
}

/**
 * The fee given back: Receive Money into the account its Spend Money left, coded to the account that
 * one was, as Xero holds them (whatever the settings say today), once; its id. Dated the day the
 * payout came back, reconciled as the Spend Money was (no feed carries the clearing account).
 */
export async function feeReturnOnce(
  deps: EntryDeps & { stores: { settlements: { noteFeeReturnAttempt: Mark } } },
  merchant: Merchant,
  row: Withdrawal,
  lookFirst: boolean,
): Promise<string> {
  const id = row.xenditTransactionId;
  const spent = (await deps.xero.findBankTransactionsByReference(merchant.xero, withdrawalFeeReference(id))).find(
    (t) => t.bankTransactionId === row.xeroFeeEntryId && t.status !== 'DELETED' && t.status !== 'VOIDED',
  );
  const code = spent?.lineItems[0]?.accountCode;
  if (!spent || !code) throw new Unrecordable(`the fee's spend money (${row.xeroFeeEntryId}) is no longer in Xero: book the fee Xendit gave back by hand`);
  return bankTransactionOnce(
    deps,
    merchant,
    { currency: row.currency, amount: row.fee },
    {
      type: 'RECEIVE',
      bank: spent.bankAccountId,
      accountCode: code,
      description: `Xendit fee on withdrawal ${id}, given back with the reversed payout`,
      reference: withdrawalFeeReturnReference(id),
      key: `xendit-withdrawal-fee-return-${row.id}`,
      at: row.reversedAt ?? deps.clock(),
      sentAt: row.feeReturnAttemptAt,
      lookFirst,
      mark: (at) => deps.stores.settlements.noteFeeReturnAttempt(row.id, at, deps.clock()),
      reconciled: true,
    },
  );
}
