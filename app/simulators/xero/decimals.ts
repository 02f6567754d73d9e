/**
 * Exact decimals (bigint hundredths / ten-thousandths) and Xero's date formats.
 */
import { withoutTrailingZeros } from '../../money.js';

/** "12.5" (or the JSON number 12.5) at 2 dp → 1250n; undefined when not a plain decimal or too precise. */
export function parseScaled(value: unknown, dp: number): bigint | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : typeof value === 'string' ? value.trim() : '';
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const frac = withoutTrailingZeros(m[3] ?? '');
  if (frac.length > dp) return undefined;
  const v = BigInt(m[2] + frac.padEnd(dp, '0'));
  return m[1] ? -v : v;
}

export function formatScaled(v: bigint, dp: number): string {
  const sign = v < 0n ? '-' : '';
  const digits = (v < 0n ? -v : v).toString().padStart(dp + 1, '0');
  return dp === 0 ? sign + digits : `${sign}${digits.slice(0, -dp)}.${digits.slice(-dp)}`;
}

/** Hundredths as the JSON number Xero sends: parsing the exact decimal text, no arithmetic on floats. */
export function money(hundredths: bigint): number {
  return Number(formatScaled(hundredths, 2));
}

/** Half away from zero, like Xero's line amount rounding. */
export function roundDiv(n: bigint, d: bigint): bigint {
  const sign = n < 0n ? -1n : 1n;
  const abs = n < 0n ? -n : n;
  return sign * ((abs * 2n + d) / (2n * d));
}

/**
 * Decimals of UnitAmount in an answer: 2 unless the request opts in to 4 with `unitdp=4`
 * (developer.xero.com/documentation/api-guides/rounding-in-xero: "By default, the API accepts unit
 * prices (UnitAmount) to two decimals places. If you require greater precision, you can opt-in to 4
 * decimal places by adding the querystring parameter unitdp=4 to your request", GET examples
 * included; "All summary values such as Total, LineAmount etc will remain at two decimal places only").
 */
export function unitDpOf(query: Record<string, unknown>): 2 | 4 {
  return String(query.unitdp) === '4' ? 4 : 2;
}

/** A unit amount kept in ten-thousandths, as the JSON number an answer of `unitDp` decimals carries. */
export function unitAmountJson(tenThousandths: bigint, unitDp: 2 | 4): number {
  return Number(formatScaled(unitDp === 4 ? tenThousandths : roundDiv(tenThousandths, 100n) * 100n, 4));
}

export function msDate(d: Date): string {
  return `/Date(${d.getTime()}+0000)/`;
}

export function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function dayStart(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

export function readDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = /^\/Date\((-?\d+)/.exec(value);
  if (ms) return isoDate(new Date(Number(ms[1])));
  const m = /^(\d{4}-\d{2}-\d{2})(T[\d:.]+Z?)?$/.exec(value);
  return m && !Number.isNaN(Date.parse(`${m[1]}T00:00:00Z`)) ? m[1] : undefined;
}
