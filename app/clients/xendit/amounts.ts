/** Xendit's amounts (JSON numbers in major units) as our minor units. */
import { AmountError, numberToDecimal, toMinor, type Currency } from '../../money.js';
import { unexpected } from './errors.js';

/**
 * A reader for one object's amounts (JSON numbers, or decimal strings as the Disputes API sends
 * them): a figure that does not fit the currency makes the object unreadable, never rounded.
 */
export function minorReader(currency: Currency): (value: number | string, field: string) => number {
  return (value, field) => {
    try {
      return toMinor(typeof value === 'number' ? numberToDecimal(value) : value, currency);
    } catch (err) {
      if (err instanceof AmountError) throw unexpected(`${field} ${value} is not a valid ${currency} amount`);
      throw err;
    }
  };
}
