/** Date-range fields of the admin's filters and report form: YYYY-MM-DD, real calendar dates. */
export const BAD_DATE = 'errors:dateInvalid';
export const END_BEFORE_START = 'errors:dateBeforeStart';
export const RANGE_TOO_LONG = 'errors:rangeTooLong';
export const MAX_RANGE_DAYS = 366;

const DAY_MS = 86_400_000;

/** '' → undefined; a well-formed real date → itself; anything else → null. */
export function parseDay(value: unknown): string | undefined | null {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') return null;
  const v = value.trim();
  if (v === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return null;
  const t = Date.parse(`${v}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === v ? v : null;
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
  if (from === null) errors.from = BAD_DATE;
  else if (required && from === undefined) errors.from = 'errors:startDateMissing';
  if (to === null) errors.to = BAD_DATE;
  else if (required && to === undefined) errors.to = 'errors:endDateMissing';
  if (from && to && to < from) errors.to = END_BEFORE_START;
  else if (from && to && (Date.parse(to) - Date.parse(from)) / DAY_MS >= MAX_RANGE_DAYS) errors.to = RANGE_TOO_LONG;
  return { from: from ?? undefined, to: to ?? undefined, errors };
}
