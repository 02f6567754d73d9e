/**
 * The organisation's currencies. Xero takes a document, a bank account or a payment only in a
 * currency added to the organisation (Settings → Currencies; GET/PUT /Currencies,
 * xero_accounting.yaml paths /Currencies getCurrencies and createCurrency, ~6638-6730), its base
 * currency always among them. Any other is refused with a 400 ValidationException "Organisation is
 * not subscribed to currency XXX", as integrations quote it (Expensify's Xero help, error XRO068:
 * "Xero requires the currencies you're using … to be added to your account").
 *
 * A new organisation here has, besides its base currency, those the gateway supports (the demo's
 * and the tests'); one made with `currencies: []` has its base currency only, and the test API adds
 * one as a person does in Xero's settings.
 */
import { SUPPORTED_CURRENCIES } from '../../money.js';
import type { SimOrganisation } from './state.js';

export function defaultCurrencies(baseCurrency: string, added: readonly string[] = SUPPORTED_CURRENCIES): string[] {
  return [baseCurrency, ...added.filter((c) => c !== baseCurrency)];
}

export function currenciesOf(o: Pick<SimOrganisation, 'currencies' | 'baseCurrency'>): string[] {
  return o.currencies ?? defaultCurrencies(o.baseCurrency);
}

/** Xero's refusal of a currency the organisation has not added; undefined when it has. */
export function currencyError(o: Pick<SimOrganisation, 'currencies' | 'baseCurrency'>, code: string): string | undefined {
  return currenciesOf(o).includes(code) ? undefined : `Organisation is not subscribed to currency ${code}`;
}

/** As when someone adds the currency in Xero's settings (Xero offers ISO 4217 codes only). */
export function addCurrency(o: SimOrganisation, code: string): void {
  if (!/^[A-Z]{3}$/.test(code)) throw new Error(`not a currency code: ${code}`);
  const now = currenciesOf(o);
  if (!now.includes(code)) o.currencies = [...now, code];
}

const NAMES: Record<string, string> = {
  IDR: 'Indonesian Rupiah',
  PHP: 'Philippine Peso',
  THB: 'Thai Baht',
  VND: 'Vietnamese Dong',
  MYR: 'Malaysian Ringgit',
  USD: 'United States Dollar',
  SGD: 'Singapore Dollar',
  AUD: 'Australian Dollar',
  NZD: 'New Zealand Dollar',
};

/** xero_accounting.yaml schema Currency: Code and Description. */
export function currencyJson(code: string): Record<string, unknown> {
  return { Code: code, Description: NAMES[code] ?? code };
}
