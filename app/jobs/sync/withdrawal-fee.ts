/**
 * Xendit's fee on a withdrawal, out of the clearing account into the merchant's Xendit fee account:
 * without it the clearing account stays above Xendit's balance by every payout fee. A Spend Money
 * of its own (Reference `Xendit withdrawal fee <transaction id>`), after the transfer and marked
 * apart from it, so a run that dies between the two sends each once (entryOnce, send-once.ts).
 * Fees billed monthly are on Xendit's bill (record-fee-bill.ts), never taken from the balance.
 */
import type { Merchant } from '../../store/merchants.js';
import type { Withdrawal } from '../../store/settlements.js';
import { bankTransactionOnce, type EntryDeps } from './entry-once.js';
import { Unrecordable } from './record-failure.js';

export function withdrawalFeeReference(xenditTransactionId: string): string {
  return `Xendit withdrawal fee ${xenditTransactionId}`;
}

/** The fee this withdrawal still has to book in Xero (minor units; 0: none, or booked). */
export function feeToBook(merchant: Merchant, row: Withdrawal): number {
  if (row.fee <= 0 || row.xeroFeeEntryId || merchant.xenditFeeBilling === 'invoiced') return 0;
  return row.fee;
}

/** What reached the bank: the amount less a fee Xendit took out of it. */
export function bankAmount(row: Withdrawal): number {
  return row.feeInAmount ? row.amount - row.fee : row.amount;
}

/** The fee's Spend Money out of the clearing bank account, once; its id. */
export async function feeOnce(
  deps: EntryDeps & { stores: { settlements: { noteFeeAttempt: (id: string, at: Date | null, now: Date) => Promise<boolean> } } },
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
