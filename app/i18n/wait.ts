/**
 * How long a refused payer must wait, in words they can act on. Seconds read well for a minute or
 * two; a day's share spent ends at midnight UTC, up to a day away, and "wait 75 600 seconds" tells
 * a payer nothing. Past that, the page names the local time (today, tomorrow, or a date).
 */
import type { RetryWait } from '../errors.js';
import { dateIn } from '../jobs/sync/org-date.js';
import { message, INTL_LOCALE, type Message, type PayLang } from './index.js';

/** Longest wait still said in seconds. */
export const SECONDS_SHOWN_UP_TO = 120;

const DAY_MS = 86_400_000;

/** The minute a wait ending at `at` is shown as: rounded up, so a payer who comes back at that minute is let in. */
export function shownMinute(at: Date): Date {
  return new Date(Math.ceil(at.getTime() / 60_000) * 60_000);
}

/** Whole days from the date of `now` to that of `at`, both in `zone`. */
export function daysAhead(now: Date, at: Date, zone: string): number {
  return Math.round((Date.parse(dateIn(at, zone)) - Date.parse(dateIn(now, zone))) / DAY_MS);
}

/** One formatter per language, zone and form, as org-date.ts keeps its own: the zones are a short fixed list. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * `at` in `zone` in the payer's language, the zone named (WIB, GMT+7): the payer may not be where
 * the business is. The time alone, or with its date.
 */
export function timeShown(lang: PayLang, zone: string, at: Date, withDate: boolean): string {
  const key = `${lang} ${zone} ${withDate}`;
  let f = formatters.get(key);
  if (!f) {
    const date = withDate ? ({ year: 'numeric', month: 'long', day: 'numeric' } as const) : {};
    f = new Intl.DateTimeFormat(INTL_LOCALE[lang], { timeZone: zone, ...date, hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
    formatters.set(key, f);
  }
  return f.format(at);
}

/** The "too many attempts" text (pay catalogue) for a wait of `seconds`, ending at `wait.at` when known. */
export function tooManyText(lang: PayLang, seconds: number, wait?: RetryWait): Message {
  if (seconds <= SECONDS_SHOWN_UP_TO) return message('pay:tooManyBody', { seconds });
  if (!wait) return message('pay:tooManyLaterBody');
  const zone = wait.timeZone ?? 'UTC';
  const at = shownMinute(wait.at);
  const days = daysAhead(wait.now, at, zone);
  if (days <= 0) return message('pay:tooManyTodayBody', { time: timeShown(lang, zone, at, false) });
  if (days === 1) return message('pay:tooManyTomorrowBody', { time: timeShown(lang, zone, at, false) });
  return message('pay:tooManyDateBody', { date: timeShown(lang, zone, at, true) });
}
