/**
 * How long a refused payer must wait, in words they can act on. Seconds read well for a minute or
 * two; a day's share spent ends at midnight UTC, up to a day away, and "wait 75 600 seconds" tells
 * a payer nothing. Past that, the page names the local time (today, tomorrow, or a date).
 */
import type { RetryWait } from '../errors.js';
import { message, INTL_LOCALE, type Message, type PayLang } from './index.js';

/** Longest wait still said in seconds. */
export const SECONDS_SHOWN_UP_TO = 120;

const DAY_MS = 86_400_000;

/** YYYY-MM-DD of `at` in `zone`, as a UTC midnight, so two days subtract to whole days. */
function dayIn(at: Date, zone: string): number {
  return Date.parse(new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at));
}

/** The "too many attempts" text (pay catalogue) for a wait of `seconds`, ending at `wait.at` when known. */
export function tooManyText(lang: PayLang, seconds: number, wait?: RetryWait): Message {
  if (seconds <= SECONDS_SHOWN_UP_TO) return message('pay:tooManyBody', { seconds });
  if (!wait) return message('pay:tooManyLaterBody');
  const zone = wait.timeZone ?? 'UTC';
  // Rounded up to the minute shown: a payer who comes back at that minute is let in.
  const at = new Date(Math.ceil(wait.at.getTime() / 60_000) * 60_000);
  const locale = INTL_LOCALE[lang];
  // The zone is named (WIB, GMT+7, UTC): the payer may not be where the business is.
  const time = new Intl.DateTimeFormat(locale, { timeZone: zone, hour: 'numeric', minute: '2-digit', timeZoneName: 'short' }).format(at);
  const days = Math.round((dayIn(at, zone) - dayIn(wait.now, zone)) / DAY_MS);
  if (days <= 0) return message('pay:tooManyTodayBody', { time });
  if (days === 1) return message('pay:tooManyTomorrowBody', { time });
  const date = new Intl.DateTimeFormat(locale, {
    timeZone: zone,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(at);
  return message('pay:tooManyDateBody', { date });
}
