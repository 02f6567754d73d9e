/**
 * The Billing Report of an account whose fees Xendit bills monthly (docs.xendit.co "Billing
 * report"): one row per payment whose fee was charged in the month, and a payment's fee is charged
 * when it settles ("Payments: Fee is charged when the transaction is settled"). billed_at is in the
 * merchant's country time ("Indonesian merchants will have GMT+7 while Philippines merchants will
 * have GMT+8"); the columns are the documented ones, amounts as decimal strings.
 */
import { toDecimal, type Currency } from '../../money.js';
import type { Ctx, SimXenditInvoice } from './state.js';
import { paymentTransactionId } from './transactions.js';

/** Hours ahead of UTC of the country each currency's merchants are in. */
const COUNTRY_OFFSET: Record<Currency, number> = { IDR: 7, PHP: 8, THB: 7, VND: 7, MYR: 8, USD: 7 };

const COLUMNS = [
  'transaction_id',
  'reference',
  'transaction_type',
  'transaction_channel',
  'transaction_label',
  'is_switcher',
  'calculation_method',
  'business_id',
  'billed_at',
  'fee_pricing_currency',
  'net_currency',
  'gross_amount',
  'transaction_currency',
  'transaction_amount',
  'fees_paid_amount',
  'vat_paid_amount',
];

const localTime = (at: Date, currency: Currency) => new Date(at.getTime() + COUNTRY_OFFSET[currency] * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

function billed(ctx: Ctx, userId: string): SimXenditInvoice[] {
  return [...ctx.state.invoices.values()].filter((i) => i.userId === userId && i.status === 'SETTLED' && i.settledAt);
}

/** The months (YYYY-MM, the country's time) an account has fees billed in, newest first. */
export function billedMonths(ctx: Ctx, userId: string): string[] {
  return [...new Set(billed(ctx, userId).map((i) => localTime(i.settledAt!, i.currency).slice(0, 7)))].sort().reverse();
}

export function billingReportCsv(ctx: Ctx, userId: string, month: string): string {
  const rows = billed(ctx, userId)
    .filter((i) => localTime(i.settledAt!, i.currency).startsWith(month))
    .map((i) =>
      [
        paymentTransactionId(i.id),
        i.externalId,
        'VA_PAYMENT',
        i.paymentChannel ?? 'BCA',
        '',
        'false',
        '',
        i.userId,
        localTime(i.settledAt!, i.currency),
        i.currency,
        i.currency,
        toDecimal(i.paidAmount ?? i.amount, i.currency),
        i.currency,
        toDecimal(i.paidAmount ?? i.amount, i.currency),
        toDecimal(i.feesPaidAmount ?? 0, i.currency),
        toDecimal(i.feeTax ?? 0, i.currency),
      ]
        .map(cell)
        .join(','),
    );
  return [COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}
