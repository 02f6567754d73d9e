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
 * What an amount written in a link can mean, in hundredths, whatever the separators: "1500000",
 * "1500000.00", "1,500,000.00", "1.500.000,00", "400000.0000". Xero's documentation does not fix the
 * format of [AMOUNTDUE], so a last separator followed by 3 or 4 digits is read both ways (decimal
 * point, or thousands separator) and either may match; a decimal reading must be exact in
 * hundredths ("1.505" is not 1.50). Empty when it is not an amount at all.
 */
export function hintReadings(text: string): bigint[] {
  const s = text.trim().replace(/\s/g, '');
  if (!/^\d(?:[\d.,]*\d)?$/.test(s) || /[.,]{2}/.test(s) || s.length > 30) return [];
  const last = Math.max(s.lastIndexOf('.'), s.lastIndexOf(','));
  const decimals = last >= 0 ? s.length - last - 1 : 0;
  const readings: bigint[] = [];
  if (last >= 0 && decimals <= 4) {
    const whole = s.slice(0, last).replace(/[.,]/g, '');
    const fraction = s.slice(last + 1).padEnd(4, '0');
    if (/^\d+$/.test(whole) && fraction.endsWith('00')) readings.push(BigInt(whole) * 100n + BigInt(fraction.slice(0, 2)));
  }
  // All separators as thousands separators: only where 3 digits follow the last one.
  if (last < 0 || decimals === 3) readings.push(BigInt(s.replace(/[.,]/g, '')) * 100n);
  return readings;
}

/** The one reading of an unambiguous amount; undefined when it is not an amount or could be two. */
export function hintHundredths(text: string): bigint | undefined {
  const readings = hintReadings(text);
  return readings.length === 1 ? readings[0] : undefined;
}

/** The invoice's own decimal strings (Xero: up to 4 decimals for unit amounts, 2 for totals). */
function decimalHundredths(decimal: string): bigint | undefined {
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(decimal.trim());
  if (!m) return undefined;
  return BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(4, '0').slice(0, 2));
}

/**
 * True when the link was made for this invoice: same currency, and the amount is what is due now
 * or the invoice total (a paid invoice's old link still gets its "already paid" page). Zero is no
 * proof: it is what anyone would guess, and what a paid or voided invoice has due (Xero: AmountDue
 * 0), so it would tell a stranger which numbers are paid or voided.
 */
export function linkMatches(invoice: { currencyCode: string; amountDue: string; total: string }, hint: LinkHint): boolean {
  if (!hint.currency || hint.currency.trim().toUpperCase() !== invoice.currencyCode.toUpperCase()) return false;
  const wanted = [decimalHundredths(invoice.amountDue), decimalHundredths(invoice.total)];
  return hint.amount !== undefined && hintReadings(hint.amount).some((amount) => amount > 0n && wanted.includes(amount));
}

/**
 * The link as asked, for remembering a miss (store/pay-clicks.ts): its hints and its "try again"
 * checkout, as typed. Another spelling is another link (asked of Xero again, within the budget
 * invented numbers may spend); the invoice's own link is never answered from another's miss.
 */
export function linkKey(hint: LinkHint, retryOf?: string): string {
  return JSON.stringify([hint.currency ?? null, hint.amount ?? null, retryOf ?? null]);
}

/** The link as asked (`key`), with what tells whether it is a real invoice's own link (pay-clicks.sql). */
export interface AskedLink {
  key: string;
  /** The currency hint, upper case; undefined when the link has none. */
  currency?: string;
  /** Every reading of the amount hint above zero, as decimal strings ("1500000.00"). */
  amounts: string[];
  retry?: string;
}

export function askedLink(hint: LinkHint, retryOf?: string): AskedLink {
  const currency = hint.currency?.trim().toUpperCase();
  const amounts = (hint.amount === undefined ? [] : hintReadings(hint.amount))
    .filter((h) => h > 0n)
    .map((h) => `${h / 100n}.${(h % 100n).toString().padStart(2, '0')}`);
  return { key: linkKey(hint, retryOf), ...(currency ? { currency } : {}), amounts, ...(retryOf ? { retry: retryOf } : {}) };
}
