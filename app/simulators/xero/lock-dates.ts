/** Lock dates of a simulated organisation. */
import type { SimOrganisation } from './state.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Xero refuses a document dated on or before a lock date, with a ValidationError such as "The
 * document date cannot be before the end of year lock date, currently set at 31-Jul-2013"
 * (xeroizer#92, quoting Xero's answer). Who the period lock binds (all users but advisers) is not
 * the simulator's to know: it binds here, the stricter reading.
 */
export function lockDateError(o: SimOrganisation, date: string | undefined): string | undefined {
  if (!date) return undefined;
  for (const [lock, name] of [
    [o.endOfYearLockDate, 'end of year lock date'],
    [o.periodLockDate, 'period lock date'],
  ] as const) {
    if (lock && date <= lock) {
      const [y, m, d] = lock.split('-');
      return `The document date cannot be before the ${name}, currently set at ${d}-${MONTHS[Number(m) - 1]}-${y}`;
    }
  }
  return undefined;
}
