/**
 * Money stays exact: integer minor units in our code and database, decimal strings at the edges.
 * A minor unit is the smallest amount Xendit charges: whole rupiah and dong, cents elsewhere.
 */
export const SUPPORTED_CURRENCIES = ['IDR', 'PHP', 'THB', 'VND', 'MYR', 'USD'] as const;
export type Currency = (typeof SUPPORTED_CURRENCIES)[number];

const EXPONENT: Record<Currency, number> = { IDR: 0, VND: 0, PHP: 2, THB: 2, MYR: 2, USD: 2 };

export function isSupportedCurrency(code: string): code is Currency {
  return (SUPPORTED_CURRENCIES as readonly string[]).includes(code);
}

export function exponentOf(currency: Currency): number {
  return EXPONENT[currency];
}

export class AmountError extends Error {}

/** An amount with fractions of the currency's smallest unit (sen on a rupiah amount): exact, but not chargeable as it stands. */
export class FractionalAmountError extends AmountError {}

/** Number.MAX_SAFE_INTEGER (9007199254740991) has 16 digits: minor units with more are never exact. */
const MAX_MINOR_DIGITS = String(Number.MAX_SAFE_INTEGER).length;

/**
 * "150000.00" IDR → 150000; "12.5" PHP → 1250. Throws AmountError when the amount has more
 * precision than the currency can be charged in (e.g. 0.50 IDR) or is not a plain decimal.
 */
export function toMinor(decimal: string, currency: Currency): number {
  const m = decimalParts(decimal.trim());
  if (!m) throw new AmountError(`not a decimal amount: ${JSON.stringify(shortened(decimal))}`);
  const { sign, whole: rawWhole, frac } = m;
  const exp = EXPONENT[currency];
  const significant = withoutTrailingZeros(frac);
  if (significant.length > exp) throw new FractionalAmountError(`${shortened(decimal)} ${currency} has more decimals than ${currency} allows (${exp})`);
  // Sized before BigInt, whose parse of a long digit string is slower than linear: a form field or
  // CSV cell of millions of digits would hold the event loop (every /pay and callback) for seconds.
  const whole = withoutLeadingZeros(rawWhole);
  if (whole.length + exp > MAX_MINOR_DIGITS) throw new AmountError(`amount too large: ${shortened(decimal)}`);
  const minor = BigInt(whole + significant.padEnd(exp, '0'));
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new AmountError(`amount too large: ${shortened(decimal)}`);
  return Number(sign ? -minor : minor);
}

/**
 * `-?digits(.digits)?` split by a loop. A regular expression such as /^(-)?(\d+)(?:\.(\d+))?$/
 * keeps a backtrack point per digit: on millions of digits, once V8 has compiled it to machine code
 * (after a process has used it for a while), it overflows its stack and throws a RangeError.
 */
function decimalParts(s: string): { sign: boolean; whole: string; frac: string } | null {
  const digitsFrom = (i: number) => {
    while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
    return i;
  };
  const sign = s.charCodeAt(0) === 45;
  const start = sign ? 1 : 0;
  const end = digitsFrom(start);
  if (end === start) return null;
  if (end === s.length) return { sign, whole: s.slice(start, end), frac: '' };
  if (s.charCodeAt(end) !== 46) return null;
  const fracEnd = digitsFrom(end + 1);
  if (fracEnd === end + 1 || fracEnd !== s.length) return null;
  return { sign, whole: s.slice(start, end), frac: s.slice(end + 1) };
}

/** An amount as typed in a form: digits with an optional fraction, no sign (decimalParts). */
export function isPlainDecimal(s: string): boolean {
  const m = decimalParts(s);
  return m !== null && !m.sign;
}

/**
 * "1.2500" → "1.25", by a loop: `/0+$/` tries every start and backtracks, so a string of n zeros
 * costs n² steps (a 100 000-digit fraction took 18 s).
 */
export function withoutTrailingZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 48) end--;
  return digits.slice(0, end);
}

function withoutLeadingZeros(digits: string): string {
  let start = 0;
  while (start < digits.length - 1 && digits.charCodeAt(start) === 48) start++;
  return digits.slice(start);
}

/** An amount named in an error, which may be logged: at most its first 40 characters. */
const shortened = (decimal: string) => (decimal.length > 40 ? `${decimal.slice(0, 40)}…` : decimal);

/** 150000 IDR → "150000"; 1250 PHP → "12.50". */
export function toDecimal(minor: number, currency: Currency): string {
  if (!Number.isSafeInteger(minor)) throw new AmountError(`minor units must be a safe integer: ${minor}`);
  const exp = EXPONENT[currency];
  const digits = Math.abs(minor)
    .toString()
    .padStart(exp + 1, '0');
  const sign = minor < 0 ? '-' : '';
  return exp === 0 ? sign + digits : `${sign}${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
}

/**
 * SDK models type amounts as JS numbers. A number parsed from JSON prints back as its shortest
 * exact decimal (1234.5 → "1234.5"), so this is the one lossless way in from a number.
 */
export function numberToDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new AmountError(`not a finite amount: ${value}`);
  const text = String(value);
  if (!decimalParts(text)) throw new AmountError(`amount out of range: ${text}`);
  return text;
}

/** Formats for people: "Rp 150.000", "₱12.50" style is left to Intl. */
export function formatMoney(minor: number, currency: Currency, locale: string): string {
  const exp = EXPONENT[currency];
  return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: exp, maximumFractionDigits: exp }).format(
    Number(toDecimal(minor, currency)),
  );
}
