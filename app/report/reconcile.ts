/**
 * Reconciliation: what Xendit says it collected for a merchant over a date range, against what the
 * clearing account in Xero holds, row by row. Amounts are compared in hundredths (Xero's two
 * decimals), never as floats.
 */
import type { XenditGateway, XenditInvoice, XeroBankTransaction, XeroGateway, XeroPayment } from '../clients/types.js';
import type { Merchant } from '../store/merchants.js';
import { toDecimal } from '../money.js';
import { localDate } from '../sync/record-payment.js';

export type RowStatus = 'matched' | 'missing_in_xero' | 'missing_at_xendit' | 'amount_differs' | 'fee_missing' | 'fee_differs' | 'not_from_xendit';

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
}

export interface Report {
  merchant: { id: string; name: string };
  from: string;
  to: string;
  rows: ReportRow[];
  /** Xendit: paid minus fees. Xero: net movement of the clearing account from Xendit-referenced entries. */
  totals: { xenditNet: string; xeroNet: string; difference: string; otherMovement: string };
  reconciled: boolean;
}

export interface ReportDeps {
  xero: XeroGateway;
  xendit: XenditGateway;
}

const PAYMENT_REF = /^Xendit (\S+)$/;
const FEE_REF = /^Xendit fee (\S+)$/;
const DAY_MS = 86_400_000;

export async function reconciliationReport(deps: ReportDeps, merchant: Merchant, range: { from: string; to: string }): Promise<Report> {
  const inRange = (date: string | undefined) => date !== undefined && date >= range.from && date <= range.to;
  // Local dates in Xendit's markets run up to a day ahead of UTC: ask a day wider, filter by local date.
  const paid = await deps.xendit.listPaidInvoices(merchant.xenditSecretKey, {
    paidAfter: new Date(Date.parse(`${range.from}T00:00:00Z`) - DAY_MS),
    paidBefore: new Date(Date.parse(`${range.to}T00:00:00Z`) + 2 * DAY_MS),
  });
  const xendit = new Map<string, XenditInvoice>();
  for (const inv of paid) if (inRange(xenditDate(inv))) xendit.set(inv.id, inv);

  const payments = (await deps.xero.listPaymentsToAccount(merchant.xero, merchant.clearingAccountId)).filter((p) => inRange(p.date));
  const txns = (await deps.xero.listBankTransactionsOfAccount(merchant.xero, merchant.clearingAccountId)).filter((t) => inRange(t.date));

  const byId = new Map<string, { payments: XeroPayment[]; fees: XeroBankTransaction[] }>();
  const entry = (id: string) => byId.get(id) ?? byId.set(id, { payments: [], fees: [] }).get(id)!;
  const rows: ReportRow[] = [];
  let other = 0n;
  for (const p of payments) {
    const m = PAYMENT_REF.exec(p.reference);
    if (m) entry(m[1]).payments.push(p);
    else {
      other += hundredths(p.amount);
      rows.push(otherRow(p.date!, format(hundredths(p.amount)), `payment "${p.reference}" into the clearing account`));
    }
  }
  for (const t of txns) {
    const m = FEE_REF.exec(t.reference);
    if (m && t.type === 'SPEND') entry(m[1]).fees.push(t);
    else {
      const signed = t.type === 'RECEIVE' ? hundredths(t.total) : -hundredths(t.total);
      other += signed;
      rows.push(otherRow(t.date!, format(signed), `${t.type} "${t.reference}" on the clearing account`));
    }
  }

  // A Xero entry for an invoice Xendit paid outside the range is not "missing at Xendit": look it up.
  for (const id of byId.keys()) {
    if (xendit.has(id)) continue;
    const inv = await deps.xendit.getInvoice(merchant.xenditSecretKey, id);
    if (inv && (inv.status === 'PAID' || inv.status === 'SETTLED')) xendit.set(id, inv);
  }

  let xenditNet = 0n;
  let xeroNet = 0n;
  for (const id of new Set([...xendit.keys(), ...byId.keys()])) {
    const row = compare(id, xendit.get(id), byId.get(id) ?? { payments: [], fees: [] });
    rows.push(row.row);
    xenditNet += row.xenditNet;
    xeroNet += row.xeroNet;
  }
  rows.sort((a, b) => (a.date === b.date ? (a.xenditInvoiceId ?? '').localeCompare(b.xenditInvoiceId ?? '') : a.date.localeCompare(b.date)));
  const difference = xenditNet - xeroNet;
  return {
    merchant: { id: merchant.id, name: merchant.name },
    from: range.from,
    to: range.to,
    rows,
    totals: { xenditNet: format(xenditNet), xeroNet: format(xeroNet), difference: format(difference), otherMovement: format(other) },
    reconciled: difference === 0n && rows.every((r) => r.status === 'matched'),
  };
}

function compare(id: string, inv: XenditInvoice | undefined, x: { payments: XeroPayment[]; fees: XeroBankTransaction[] }) {
  const xeroPaid = x.payments.length ? x.payments.reduce((s, p) => s + hundredths(p.amount), 0n) : null;
  const xeroFee = x.fees.length ? x.fees.reduce((s, t) => s + hundredths(t.total), 0n) : null;
  const xeroNet = (xeroPaid ?? 0n) - (xeroFee ?? 0n);
  const date = (inv ? xenditDate(inv) : undefined) ?? x.payments[0]?.date ?? x.fees[0]?.date ?? '';
  const base = { date, xenditInvoiceId: id, xeroPayment: xeroPaid === null ? null : format(xeroPaid), xeroFee: xeroFee === null ? null : format(xeroFee) };
  if (!inv) {
    return { xenditNet: 0n, xeroNet, row: { ...base, currency: '', xenditAmount: null, xenditFee: null, status: 'missing_at_xendit' as const, note: 'no paid Xendit invoice with this id' } };
  }
  const amount = hundredths(toDecimal(inv.paidAmount ?? inv.amount, inv.currency));
  const fee = hundredths(toDecimal(inv.feesPaidAmount ?? 0, inv.currency));
  const row = { ...base, currency: inv.currency, xenditAmount: format(amount), xenditFee: format(fee) };
  const result = (status: RowStatus, note: string) => ({ xenditNet: amount - fee, xeroNet, row: { ...row, status, note } });
  if (xeroPaid === null) return result('missing_in_xero', fee > 0n && xeroFee !== null ? 'fee posted but no payment' : 'no payment in Xero');
  if (xeroPaid !== amount) return result('amount_differs', `Xendit ${format(amount)}, Xero ${format(xeroPaid)} (${format(amount - xeroPaid)} unrecorded)`);
  if (fee > 0n && xeroFee === null) return result('fee_missing', `fee ${format(fee)} not posted`);
  if ((xeroFee ?? 0n) !== fee) return result('fee_differs', `Xendit fee ${format(fee)}, Xero ${format(xeroFee ?? 0n)}`);
  return result('matched', '');
}

function otherRow(date: string, amount: string, note: string): ReportRow {
  return { date, xenditInvoiceId: null, currency: '', xenditAmount: null, xenditFee: null, xeroPayment: amount, xeroFee: null, status: 'not_from_xendit', note };
}

function xenditDate(inv: XenditInvoice): string | undefined {
  return inv.paidAt ? localDate(new Date(inv.paidAt), inv.currency) : undefined;
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

const COLUMNS: (keyof ReportRow)[] = ['date', 'xenditInvoiceId', 'currency', 'xenditAmount', 'xenditFee', 'xeroPayment', 'xeroFee', 'status', 'note'];
const HEADER = ['date', 'xendit_invoice_id', 'currency', 'xendit_amount', 'xendit_fee', 'xero_payment', 'xero_fee', 'status', 'note'];

/** RFC 4180; cells that a spreadsheet would run as a formula are prefixed with a quote. */
export function toCsv(report: Report): string {
  const cell = (v: string | null) => {
    let s = v ?? '';
    if (/^[=+\-@\t\r]/.test(s) && !/^-\d/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [HEADER.join(','), ...report.rows.map((r) => COLUMNS.map((c) => cell(r[c] as string | null)).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export function toText(report: Report): string {
  const table = [HEADER, ...report.rows.map((r) => COLUMNS.map((c) => (r[c] as string | null) ?? '-'))];
  const widths = HEADER.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const lines = table.map((row) => row.map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd());
  const t = report.totals;
  return [
    `Reconciliation for ${report.merchant.name}, ${report.from} to ${report.to}`,
    ...(report.rows.length ? lines : ['No Xendit payments and no clearing account activity in this range.']),
    `Xendit net (paid - fees): ${t.xenditNet}`,
    `Xero clearing account, Xendit entries: ${t.xeroNet}`,
    `Difference: ${t.difference}${t.otherMovement !== '0.00' ? `  (other clearing account movement: ${t.otherMovement})` : ''}`,
    report.reconciled ? 'RECONCILED' : 'NOT RECONCILED: see the flagged rows',
  ].join('\n');
}
