/**
 * The payment transactions of the report's paid invoices (their fee, VAT and tax withheld). Xendit
 * has no read of many transactions by id, and reading one per paid invoice (GET /transactions by
 * reference_id) spends a call each: past Xendit's 60 requests a minute per endpoint in test mode
 * (600 live, docs.xendit.co/apidocs/rate-limits) a busy merchant's report met 429 halfway and failed.
 * So the payments of the range are listed once per account and currency (GET /transactions, types
 * PAYMENT, created window, 50 a page: 500 paid invoices cost about 10 calls), and each invoice is
 * matched there as its own lookup would match it (clients/xendit/transactions.ts feeTaxFromListing).
 * What the listing does not settle (not in it, two that fit, paid outside the range) is read alone, as before.
 */
import type { Currency } from '../money.js';
import { feeTaxFromListing, listPaymentWindow } from '../clients/xendit/transactions.js';
import type { XenditInvoice, XenditPaymentTransaction } from '../clients/xendit/types.js';
import type { ReportDeps } from './rows.js';
import type { ReportKey, TransactionOf, XenditAccounts } from './xendit-accounts.js';

/** A payment's transaction is created when it is paid: within this of the invoice's paid_at (as jobs/xendit-reads.ts). */
const SPREAD_MS = 15 * 60_000;
/**
 * Pages one listing reads at most, well under the minute's calls to GET /transactions, as the rest
 * of the report and the balances beside it read up to a few dozen pages of it more: 1 000 payments
 * in test mode, 20 000 live. The payments past them are read one by one.
 */
const PAGES = { test: 20, live: 400 } as const;

interface Listing {
  from: number;
  to: number;
  rows: XenditPaymentTransaction[];
  /** Every payment of the window was read: a lone fit is the invoice's, as its own lookup would say. */
  complete: boolean;
}

/**
 * Read in the account that holds the invoice (the key that found it), once per report; `paid`: the
 * invoices paid in the range, whose transactions are listed together on the first read.
 */
export function transactionReader(deps: ReportDeps, accounts: XenditAccounts, paid: readonly XenditInvoice[] = []): TransactionOf {
  const read = new Map<string, ReturnType<TransactionOf>>();
  const listings = new Map<string, Promise<Listing | null>>();
  const keyOf = (inv: XenditInvoice) => accounts.keyOf(inv.id) ?? accounts.keys[0];
  const paidAt = (inv: XenditInvoice) => (inv.paidAt ? Date.parse(inv.paidAt) : NaN);
  const listingOf = (key: ReportKey, currency: Currency) => {
    const name = `${key.key} ${currency}`;
    if (!listings.has(name)) {
      const times = paid
        .filter((i) => i.currency === currency && keyOf(i) === key)
        .map(paidAt)
        .filter(Number.isFinite);
      listings.set(
        name,
        times.length ? list(deps, accounts, key, currency, Math.min(...times) - SPREAD_MS, Math.max(...times) + SPREAD_MS) : Promise.resolve(null),
      );
    }
    return listings.get(name)!;
  };
  const lookUp: TransactionOf = async (inv) => {
    const query = { id: inv.id, externalId: inv.externalId, paidAmount: inv.paidAmount ?? inv.amount, currency: inv.currency };
    const key = keyOf(inv);
    const listed = await listingOf(key, inv.currency);
    const at = paidAt(inv);
    // Only a payment made well inside the listed window is surely in it.
    if (listed && at - SPREAD_MS >= listed.from && at + SPREAD_MS <= listed.to) {
      const found = feeTaxFromListing(listed.rows, query, listed.complete);
      if (found) return found;
    }
    const got = await accounts.one(key, 'payment transactions', () => deps.xendit.getFeeTax(key.key, query));
    return got ? got.value : { kind: 'refused', key };
  };
  return (inv) => read.get(inv.id) ?? read.set(inv.id, lookUp(inv)).get(inv.id)!;
}

/** The account's payments in `currency` created in [from, to]; null when Xendit refused the key (each is then asked, and refused, alone). */
async function list(deps: ReportDeps, accounts: XenditAccounts, key: ReportKey, currency: Currency, from: number, to: number): Promise<Listing | null> {
  const got = await accounts.one(key, 'payment transactions', () => listPaymentWindow(deps.xendit, key.key, { currency, from, to }, PAGES[key.mode]));
  return got ? { from, to, rows: got.value.rows, complete: got.value.complete } : null;
}
