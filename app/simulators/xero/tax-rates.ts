/**
 * The simulated Xero's tax rates (GET /TaxRates) and the tax it takes out of tax-inclusive lines.
 * Rates are kept exact: percent in ten-thousandths (Xero gives rates to 4 decimals), amounts in
 * hundredths; no arithmetic on floats.
 */

export interface SimTaxRate {
  taxType: string;
  name: string;
  /** Percent × 10 000: 11 % is 110_000n. */
  rate: bigint;
  status: 'ACTIVE' | 'ARCHIVED' | 'DELETED';
  canApplyToRevenue: boolean;
  canApplyToExpenses: boolean;
  reportTaxType: string;
}

const HUNDRED_PERCENT = 1_000_000n;

const rate = (taxType: string, name: string, percent: bigint, use: 'sales' | 'purchases' | 'both', status: SimTaxRate['status'] = 'ACTIVE'): SimTaxRate => ({
  taxType,
  name,
  rate: percent * 10_000n,
  status,
  canApplyToRevenue: use !== 'purchases',
  canApplyToExpenses: use !== 'sales',
  reportTaxType: taxType === 'NONE' ? 'NONE' : use === 'purchases' ? 'INPUT' : taxType === 'EXEMPTOUTPUT' ? 'EXEMPTOUTPUT' : 'OUTPUT',
});

/** Sales tax of each market the gateway serves (VAT/PPN/SST), by the organisation's base currency. */
const OUTPUT_TAX: Record<string, [name: string, percent: bigint]> = {
  IDR: ['PPN 11%', 11n],
  PHP: ['VAT 12%', 12n],
  THB: ['VAT 7%', 7n],
  VND: ['VAT 10%', 10n],
  MYR: ['Service Tax 8%', 8n],
};

/**
 * A few rates per organisation: No Tax, the market's output tax on sales, an exempt rate, its input
 * tax (purchases only) and an archived rate, so lists can be seen to filter.
 */
export function demoTaxRates(baseCurrency: string): SimTaxRate[] {
  const [name, percent] = OUTPUT_TAX[baseCurrency] ?? ['Tax on Sales 10%', 10n];
  return [
    rate('NONE', 'No Tax', 0n, 'both'),
    rate('OUTPUT', name, percent, 'sales'),
    rate('EXEMPTOUTPUT', 'Exempt Sales', 0n, 'sales'),
    rate('INPUT', `${name} (purchases)`, percent, 'purchases'),
    rate('TAX001', `${name} (old)`, percent - 1n, 'sales', 'ARCHIVED'),
  ];
}

/**
 * The rate a line of this invoice type may carry; undefined when the code is unknown, not active
 * or not for this side (sales: revenue, bills: expenses), as Xero refuses those.
 */
export function usableTaxRate(rates: SimTaxRate[], taxType: string, invoiceType: 'ACCREC' | 'ACCPAY'): SimTaxRate | undefined {
  const r = rates.find((x) => x.taxType === taxType);
  if (!r || r.status !== 'ACTIVE') return undefined;
  return (invoiceType === 'ACCREC' ? r.canApplyToRevenue : r.canApplyToExpenses) ? r : undefined;
}

/** Xero's words when a line's TaxType cannot be used. */
export function unusableTaxTypeMessage(taxType: string): string {
  return `The TaxType code '${taxType}' does not exist or cannot be used for this type of transaction.`;
}

/**
 * The tax inside a tax-inclusive line amount (hundredths): amount × rate / (100 + rate), rounded to
 * the cent half away from zero, as Xero rounds each line.
 */
export function inclusiveTax(lineAmount: bigint, r: SimTaxRate): bigint {
  const n = lineAmount * r.rate;
  const d = HUNDRED_PERCENT + r.rate;
  const sign = n < 0n ? -1n : 1n;
  const abs = n < 0n ? -n : n;
  return sign * ((abs * 2n + d) / (2n * d));
}

/** The tax on a tax-exclusive line amount (hundredths): amount × rate / 100, rounded half away from zero per line. */
export function exclusiveTax(lineAmount: bigint, r: SimTaxRate): bigint {
  const n = lineAmount * r.rate;
  const sign = n < 0n ? -1n : 1n;
  const abs = n < 0n ? -n : n;
  return sign * ((abs * 2n + HUNDRED_PERCENT) / (2n * HUNDRED_PERCENT));
}

export function taxRateJson(r: SimTaxRate): Record<string, unknown> {
  const percent = Number(formatRate(r.rate));
  return {
    Name: r.name,
    TaxType: r.taxType,
    ReportTaxType: r.reportTaxType,
    CanApplyToAssets: true,
    CanApplyToEquity: true,
    CanApplyToExpenses: r.canApplyToExpenses,
    CanApplyToLiabilities: true,
    CanApplyToRevenue: r.canApplyToRevenue,
    DisplayTaxRate: percent,
    EffectiveRate: percent,
    Status: r.status,
    TaxComponents: [{ Name: r.name, Rate: percent, IsCompound: false, IsNonRecoverable: false }],
  };
}

/** 110_000n → "11.0000", the 4 decimals Xero gives rates with. */
function formatRate(v: bigint): string {
  const digits = v.toString().padStart(5, '0');
  return `${digits.slice(0, -4)}.${digits.slice(-4)}`;
}
