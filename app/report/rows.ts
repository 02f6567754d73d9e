/**
 * The reconciliation report's rows and amounts, shared by its parts (reconcile.ts: payments, fees,
 * refunds; transfers.ts: settlements). Amounts are compared in hundredths (Xero's two decimals).
 */
import type { XenditGateway } from '../clients/xendit/types.js';
import type { XenditMode } from '../store/merchants.js';
import type { FeeBillStore } from '../store/fee-bills.js';
import type { ClearingPostStore } from '../store/clearing-posts.js';
import type { Stores } from '../store/index.js';
import type { XeroGateway } from '../clients/xero/types.js';
import { type Currency } from '../money.js';
import { UpstreamError } from '../clients/types.js';

export const ROW_STATUSES = [
  'matched',
  'missing_in_xero',
  'missing_at_xendit',
  'amount_differs',
  'fee_missing',
  'fee_differs',
  'fee_tax_unknown',
  'not_from_xendit',
  'refunded',
  'transferred',
  'fee_returned',
  'incomplete',
  'xendit_only',
  'not_in_xero',
  'timing',
] as const;
/** xendit_only: shown for a reason, counted in another period or not known to move money (not held against the report). */
/** not_in_xero: money moved in or out of the Xendit balance that the clearing account does not show (movements.ts). */
/**
 * timing: the same money on both sides, dated in different periods (a person booked it on another day
 * than Xendit moved it): each side counted in its own period, so each period's totals hold what its
 * balances did; a period holding both days shows it matched.
 */
/** incomplete: Xendit had more to list than one report reads: the range is not known to be reconciled. */
/** fee_tax_unknown: Xendit's fee is there but the VAT on it could not be read, so whether Xero holds the right fee is unknown. */
export type RowStatus = (typeof ROW_STATUSES)[number];

export interface ReportRow {
  date: string; // YYYY-MM-DD, the merchant's local date (as on the Xero payment)
  xenditInvoiceId: string | null;
  currency: string;
  xenditAmount: string | null; // two-decimal strings
  xenditFee: string | null;
  xeroPayment: string | null;
  xeroFee: string | null;
  status: RowStatus;
  note: string;
  /** The mode of the key whose Xendit account the row's Xendit side is in; absent when it has none (Xero's side alone). */
  xenditMode?: XenditMode;
}

export interface ReportDeps {
  xero: XeroGateway;
  xendit: XenditGateway;
  /**
   * What the gateway kept: the merchant's changes of fee billing, so each payment is judged by the
   * setting when it was paid, and the day it dated each withdrawal's return by (transfers.ts).
   * Without them (tools, tests of other things) today's setting stands for every payment, and
   * Xendit's `updated` for a return's day. The payments: whether the gateway posted a payment's fee
   * (fee-returns.ts gatewayPostsFee). The clearing accounts the gateway posted to (accounts.ts):
   * without them, today's alone are read.
   */
  stores?: {
    feeBills?: Pick<FeeBillStore, 'billingAt'>;
    settlements?: Pick<Stores['settlements'], 'reversedAtOf'>;
    /** A reversed movement's row: the day it was dated back by, and whether anything is to be booked for it (movements.ts). */
    otherMovements?: Pick<Stores['otherMovements'], 'byXenditIds'>;
    payments?: Pick<Stores['payments'], 'byXenditInvoice'> & Partial<Pick<Stores['payments'], 'byIds'>>;
    clearingPosts?: Pick<ClearingPostStore, 'accountsPosted'>;
    /** A chargeback's row, its payment and its dispute as read: where its CHARGEBACK transaction is found (chargeback-fees.ts). */
    refunds?: Pick<Stores['refunds'], 'byXenditIds'> & Partial<Pick<Stores['refunds'], 'forPayment'>>;
    knownDisputes?: Pick<Stores['knownDisputes'], 'byId'>;
  };
}

/** "150000" / "12.5" / "-3.25" → hundredths. */
export function hundredths(decimal: string): bigint {
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(decimal.trim());
  if (!m) throw new RangeError(`not an amount with at most two decimals: ${decimal}`);
  const v = BigInt(m[2] + (m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -v : v;
}

export function format(h: bigint): string {
  const sign = h < 0n ? '-' : '';
  const digits = (h < 0n ? -h : h).toString().padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/**
 * An entry on a clearing account that is none of the gateway's: a row of its own (not_from_xendit)
 * unless it is the merchant's booking of a Xendit balance movement (movements.ts claims it).
 */
export interface ClearingEntry {
  row: ReportRow;
  /** Hundredths: positive into the clearing account. */
  signed: bigint;
  reference: string;
}

export function clearingEntry(date: string, currency: string, signed: bigint, note: string, reference: string): ClearingEntry {
  const row: ReportRow = {
    date,
    xenditInvoiceId: null,
    currency,
    xenditAmount: null,
    xenditFee: null,
    xeroPayment: format(signed),
    xeroFee: null,
    status: 'not_from_xendit',
    note,
  };
  return { row, signed, reference };
}

/** The range could not be read to the end: whatever was left unread may hold a difference. */
export function incompleteRow(range: { to: string }, note: string): ReportRow {
  return {
    date: range.to,
    xenditInvoiceId: null,
    currency: '',
    xenditAmount: null,
    xenditFee: null,
    xeroPayment: null,
    xeroFee: null,
    status: 'incomplete',
    note,
  };
}

/** One page of a Xendit listing, newest first, continued by `after_id`. */
export interface XenditPage<T> {
  items: T[];
  hasMore: boolean;
  lastId?: string;
}

/**
 * A listing's pages, at most `maxPages` (one report's bound), or until `enough` says a page reached
 * past what the report needs (newest first: the rest is older still). `complete`: nothing the
 * report could need was left unread.
 */
export async function readPages<T>(
  page: (afterId: string | undefined) => Promise<XenditPage<T>>,
  maxPages: number,
  enough: (items: T[]) => boolean = () => false,
): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let afterId: string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const got = await page(afterId);
    items.push(...got.items);
    if (enough(got.items) || !got.hasMore) return { items, complete: true };
    // More, but nothing to continue after: what is left cannot be read.
    if (!got.lastId) return { items, complete: false };
    afterId = got.lastId;
  }
  return { items, complete: false };
}

/**
 * The UTC times to ask Xendit for a range of local dates: local dates run up to a day ahead of
 * UTC (and behind, by a day at most), so ask from a day earlier (`daysBefore` more) to two days
 * after its start of `to`; the caller keeps what falls on the range's local dates.
 */
export function utcWindow(range: { from: string; to: string }, daysBefore: number): { createdAfter: Date; createdBefore: Date } {
  const day = 86_400_000;
  return {
    createdAfter: new Date(Date.parse(`${range.from}T00:00:00Z`) - (1 + daysBefore) * day),
    createdBefore: new Date(Date.parse(`${range.to}T00:00:00Z`) + 2 * day),
  };
}

/**
 * readPages for each currency, each with its own cursor: Xendit's Transactions API lists one
 * currency at a time for an account that holds several (docs.xendit.co/apidocs/list-transactions).
 * A currency Xendit refuses to list (a 4xx: one the account was never opened for, say) is left
 * out and named in `refused`; the others are still read. Anything else (Xendit down) fails the report.
 */
export async function readPagesPerCurrency<T>(
  currencies: readonly Currency[],
  page: (currency: Currency, afterId: string | undefined) => Promise<XenditPage<T>>,
  maxPages: number,
): Promise<{ items: T[]; complete: boolean; refused: { currency: Currency; reason: string }[] }> {
  const items: T[] = [];
  const refused: { currency: Currency; reason: string }[] = [];
  let complete = true;
  for (const currency of currencies) {
    try {
      const got = await readPages((afterId) => page(currency, afterId), maxPages);
      items.push(...got.items);
      complete &&= got.complete;
    } catch (err) {
      if (!(err instanceof UpstreamError && err.kind === 'rejected')) throw err;
      refused.push({ currency, reason: err.message });
    }
  }
  return { items, complete, refused };
}

/**
 * What a per-currency listing left unknown, as incomplete rows: each currency Xendit refused, and
 * pages past one report's bound.
 */
export function unreadRows(
  range: { to: string },
  listed: { complete: boolean; refused: { currency: Currency; reason: string }[] },
  what: string,
  bound: number,
  /** The mode of the key whose account was listed. */
  mode?: XenditMode,
): ReportRow[] {
  const rows: ReportRow[] = listed.refused.map(({ currency, reason }) => ({
    ...incompleteRow(range, `Xendit would not list the ${currency} ${what} (${reason}): they are not compared`),
    currency,
  }));
  if (!listed.complete) rows.push(incompleteRow(range, `Xendit lists more ${what} than one report reads (${bound}): choose a shorter range`));
  return mode ? rows.map((r) => ({ ...r, xenditMode: mode })) : rows;
}

/**
 * Whether the lock date explains an entry dated `booked` for something that happened on `happened`:
 * it happened on or before the organisation's lock date and was booked after it (bookableDate). An
 * entry dated later for any other reason (booked by hand late) is not explained, and stays flagged.
 */
export function movedByLock(lockDate: string | null, happened: string, booked: string): boolean {
  return lockDate !== null && happened <= lockDate && booked > lockDate && booked > happened;
}

/**
 * Paid or refunded at Xendit in the range, booked in Xero on a later day (the range's days were
 * locked in Xero when it was booked: jobs/sync/org-date.ts bookableDate): shown, not counted; the
 * range that holds its Xero entry counts it on both sides.
 */
export function lockedOutRow(date: string, xenditInvoiceId: string | null, currency: string, xendit: bigint, what: string, bookedOn: string): ReportRow {
  return {
    date,
    xenditInvoiceId,
    currency,
    xenditAmount: format(xendit),
    xenditFee: null,
    xeroPayment: null,
    xeroFee: null,
    status: 'xendit_only',
    note: `${what}: booked in Xero on ${bookedOn}, after this period was locked; counted there`,
  };
}

/** An entry on a clearing account that is none of Xendit's. */
export function otherRow(date: string, currency: string, amount: string, note: string): ReportRow {
  return { date, xenditInvoiceId: null, currency, xenditAmount: null, xenditFee: null, xeroPayment: amount, xeroFee: null, status: 'not_from_xendit', note };
}
