/**
 * Does the clearing account close? Per currency, Xendit's CASH balance (GET /balance) plus what
 * customers paid that Xendit has not settled into it yet, next to the clearing account's balance in
 * Xero (the Bank Summary report's closing balance today): equal, the books agree with Xendit. The
 * gateway records a payment in Xero when it is paid, while Xendit's balance takes it only when it
 * settles (a day or more later by channel: Transactions API settlement_status PENDING until then),
 * so the balance alone would differ from Xero after every sale. A withdrawal requested and not sent
 * yet (PENDING) is shown beside Xendit's balance as money in transit (see `inTransit`). Money Xendit
 * holds back (the HOLDING balance: an open dispute's amount "will be held while the investigation
 * is ongoing", docs.xendit.co "Handling disputes and chargeback"; reserves are "moved from Available
 * Balance to Reserve Balance", docs.xendit.co/reserves) is still the merchant's and still in the
 * clearing account until a lost dispute is booked, so it counts on Xendit's side. Xero reports
 * in the organisation's base currency only (help.xero.com "Foreign currency & reporting"), so
 * another currency's clearing account, a bank account, has its balance added up from the entries
 * Xero lists on it (report/summed-balance.ts) where the report has just read them all; the
 * dashboard, which would pay for those reads on every load out of the minute's Xero calls the
 * payments need, shows Xendit's side alone and points to the report.
 * The Bank Summary lists bank accounts only (xero_accounting.yaml getReportBankSummary), so a
 * clearing account of another type (payments enabled, manual-journal fees) shows Xendit's side
 * alone too, and says why rather than "not available".
 * After a change of clearing account, Xero's side adds up today's account and those the gateway
 * posted to (report/accounts.ts formerPosted): in the report's range on the report page, in the
 * report page's default range on the dashboard, so both pages compare the same accounts.
 * Either side that cannot be read is shown as not available; the page never fails for it. A scope
 * the connection lacks (the Bank Summary's own report scope, for apps created from March 2026) is
 * named instead, with "reconnect": it stays unreadable until then.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Merchant } from '../../store/merchants.js';
import { clearingAccountFor } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import { XeroScopeMissing } from '../../clients/xero/errors.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import { AmountError, isSupportedCurrency, toMinor, type Currency } from '../../money.js';
import { dateIn, zoneFor } from '../../jobs/sync/org-date.js';
import { summedBalance } from '../../report/summed-balance.js';
import type { ClearingEntries } from '../../report/reconcile.js';
import { formerPosted, RECENT_DAYS, recentRange } from '../../report/accounts.js';
import type { FeeBillStore } from '../../store/fee-bills.js';
import type { ClearingPostStore, PostedAccount } from '../../store/clearing-posts.js';

export interface BalanceRow {
  currency: Currency;
  /** Xendit's CASH balance, minor units; null when Xendit could not be asked. */
  cash: number | null;
  /**
   * Held back by Xendit (HOLDING balance: open disputes, reserves), minor units; null when Xendit
   * could not be asked (then left out of `xendit`, and said so).
   */
  held: number | null;
  /** Paid and not settled yet, net of the fee and the tax withheld Xendit will take at settlement; null when not known. */
  unsettled: number | null;
  /** What Xero should hold: cash + held + unsettled; null unless cash and unsettled are known. */
  xendit: number | null;
  /**
   * Withdrawals requested at Xendit and not sent yet (status PENDING), minor units; null when not
   * known. Money on its way to the bank: not in Xero yet (the gateway books SUCCESS), and perhaps
   * already out of the CASH balance (when Xendit takes it is not documented).
   */
  pendingWithdrawals: number | null;
  /** Balanced only once the pending withdrawals are counted as still at Xendit. */
  inTransit?: boolean;
  /** Minor units; null when Xero could not be asked or reports it in another currency. */
  xero: number | null;
  /** The organisation's base currency, when Xero's figure is not in this one. */
  notBase?: string;
  /** Xero's figure is the sum of the entries Xero lists on the account (another currency than the base). */
  summed?: boolean;
  /**
   * How many clearing accounts Xero's figure adds up, when not just today's one: today's and those
   * the gateway posted to in the report's range (it changed clearing account), balances added.
   */
  accounts?: number;
  /** The other accounts are those posted to in this many days up to today (the dashboard), not in a report's range. */
  accountsDays?: number;
  /** The clearing account is not a bank account: the Bank Summary has no figure for it. */
  notBank?: boolean;
  /** Xero refused the Bank Summary for want of this scope: reconnect to grant it. */
  scopeMissing?: string;
  balanced: boolean;
}

/** Xendit settles within days; payments older than this are settled or not coming. */
const UNSETTLED_DAYS = 30;

interface Deps {
  xero: XeroGateway;
  xendit: XenditGateway;
  /**
   * The merchant's changes of fee billing (each unsettled payment judged by the setting when it was
   * paid, as post-fee and the report judge it) and the clearing accounts the gateway posted to.
   */
  stores: { feeBills: Pick<FeeBillStore, 'billingAt'>; clearingPosts: Pick<ClearingPostStore, 'accountsPosted'> };
  clock: Clock;
  logger: Logger;
}

/** Upstream trouble is "not available"; anything else is a bug and propagates. */
async function orNull<T>(deps: Deps, merchant: Merchant, what: string, fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    deps.logger.warn({ merchantId: merchant.id, err: err.message }, `${what} not read for the balances`);
    return null;
  }
}

/**
 * `known`: the clearing accounts' entries as the report has just read them; without them, no other
 * currency is summed. `given`: per currency, the other clearing accounts the report read (the
 * gateway posted to them in its range, report/accounts.ts): Xendit's balance is then set against
 * today's clearing account and those added up, as Xendit's one balance holds what went to each.
 * Without it (the dashboard) they are those of the report page's default range, by the same rule
 * (formerPosted), so both pages compare the same accounts. `keys`: the Xendit accounts whose money
 * the clearing account holds, their figures added (the report's, report/xendit-accounts.ts: a test
 * and a live account booked into a test company); the dashboard's: the key in use. Any one's figure
 * not read leaves the sum not read.
 */
export async function balances(
  deps: Deps,
  merchant: Merchant,
  known?: ClearingEntries,
  given?: Record<string, string[]>,
  keys: readonly string[] = [merchant.xenditSecretKey],
): Promise<BalanceRow[]> {
  if (!merchant.xenditSecretKey || !merchant.clearingAccountId) return [];
  const org = await orNull(deps, merchant, 'xero organisation', () => deps.xero.getOrganisation(merchant.xero));
  const base = org?.baseCurrency;
  const ownCurrencies = [...(base ? [base] : []), ...Object.keys(merchant.clearingAccounts)];
  // The organisation's today; its zone falls back to the base currency's market, else (a base such
  // as SGD that Xendit does not charge in, every clearing account foreign) the first clearing currency's.
  const zoneCurrency = base && isSupportedCurrency(base) ? base : [...ownCurrencies, ...Object.keys(given ?? {})].find(isSupportedCurrency);
  const today = org && zoneCurrency ? dateIn(deps.clock(), zoneFor(merchant.xeroTimezone ?? org.timezone, zoneCurrency)) : null;
  const former = given ?? (today ? formerOf((await formerPosted(deps, merchant, recentRange(today))).former) : {});
  const recent = given === undefined && today !== null;
  const currencies = [...new Set([...ownCurrencies, ...Object.keys(former)])].filter(isSupportedCurrency);
  const billingAt = await deps.stores.feeBills.billingAt(merchant);
  let scopeMissing: string | undefined;
  // Only a base-currency clearing account has its own figure in the Bank Summary.
  const summary =
    today && base && isSupportedCurrency(base)
      ? await orNull(deps, merchant, 'xero bank summary', async () => {
          try {
            return await deps.xero.bankSummary(merchant.xero, today);
          } catch (err) {
            if (err instanceof XeroScopeMissing) scopeMissing = err.scope;
            throw err;
          }
        })
      : null;
  return Promise.all(
    currencies.map(async (currency) => {
      const since = new Date(deps.clock().getTime() - UNSETTLED_DAYS * 86_400_000);
      const each = await Promise.all(
        keys.map((key) =>
          Promise.all([
            orNull(deps, merchant, 'xendit balance', () => deps.xendit.getBalance(key, currency)),
            orNull(deps, merchant, 'xendit held balance', () => deps.xendit.getBalance(key, currency, 'HOLDING')),
            orNull(deps, merchant, 'xendit unsettled payments', () => deps.xendit.unsettledPayments(key, currency, since)),
            orNull(deps, merchant, 'xendit pending withdrawals', () => deps.xendit.pendingWithdrawals(key, currency)),
          ]),
        ),
      );
      const cash = added(each.map((e) => e[0]));
      const held = added(each.map((e) => e[1]));
      const lists = each.map((e) => e[2]);
      const pending = lists.every((l) => l !== null) ? lists.flatMap((l) => l!) : null;
      const inFlight = addedUp(
        each.map((e) => e[3]),
        ['count', 'amount'],
      );
      // Fees invoiced monthly are never taken from the balance; otherwise Xendit keeps its fee at
      // settlement. Each payment by the billing when it was paid, as post-fee booked it (today's
      // setting would count a difference for every payment made before a switch). Tax it withholds
      // is not its fee: kept back whatever the billing (as the report and post-fee count it beside the fee).
      const unsettled = pending
        ? pending.reduce((sum, p) => sum + p.gross - (billingAt(p.paidAt ?? deps.clock()) === 'invoiced' ? 0 : p.fees) - p.withheld, 0)
        : null;
      const xendit = cash !== null && unsettled !== null ? cash + (held ?? 0) + unsettled : null;
      const pendingWithdrawals = inFlight ? inFlight.amount : null;
      const clearingId = clearingAccountFor(merchant, currency);
      // A currency only a former clearing account holds has no clearing account of today's.
      const ids = [...(ownCurrencies.includes(currency) ? [clearingId] : []), ...(former[currency] ?? [])];
      const figures = ids.map((id) => {
        const read = currency !== base ? known?.get(id) : undefined;
        const summed = read?.currency === currency && today ? summedBalance({ ...read, currency, asOf: today }) : null;
        const decimal = currency === base ? summary?.[id] : (summed ?? undefined);
        return decimal === undefined ? null : minorOrNull(decimal, currency);
      });
      // Every account's figure, or none: a sum missing one would differ from Xendit for no reason.
      const xero = figures.length && figures.every((f) => f !== null) ? figures.reduce((a: number, f) => a + f!, 0) : null;
      const own = ownCurrencies.includes(currency) ? figures[0] : undefined;
      // Asked only when the summary was read and has no row for the clearing account.
      const notBank =
        summary && own === null && currency === base
          ? await orNull(deps, merchant, 'xero clearing account', async () => {
              const account = await deps.xero.getAccount(merchant.xero, clearingId);
              return account !== null && account.type !== 'BANK';
            })
          : null;
      // Xendit documents that a money-out transaction debits the balance (docs.xendit.co/apidocs/get-balance),
      // not whether a withdrawal still PENDING already has. Either way the books agree: the clearing
      // account holds it until the gateway books it as sent, so it balances with the pending
      // withdrawals counted as still Xendit's (in transit), or with the balance alone.
      const balanced = xendit !== null && xero !== null && xendit === xero;
      const inTransit = !balanced && xendit !== null && xero !== null && !!pendingWithdrawals && xendit + pendingWithdrawals === xero;
      return {
        currency,
        cash,
        held,
        unsettled,
        xendit,
        pendingWithdrawals,
        ...(inTransit ? { inTransit } : {}),
        xero,
        ...(currency !== base && base && xero === null ? { notBase: base } : {}),
        ...(currency !== base && xero !== null ? { summed: true } : {}),
        ...(ids.length > 1 || !ownCurrencies.includes(currency) ? { accounts: ids.length, ...(recent ? { accountsDays: RECENT_DAYS } : {}) } : {}),
        ...(notBank ? { notBank: true } : {}),
        ...(scopeMissing && currency === base ? { scopeMissing } : {}),
        balanced: balanced || inTransit,
      };
    }),
  );
}

/** Per currency, the former clearing accounts' ids. */
function formerOf(posted: PostedAccount[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { accountId, currency } of posted) (out[currency] ??= []).push(accountId);
  return out;
}

/** Each account's figure added; null when any one's is not known. */
function added(figures: (number | null)[]): number | null {
  return figures.every((f) => f !== null) ? figures.reduce((a: number, f) => a + f!, 0) : null;
}

function addedUp<K extends string>(figures: (Record<K, number> | null)[], fields: K[]): Record<K, number> | null {
  if (!figures.every((f) => f !== null)) return null;
  return Object.fromEntries(fields.map((k) => [k, figures.reduce((a, f) => a + f![k], 0)])) as Record<K, number>;
}

/** Xero's closing balance may be negative (more left than came in). */
function minorOrNull(decimal: string, currency: Currency): number | null {
  try {
    const negative = decimal.startsWith('-');
    const minor = toMinor(negative ? decimal.slice(1) : decimal, currency);
    return negative ? -minor : minor;
  } catch (err) {
    if (err instanceof AmountError) return null;
    throw err;
  }
}
