/** The admin shows times and days in the merchant's Xero organisation's time zone (Organisation.Timezone). */
import type { Merchant } from '../store/merchants.js';
import { dateIn, ianaZoneOf } from '../jobs/sync/org-date.js';

/** The organisation's zone once the gateway has read it; UTC until then (named on the page either way). */
export function merchantZone(m: Pick<Merchant, 'xeroTimezone'>): string {
  return ianaZoneOf(m.xeroTimezone) ?? 'UTC';
}

/** The instant a day (YYYY-MM-DD) starts in `zone`. */
export function startOfDayIn(day: string, zone: string): Date {
  const guess = Date.parse(`${day}T00:00:00Z`);
  // The zone's offset at that moment, read back through Intl (no DST in the gateway's markets, but exact anyway).
  const offsetAt = (t: number) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat('en-CA', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      })
        .formatToParts(new Date(t))
        .map((x) => [x.type, x.value]),
    );
    return Date.parse(`${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}Z`) - t;
  };
  const first = guess - offsetAt(guess);
  return new Date(guess - offsetAt(first));
}

/** Today's date in `zone`. */
export function todayIn(now: Date, zone: string): string {
  return dateIn(now, zone);
}
