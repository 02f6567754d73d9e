/**
 * The clearing accounts one report reads: today's (the default one and one per extra currency) and
 * every other account the gateway posted to for what happened in the range, as our rows recorded it
 * (store/clearing-posts.ts), so a merchant who changed clearing account in the range still has the
 * old account's payments, fees, fees given back, refunds and withdrawals found where they were
 * posted. At most MAX_FORMER of those (latest first), each a few Xero reads; more is an incomplete row.
 * The balances (admin/payments/balances.ts) add up the same accounts (formerPosted): those of the
 * report's range on the report page, those of the report page's default range on the dashboard.
 */
import type { Merchant } from '../store/merchants.js';
import type { Currency } from '../money.js';
import type { PostedAccount } from '../store/clearing-posts.js';
import { incompleteRow, type ReportDeps, type ReportRow } from './rows.js';

/** Former clearing accounts one report reads: each costs up to five Xero calls (its account, payments, transactions, transfers out and in). */
export const MAX_FORMER = 8;
/** How far before the range an entry dated in it may have happened: moved there by a lock date (org-date.ts bookableDate), as transfers.ts reads. */
const LOOKBACK_DAYS = 31;
const DAY_MS = 86_400_000;

export interface ClearingAccounts {
  /** Every account read: today's first. */
  ids: string[];
  /** Each account's currency ('' when Xero could not say). */
  currencyOf: Map<string, string>;
  /** Accounts that are not bank accounts (manual-journal fees, Receive Money for withdrawals). */
  nonBank: string[];
  /** The non-bank ones by account code, as journal lines and line items name them. */
  nonBankByCode: Map<string, { accountId: string; currency: string }>;
  /** Per currency, the accounts read that are not today's clearing account for it. */
  former: Map<string, string[]>;
  /** What could not be read: former accounts past the bound, or gone from Xero. */
  rows: ReportRow[];
}

/**
 * The report page's range when none is asked for: the merchant's today and the days before it.
 * The dashboard's balances read the former clearing accounts of this range (formerPosted), and a
 * withholding tax account set late books the tax of payments of about as long (jobs/sync/withholding-catch-up.ts).
 */
export const RECENT_DAYS = 30;

/** The report page's default range ending on `today` (YYYY-MM-DD): RECENT_DAYS days. */
export function recentRange(today: string): { from: string; to: string } {
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - (RECENT_DAYS - 1) * DAY_MS).toISOString().slice(0, 10);
  return { from, to: today };
}

/**
 * Today's clearing accounts, and the other accounts the gateway posted to for what happened in
 * `range` (latest first, at most MAX_FORMER); `more`: some were left out. The report reads these,
 * and the balances (report page and dashboard alike) add their figures to today's.
 */
export async function formerPosted(
  deps: Pick<ReportDeps, 'stores'>,
  merchant: Merchant,
  range: { from: string; to: string },
): Promise<{ today: string[]; former: PostedAccount[]; more: boolean }> {
  const today = [...new Set([merchant.clearingAccountId, ...Object.values(merchant.clearingAccounts)])];
  const posted = deps.stores?.clearingPosts
    ? await deps.stores.clearingPosts.accountsPosted(
        merchant.id,
        // Moments at Xendit whose local dates may fall in the range (a day either way), and earlier ones booked later.
        {
          from: new Date(Date.parse(`${range.from}T00:00:00Z`) - (1 + LOOKBACK_DAYS) * DAY_MS),
          to: new Date(Date.parse(`${range.to}T00:00:00Z`) + 2 * DAY_MS),
        },
        MAX_FORMER + today.length,
      )
    : { accounts: [], more: false };
  const others = posted.accounts.filter((a) => !today.includes(a.accountId));
  return { today, former: others.slice(0, MAX_FORMER), more: posted.more || others.length > MAX_FORMER };
}

export async function clearingAccounts(
  deps: ReportDeps,
  merchant: Merchant,
  range: { from: string; to: string },
  base: () => Promise<Currency>,
): Promise<ClearingAccounts> {
  const { today, former: kept, more } = await formerPosted(deps, merchant, range);
  const rows: ReportRow[] = [];
  if (more) {
    rows.push(
      incompleteRow(
        range,
        `the gateway posted to more clearing accounts in this range than one report reads (${MAX_FORMER} besides today's): the entries on the others are not compared; choose a shorter range`,
      ),
    );
  }
  const currencyOf = new Map((await deps.xero.listBankAccounts(merchant.xero)).map((a) => [a.accountId, a.currencyCode ?? '']));
  const ids = [...today];
  const nonBank: string[] = [];
  const nonBankByCode = new Map<string, { accountId: string; currency: string }>();
  for (const accountId of today.filter((id) => !currencyOf.has(id))) {
    const account = await deps.xero.getAccount(merchant.xero, accountId);
    nonBank.push(accountId);
    if (!account) continue;
    // A clearing account that is not a bank account is in the organisation's base currency.
    const currency = account.currencyCode ?? Object.entries(merchant.clearingAccounts).find(([, id]) => id === accountId)?.[0] ?? (await base());
    currencyOf.set(accountId, currency);
    if (account.code) nonBankByCode.set(account.code, { accountId, currency });
  }
  const former = new Map<string, string[]>();
  for (const { accountId, currency } of kept) {
    if (!currencyOf.has(accountId)) {
      // Not an active bank account: archived, not a bank account, or deleted.
      const account = await deps.xero.getAccount(merchant.xero, accountId);
      if (!account) {
        rows.push({
          ...incompleteRow(range, `the clearing account ${accountId} the gateway posted ${currency} to is no longer in Xero: its entries are not compared`),
          currency,
        });
        continue;
      }
      currencyOf.set(accountId, account.currencyCode ?? currency);
      if (account.type !== 'BANK') {
        nonBank.push(accountId);
        if (account.code) nonBankByCode.set(account.code, { accountId, currency: account.currencyCode ?? currency });
      }
    }
    ids.push(accountId);
    former.set(currency, [...(former.get(currency) ?? []), accountId]);
  }
  return { ids, currencyOf, nonBank, nonBankByCode, former, rows };
}

/** The Xero organisation's base currency, read. */
export async function baseCurrency(deps: ReportDeps, merchant: Merchant): Promise<Currency> {
  return (await deps.xero.getOrganisation(merchant.xero)).baseCurrency as Currency;
}
