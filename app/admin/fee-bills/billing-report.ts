/**
 * Xendit's Billing Report (docs.xendit.co "Billing report"): the CSV behind the monthly Xendit
 * invoice of a merchant whose fees are billed, not deducted. One row per billed transaction, with
 * billed_at (the merchant's country time), the fee (fees_paid_amount) and the VAT on it
 * (vat_paid_amount) in the settlement currency (net_currency; transaction_currency when absent).
 * Read as a careless upload may come: a BOM, CRLF, quoted cells, columns in any order or case, extra
 * columns. Amounts are decimal strings and are summed exactly in minor units; a refund's fee given
 * back may be negative. Anything unreadable is named with its line, and nothing is summed then.
 */
import { AmountError, isSupportedCurrency, toMinor, type Currency } from '../../money.js';
import { message, type Message } from '../../i18n/index.js';
import { csvTable, fewProblems } from '../csv.js';
import { DATE_OUT_OF_RANGE, dayRefusal, parseDay } from '../dates.js';

export interface BillTotal {
  /** YYYY-MM, the billing month. */
  period: string;
  currency: Currency;
  rows: number;
  fees: number; // minor units
  vat: number; // minor units
}

export type ParsedReport = { totals: BillTotal[] } | { problems: Message[] };

/**
 * A busy merchant's month of transactions (a real 8 MB report, the upload limit, holds about 440 000);
 * more is split into several uploads.
 */
export const MAX_BILLING_ROWS = 500_000;

export function parseBillingReport(text: string): ParsedReport {
  const table = csvTable(text, { maxRows: MAX_BILLING_ROWS, tooMany: message('errors:feeReportTooLong', { max: MAX_BILLING_ROWS }) });
  if ('problem' in table) return { problems: [table.problem] };
  const { col, body } = table;
  const billedAt = col('billed_at');
  const fees = col('fees_paid_amount');
  const vat = col('vat_paid_amount');
  const currencyCol = col('net_currency') >= 0 ? col('net_currency') : col('transaction_currency');
  const missing = [
    ['billed_at', billedAt],
    ['fees_paid_amount', fees],
    ['vat_paid_amount', vat],
    ['net_currency', currencyCol],
  ].filter(([, i]) => i === -1);
  if (missing.length) return { problems: [message('errors:feeReportColumns', { columns: missing.map(([n]) => n).join(', ') })] };
  if (!body.length) return { problems: [message('errors:feeReportNoRows')] };

  const problems: Message[] = [];
  // Summed in bigint: a month's running sum may pass Number's exact range and come back (fees given back).
  const sums = new Map<string, Omit<BillTotal, 'fees' | 'vat'> & { fees: bigint; vat: bigint }>();
  body.forEach(({ cells, line }) => {
    const at = (cells[billedAt] ?? '').trim();
    const currency = (cells[currencyCol] ?? '').trim().toUpperCase();
    // The admin's date rule, a real day from 2000 to 2099: far-off years are nobody's fees, and the bill's
    // dates are made with Date.UTC, which reads years 0-99 as 1900-1999.
    const day = /^\d{4}-\d{2}-\d{2}/.exec(at)?.[0];
    if (!day || !parseDay(day)) {
      const key = day && dayRefusal(day) === DATE_OUT_OF_RANGE ? 'errors:feeReportDateRange' : 'errors:feeReportDate';
      return void problems.push(message(key, { line, value: at.slice(0, 40) }));
    }
    if (!isSupportedCurrency(currency)) return void problems.push(message('errors:feeReportCurrency', { line, value: currency.slice(0, 10) }));
    const fee = amount(cells[fees], currency);
    const tax = amount(cells[vat], currency);
    if (fee === undefined || tax === undefined) return void problems.push(message('errors:feeReportAmount', { line, currency }));
    const period = day.slice(0, 7);
    const key = `${period} ${currency}`;
    const t = sums.get(key) ?? sums.set(key, { period, currency, rows: 0, fees: 0n, vat: 0n }).get(key)!;
    t.rows += 1;
    t.fees += BigInt(fee);
    t.vat += BigInt(tax);
  });
  const totals: BillTotal[] = [];
  for (const t of sums.values()) {
    // The bill's total (fees + VAT) is booked and audited as well: it must be exact too.
    if (![t.fees, t.vat, t.fees + t.vat].every(exact)) problems.push(message('errors:feeReportTooLarge', { month: `${t.period} ${t.currency}` }));
    else totals.push({ ...t, fees: Number(t.fees), vat: Number(t.vat) });
  }
  if (problems.length) return { problems: fewProblems(problems) };
  return { totals: totals.sort((a, b) => (a.period + a.currency).localeCompare(b.period + b.currency)) };
}

const exact = (minor: bigint) => minor >= -BigInt(Number.MAX_SAFE_INTEGER) && minor <= BigInt(Number.MAX_SAFE_INTEGER);

/** A decimal string in the currency's minor units; empty is 0; a leading minus allowed. */
function amount(cell: string | undefined, currency: Currency): number | undefined {
  const text = (cell ?? '').trim();
  if (text === '') return 0;
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  if (!/^\d+(\.\d+)?$/.test(digits)) return undefined;
  try {
    const minor = toMinor(digits, currency);
    return negative ? -minor : minor;
  } catch (err) {
    if (err instanceof AmountError) return undefined;
    throw err;
  }
}
