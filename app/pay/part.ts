/**
 * Paying part of an invoice (a deposit), when the merchant allows it: the amount the customer typed,
 * read in the invoice's currency, between the merchant's minimum and what is due.
 */
import { AmountError, exponentOf, toMinor, type Currency } from '../money.js';

export type PartProblem = 'format' | 'min' | 'max';

/**
 * What a customer may type: "400000", "400.000", "400,000", "1250.50", "1.250,50", "1 250,50".
 * A last separator followed by 1–2 digits is the decimal one; followed by 3 it groups thousands
 * (no currency here has 3 decimals). Undefined when it is not an amount in this currency.
 */
export function readPart(text: string, currency: Currency): number | undefined {
  const s = text.trim().replace(/[\s\u00a0\u202f]/g, '');
  if (!/^\d{1,15}(?:[.,]\d+)*$/.test(s) || s.length > 24) return undefined;
  const last = Math.max(s.lastIndexOf('.'), s.lastIndexOf(','));
  const after = last < 0 ? 0 : s.length - last - 1;
  let decimal: string;
  if (last < 0) decimal = s;
  else if (after === 3) {
    // Thousands only: every group after the first has 3 digits, one kind of separator.
    if (!/^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$/.test(s)) return undefined;
    decimal = s.replace(/[.,]/g, '');
  } else if (after <= 2 && after <= exponentOf(currency)) {
    const whole = s.slice(0, last);
    const sep = s[last];
    // The grouping in the whole part, if any, must use the other separator, in groups of 3.
    if (/[.,]/.test(whole) && (whole.includes(sep) || !/^\d{1,3}(?:[.,]\d{3})+$/.test(whole))) return undefined;
    decimal = `${whole.replace(/[.,]/g, '')}.${s.slice(last + 1)}`;
  } else return undefined;
  try {
    return toMinor(decimal, currency);
  } catch (err) {
    if (err instanceof AmountError) return undefined;
    throw err;
  }
}

/** The least a customer may pay now: `percent` of what is due, rounded up to the minor unit. */
export function minimumPart(due: number, percent: number): number {
  return Math.min(due, Math.ceil((due * percent) / 100));
}

export function partProblem(part: number | undefined, minimum: number, due: number): PartProblem | undefined {
  if (part === undefined || part <= 0) return 'format';
  if (part < minimum) return 'min';
  if (part > due) return 'max';
  return undefined;
}
