/** Date-range fields of the admin's filters and report form: YYYY-MM-DD, real calendar dates. */
export const BAD_DATE = 'errors:dateInvalid';
export const END_BEFORE_START = 'errors:dateBeforeStart';
export const RANGE_TOO_LONG = 'errors:rangeTooLong';
export const MAX_RANGE_DAYS = 366;

const DAY_MS = 86_400_000;

/**
 * The days a filter or report may name. Far-off years are nobody's payments, and outside them the
 * time-zone arithmetic fails (years before 1000, after 9999): they are a field error, not a 500.
 */
export const FIRST_DAY = '2000-01-01';
export const LAST_DAY = '2099-12-31';
export const DATE_OUT_OF_RANGE = 'errors:dateOutOfRange';

/** '' → undefined; a well-formed real date → itself; anything else → null. */
function readDay(value: unknown): string | undefined | null {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (v === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return null;
  const t = Date.parse(`${v}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === v ? v : null;
}

/** '' → undefined; a real date from FIRST_DAY to LAST_DAY → itself; anything else → null. */
export function parseDay(value: unknown): string | undefined | null {
  const day = readDay(value);
  return day && (day < FIRST_DAY || day > LAST_DAY) ? null : day;
}

/** Why parseDay refused this value: a real date outside the window, or no date at all. */
export const dayRefusal = (value: unknown) => (readDay(value) ? DATE_OUT_OF_RANGE : BAD_DATE);

/** A month, YYYY-MM, whose days parseDay takes (a billing month of the same window) → itself; anything else → null. */
export function parseMonth(value: string): string | null {
  const v = value.trim();
  return /^\d{4}-\d{2}$/.test(v) && parseDay(`${v}-01`) ? v : null;
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

export const startOf = (day: string) => new Date(`${day}T00:00:00Z`);

/** Field errors for a from/to pair (each optional unless required). */
export function rangeErrors(raw: { from: unknown; to: unknown }, required = false): { from?: string; to?: string; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const from = parseDay(raw.from);
  const to = parseDay(raw.to);
  if (from === null) errors.from = dayRefusal(raw.from);
  else if (required && from === undefined) errors.from = 'errors:startDateMissing';
  if (to === null) errors.to = dayRefusal(raw.to);
  else if (required && to === undefined) errors.to = 'errors:endDateMissing';
  if (from && to && to < from) errors.to = END_BEFORE_START;
  else if (from && to && (Date.parse(to) - Date.parse(from)) / DAY_MS >= MAX_RANGE_DAYS) errors.to = RANGE_TOO_LONG;
  return { from: from ?? undefined, to: to ?? undefined, errors };
}
