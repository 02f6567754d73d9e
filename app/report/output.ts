/**
 * The reconciliation report as the operator reads it: CSV (RFC 4180, every cell neutralised against
 * spreadsheet formulas) for the admin and the CLI, and plain text for the CLI.
 */
import type { Report, ReportRow } from './reconcile.js';

/** xendit_mode: test or live, the Xendit account a row's Xendit side is in (empty when it has none). */
const COLUMNS: (keyof ReportRow)[] = [
  'date',
  'xenditInvoiceId',
  'currency',
  'xenditAmount',
  'xenditFee',
  'xeroPayment',
  'xeroFee',
  'status',
  'xenditMode',
  'note',
];
const HEADER = ['date', 'xendit_invoice_id', 'currency', 'xendit_amount', 'xendit_fee', 'xero_payment', 'xero_fee', 'status', 'xendit_mode', 'note'];

/**
 * What a spreadsheet may evaluate: a leading = + - @ (their full-width forms too), tab or CR.
 * Only a cell that is a plain number is left alone, so a negative amount stays a number while
 * `-1+HYPERLINK(...)` does not pass for one.
 */
const FORMULA_START = /^[=+\-@\t\r\n\uff1d\uff0b\uff0d\uff20]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?$/;

/** A cell's text as a spreadsheet will take it: anything it could run is prefixed with a quote. */
export function neutralisedCell(v: string | null): string {
  const s = v ?? '';
  return FORMULA_START.test(s) && !PLAIN_NUMBER.test(s) ? `'${s}` : s;
}

/** One RFC 4180 cell, neutralised. */
export function csvCell(v: string | null): string {
  const s = neutralisedCell(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** RFC 4180 lines (CRLF), every cell neutralised. */
export function csvLines(rows: (string | null)[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** The CSV's header, and a row's cells in its order (the admin's CSV adds columns to both). */
export const REPORT_CSV_HEADER: readonly string[] = HEADER;
export const reportCsvCells = (r: ReportRow): (string | null)[] => COLUMNS.map((c) => (r[c] as string | null | undefined) ?? null);

/** RFC 4180, every cell neutralised. */
export function toCsv(report: Report): string {
  return csvLines([HEADER, ...report.rows.map(reportCsvCells)]);
}

export function toText(report: Report): string {
  const table = [HEADER, ...report.rows.map((r) => COLUMNS.map((c) => (r[c] as string | null | undefined) ?? '-'))];
  const widths = HEADER.map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const lines = table.map((row) =>
    row
      .map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
  const totals = Object.entries(report.totals).map(
    ([currency, t]) =>
      `${currency || '(no currency)'}: Xendit net (paid - fees) ${t.xenditNet}, Xero clearing Xendit entries ${t.xeroNet}, difference ${t.difference}` +
      (t.otherMovement !== '0.00' ? `, other clearing movement ${t.otherMovement}` : ''),
  );
  return [
    `Reconciliation for ${report.merchant.name}, ${report.from} to ${report.to}`,
    ...(report.rows.length ? lines : ['No Xendit payments and no clearing account activity in this range.']),
    ...totals,
    report.reconciled ? 'RECONCILED' : 'NOT RECONCILED: see the flagged rows',
  ].join('\n');
}
