/**
 * Which way a withdrawal leaves the clearing account: a Bank Transfer out of a bank account, or a
 * Receive Money into the settlement bank coded to a clearing account that is no bank account.
 */
import type { Withdrawal } from '../../store/settlements.js';
import type { WithdrawalEntryKind } from '../../store/schema.js';
import { clearingAccountFor, type Merchant } from '../../store/merchants.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import { Unrecordable } from './record-failure.js';

/** How the money left the clearing account, and between which accounts. */
export type Out = { kind: 'transfer'; clearing: string; bank: string } | { kind: 'receive'; code: string; bank: string };

/** Where a fee Xendit kept on a withdrawal sent back before any entry out leaves from: the currency's clearing account. */
export async function keptFeeWay(deps: { xero: XeroGateway }, merchant: Merchant, row: Withdrawal): Promise<Out> {
  const from = clearingAccountFor(merchant, row.currency);
  if (!from) throw new Unrecordable(`no clearing account for ${row.currency}: book the fee Xendit kept on withdrawal ${row.xenditTransactionId} by hand`);
  const side = await clearingSide(deps, merchant, row, from);
  return side.kind === 'transfer' ? { kind: 'transfer', clearing: from, bank: '' } : { kind: 'receive', code: side.code, bank: '' };
}

/**
 * How this attempt books the withdrawal. An attempt whose outcome is unknown pins it (the retry
 * looks where that attempt sent it); otherwise the clearing account's type decides, as it is now.
 */
export async function clearingSide(
  deps: { xero: XeroGateway },
  merchant: Merchant,
  row: Withdrawal,
  clearingId: string,
): Promise<{ kind: 'transfer' } | { kind: 'receive'; code: string }> {
  const pinned: WithdrawalEntryKind | null = row.transferAttemptAt ? (row.entryKind ?? 'transfer') : null;
  if (pinned === 'transfer') return { kind: 'transfer' };
  const account = await deps.xero.getAccount(merchant.xero, clearingId);
  if (!account) throw new Unrecordable(`the clearing account ${clearingId} for ${row.currency} does not exist in Xero`);
  if (account.type === 'BANK' && pinned === null) return { kind: 'transfer' };
  // A line is coded by AccountCode (xero_accounting.yaml LineItem.AccountCode): an account without one cannot be named there.
  if (!account.code) throw new Unrecordable(`the clearing account ${account.name} has no account code, which a receive money line needs`);
  return { kind: 'receive', code: account.code };
}
