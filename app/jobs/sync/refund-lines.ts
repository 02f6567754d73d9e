/**
 * The lines of the credit note for money that went back to the payer: they reverse the sale's tax
 * as the invoice charged it, so the merchant does not keep paying output tax (PPN, VAT, SST) on a
 * sale that was refunded. Without tax detail on the invoice, one tax-free line on the sales
 * account. With it, one tax-inclusive line per account and tax type of the invoice, the amount
 * shared among them in proportion to what each charged, tax included (a full refund is then the
 * sale's own split); Xero takes each line's tax out of it (LineAmountTypes Inclusive), and the
 * lines add up to the amount exactly (the last takes the remainder of the rounding).
 */
import type { XeroInvoice } from '../../clients/xero/types.js';
import { exponentOf, toDecimal, type Currency } from '../../money.js';

export interface CreditNoteLines {
  lineAmountTypes: 'NoTax' | 'Inclusive';
  lineItems: { description: string; accountCode: string; amount: string; taxType?: string }[];
}

export function refundLines(
  invoice: Pick<XeroInvoice, 'lineAmountTypes' | 'lineItems'>,
  amount: number /* minor units */,
  currency: Currency,
  o: { description: string; salesAccountCode: string },
): CreditNoteLines {
  const untaxed: CreditNoteLines = {
    lineAmountTypes: 'NoTax',
    lineItems: [{ description: o.description, accountCode: o.salesAccountCode, amount: toDecimal(amount, currency) }],
  };
  const groups = taxGroups(invoice);
  if (!groups) return untaxed;
  const whole = groups.reduce((s, g) => s + g.charged, 0n);
  // Never more tax back than the invoice charged: what was paid beyond it (an overpayment) carries none.
  const wholeMinor = whole / 10n ** BigInt(2 - exponentOf(currency));
  const taxed = BigInt(amount) < wholeMinor ? BigInt(amount) : wholeMinor;
  const lines: CreditNoteLines['lineItems'] = [];
  let left = taxed;
  groups.forEach((g, i) => {
    const share = i === groups.length - 1 ? left : (taxed * g.charged) / whole;
    left -= share;
    if (share > 0n) lines.push({ description: o.description, accountCode: g.accountCode, taxType: g.taxType, amount: toDecimal(Number(share), currency) });
  });
  const beyond = BigInt(amount) - taxed;
  if (beyond > 0n) lines.push({ description: o.description, accountCode: o.salesAccountCode, taxType: 'NONE', amount: toDecimal(Number(beyond), currency) });
  return { lineAmountTypes: 'Inclusive', lineItems: lines };
}

/** What the invoice charged per account and tax type, tax included, in hundredths; undefined when it cannot be told or carries no tax. */
function taxGroups(invoice: Pick<XeroInvoice, 'lineAmountTypes' | 'lineItems'>) {
  const exclusive = invoice.lineAmountTypes === 'Exclusive';
  if (!exclusive && invoice.lineAmountTypes !== 'Inclusive') return undefined;
  if (!invoice.lineItems.length) return undefined;
  const read = invoice.lineItems.map((li) => ({
    li,
    amount: hundredths(li.lineAmount),
    tax: li.taxAmount === undefined ? undefined : hundredths(li.taxAmount),
  }));
  // A line without its account, or a figure that cannot be read exactly: no split is trusted.
  if (read.some((r) => !r.li.accountCode || r.amount === undefined || r.tax === undefined)) return undefined;
  if (!read.some((r) => r.tax !== 0n)) return undefined;
  const byKey = new Map<string, { accountCode: string; taxType: string; charged: bigint }>();
  for (const { li, amount, tax } of read) {
    const taxType = li.taxType || 'NONE';
    const key = `${li.accountCode}\u0000${taxType}`;
    const g = byKey.get(key) ?? byKey.set(key, { accountCode: li.accountCode!, taxType, charged: 0n }).get(key)!;
    g.charged += amount! + (exclusive ? tax! : 0n);
  }
  const groups = [...byKey.values()];
  // Discount lines can leave a group at or below zero: no proportion to share by, so no tax detail.
  return groups.every((g) => g.charged > 0n) ? groups : undefined;
}

/** "1234.5" → 123450n; undefined for anything but a plain decimal of at most two places (Xero's amounts). */
function hundredths(decimal: string): bigint | undefined {
  const m = /^(-)?(\d+)(?:\.(\d{1,2}))?$/.exec(decimal.trim());
  if (!m) return undefined;
  const v = BigInt(m[2] + (m[3] ?? '').padEnd(2, '0'));
  return m[1] ? -v : v;
}
