/**
 * Refunds Xendit made that are not in Xero: the report's rows come from the clearing account, so a
 * refund stuck before its cash refund (needs review, Xero unreachable, a job not run yet) would
 * otherwise be invisible there while Xendit's balance already lost it. Xendit's refunds of the
 * range (GET /refunds, every invoice of the account, in an order Xendit does not document: judged
 * from the pages read, list-order.ts) that succeeded and whose cash
 * refund (Reference `Xendit refund <id>`) the report did not meet become `missing_in_xero` rows.
 * Xendit lists no disputes (the gateway learns of them by webhook): a lost chargeback not in Xero
 * shows in the balances instead. A refund for which Xendit states a refund fee has an `xendit_only`
 * row for it (refundFeeRow). The refunds the report did meet in Xero are held against Xendit's word
 * by refundRow.
 */
import type { XenditRefund } from '../clients/xendit/types.js';
import type { XeroAccountPayment } from '../clients/xero/types.js';
import { toDecimal, type Currency } from '../money.js';
import { dateIn, zoneFor } from '../jobs/sync/org-date.js';
import { listOrder } from '../jobs/sync/list-order.js';
import { format, hundredths, incompleteRow, lockedOutRow, movedByLock, readPages, utcWindow, type ReportDeps, type ReportRow } from './rows.js';
import { inAccount, refusedByRow, type ReportKey, type XenditAccounts } from './xendit-accounts.js';

/** Bounds one report's reading of Xendit's refunds (100 a page). */
const MAX_PAGES = 20;

export async function missingRefundRows(
  deps: ReportDeps,
  /** Each account the report reads is listed with the same bounds (its own order judged from its own pages). */
  accounts: XenditAccounts,
  range: { from: string; to: string },
  timezone: string | null | undefined,
  /** Refund ids whose cash refund the report found in Xero. */
  booked: Set<string>,
  /** Refund ids whose cash refund Xero holds dated after the range (locked when booked), with that date. */
  bookedLater: Map<string, string> = new Map(),
  /** The organisation's lock date as last read: only a later date it explains is not flagged. */
  lockDate: string | null = null,
): Promise<{ rows: ReportRow[]; sums: Map<string, bigint>; succeeded: ListedRefund[] }> {
  const { createdAfter: earliest, createdBefore: latest } = utcWindow(range, 0);
  const perKey = await accounts.each('refunds', (key) => {
    const read: XenditRefund[] = [];
    return readPages(
      async (afterId) => {
        const got = await deps.xendit.listRefunds(key.key, { limit: 100, ...(afterId ? { afterId } : {}) });
        return { ...got, items: got.refunds };
      },
      MAX_PAGES,
      (page) => {
        read.push(...page);
        const order = listOrder(read);
        // Newest first: once a page reaches before the range, later pages are older still. Oldest
        // first: once one reaches past the range, later pages are newer still. Not known yet: read on.
        if (order === 'newest_first') return page.some((r) => r.created !== undefined && new Date(r.created) < earliest);
        if (order === 'oldest_first') return page.some((r) => r.created !== undefined && new Date(r.created) >= latest);
        return false;
      },
    );
  });
  const rows: ReportRow[] = [];
  const sums = new Map<string, bigint>();
  const succeeded: ListedRefund[] = [];
  for (const { key, r } of perKey.flatMap(({ key, value }) => value.items.map((r) => ({ key, r })))) {
    accounts.seen(r.id, key);
    if (!r.created || r.status !== 'SUCCEEDED') continue;
    const date = dateIn(new Date(r.created), zoneFor(timezone, r.currency));
    // A refund that names no invoice (invoice_id is "To be deprecated", docs.xendit.co "Refund a
    // payment request") left the balance all the same: it is compared, without an invoice.
    const invoiceId = r.invoiceId ?? null;
    if (r.invoiceId) succeeded.push({ refund: { ...r, invoiceId: r.invoiceId }, date });
    if (date < range.from || date > range.to) continue;
    if (r.refundFee) rows.push(inAccount(refundFeeRow(date, invoiceId, r.id, r.currency, r.refundFee), key));
    if (booked.has(r.id)) continue;
    const later = bookedLater.get(r.id);
    if (later && movedByLock(lockDate, date, later)) {
      rows.push(inAccount(lockedOutRow(date, invoiceId, r.currency, -hundredths(toDecimal(r.amount, r.currency)), `Xendit refund ${r.id}`, later), key));
      continue;
    }
    const amount = -hundredths(toDecimal(r.amount, r.currency));
    sums.set(r.currency, (sums.get(r.currency) ?? 0n) + amount);
    rows.push({
      xenditMode: key.mode,
      date,
      xenditInvoiceId: invoiceId,
      currency: r.currency,
      xenditAmount: format(amount),
      xenditFee: null,
      xeroPayment: null,
      xeroFee: null,
      status: 'missing_in_xero',
      note: `Xendit refund ${r.id}: no credit note and cash refund in Xero yet`,
    });
  }
  // Newest first whatever Xendit's order: unbookedFeeReturnRows takes an invoice's first as its latest.
  succeeded.sort((a, b) => Date.parse(b.refund.created!) - Date.parse(a.refund.created!));
  // Pages left unread: a refund missing in Xero could be among them, so the range is not called reconciled.
  for (const { key, value } of perKey) {
    if (value.complete) continue;
    rows.push(inAccount(incompleteRow(range, `Xendit lists more refunds than one report reads (${MAX_PAGES * 100}): choose a shorter range`), key));
  }
  return { rows, sums, succeeded };
}

/** A succeeded refund of an invoice as listed (sorted newest first, reaching past the range), with its local date. */
export interface ListedRefund {
  refund: XenditRefund & { invoiceId: string };
  date: string;
}

/**
 * Xendit's refund_fee_amount ("Fee for processing the refund", Refund object; null in every
 * example) is not booked: whether it is taken from the balance on top of the refund, or is the fee
 * given back, the docs do not say. Shown, like a movement the gateway does not book, as a reason
 * the balances may differ, not held against the report.
 */
function refundFeeRow(date: string, invoiceId: string | null, refundId: string, currency: Currency, fee: number): ReportRow {
  return {
    date,
    xenditInvoiceId: invoiceId,
    currency,
    xenditAmount: null,
    xenditFee: format(hundredths(toDecimal(fee, currency))),
    xeroPayment: null,
    xeroFee: null,
    status: 'xendit_only',
    note: `Xendit refund ${refundId}: a refund fee of ${toDecimal(fee, currency)} ${currency} (refund_fee_amount) is not booked by the gateway`,
  };
}

/**
 * What the gateway paid out for refund (or lost dispute) `id` (the cash refund of its credit note,
 * and the refund of the payment's overpayment), next to what Xendit says of it: a SUCCEEDED refund,
 * or a LOST dispute at its final amount.
 */
export async function refundRow(
  deps: ReportDeps,
  accounts: XenditAccounts,
  kind: 'refund' | 'chargeback',
  id: string,
  parts: XeroAccountPayment[],
  currency: string,
) {
  const xero = -parts.reduce((s, p) => s + hundredths(p.amount), 0n);
  const p = parts.reduce((first, q) => ((q.date ?? '') < (first.date ?? '') ? q : first));
  const taken = await takenBack(deps, accounts, kind, id);
  const base = { date: p.date ?? '', xenditInvoiceId: taken.invoiceId ?? null, currency, xenditFee: null, xeroPayment: format(xero), xeroFee: null };
  if (!taken.amount) {
    const row = inAccount({ ...base, xenditAmount: null, status: 'missing_at_xendit' as const, note: taken.note }, taken.key);
    return { row: taken.refused?.length ? refusedByRow(row, taken.refused) : row, xendit: 0n, xero };
  }
  const xendit = -hundredths(toDecimal(taken.amount.minor, taken.amount.currency));
  const status = xendit === xero ? ('refunded' as const) : ('amount_differs' as const);
  return { row: inAccount({ ...base, xenditAmount: format(xendit), status, note: `${kind} ${id}` }, taken.key), xendit, xero };
}

/** Read in each account in turn (a refund or dispute is in its payment's): `refused`, the keys Xendit refused when none had it. */
async function takenBack(
  deps: ReportDeps,
  accounts: XenditAccounts,
  kind: 'refund' | 'chargeback',
  id: string,
): Promise<{ amount?: { minor: number; currency: Currency }; invoiceId?: string; note: string; key?: ReportKey; refused?: ReportKey[] }> {
  if (kind === 'chargeback') {
    const found = await accounts.find('disputes', (key) => deps.xendit.getDispute(key, id));
    if (found.value === null) return { note: `Xendit has no dispute ${id}`, refused: found.refused };
    const d = found.value;
    if (d.status !== 'LOST') return { note: `Xendit dispute ${id} is ${d.status}, yet charged back in Xero`, key: found.key };
    return { amount: { minor: d.finalAmount ?? d.amount, currency: d.currency }, note: '', key: found.key };
  }
  const found = await accounts.find('refunds', (key) => deps.xendit.getRefund(key, id));
  if (found.value === null) return { note: `Xendit has no refund ${id}`, refused: found.refused };
  const r = found.value;
  if (r.status !== 'SUCCEEDED') return { note: `Xendit refund ${id} is ${r.status}, yet refunded in Xero`, key: found.key };
  return { amount: { minor: r.amount, currency: r.currency }, ...(r.invoiceId ? { invoiceId: r.invoiceId } : {}), note: '', key: found.key };
}
