/**
 * Xero fills [CURRENCY] and [AMOUNTDUE] into the Custom Payment URL when the customer opens the
 * invoice. The URL is unsigned, so they are never trusted for money, but a link whose hints do not
 * match the invoice was not made by Xero for this invoice as it stands: that is what stops someone
 * walking invoice numbers from learning their states or creating checkouts with customers' e-mails.
 */
export interface LinkHint {
  currency?: string;
  amount?: string;
}

/**
 * An amount as written in a link, in hundredths, whatever the separators: "1500000", "1500000.00",
 * "1,500,000.00" or "1.500.000,00". The last separator is the decimal one when 1 or 2 digits follow
 * it, else a thousands separator. undefined when it is not an amount at all.
 */
export function hintHundredths(text: string): bigint | undefined {
  const s = text.trim().replace(/\s/g, '');
  if (!/^\d(?:[\d.,]*\d)?$/.test(s) || /[.,]{2}/.test(s) || s.length > 30) return undefined;
  const last = Math.max(s.lastIndexOf('.'), s.lastIndexOf(','));
  const decimals = last >= 0 ? s.length - last - 1 : 0;
  const isDecimal = last >= 0 && decimals >= 1 && decimals <= 2;
  const whole = (isDecimal ? s.slice(0, last) : s).replace(/[.,]/g, '');
  const fraction = isDecimal ? s.slice(last + 1).padEnd(2, '0') : '00';
  if (!/^\d+$/.test(whole) || !/^\d{2}$/.test(fraction)) return undefined;
  return BigInt(whole) * 100n + BigInt(fraction);
}

/** The invoice's own decimal strings (Xero: up to 4 decimals for unit amounts, 2 for totals). */
function decimalHundredths(decimal: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(decimal.trim());
  if (!m) return undefined;
  return BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(4, '0').slice(0, 2));
}

/**
 * True when the link was made for this invoice: same currency, and the amount is what is due now
 * or the invoice total (a paid invoice's old link still gets its "already paid" page).
 */
export function linkMatches(invoice: { currencyCode: string; amountDue: string; total: string }, hint: LinkHint): boolean {
  if (!hint.currency || hint.currency.trim().toUpperCase() !== invoice.currencyCode.toUpperCase()) return false;
  const amount = hint.amount === undefined ? undefined : hintHundredths(hint.amount);
  if (amount === undefined) return false;
  return amount === decimalHundredths(invoice.amountDue) || amount === decimalHundredths(invoice.total);
}
