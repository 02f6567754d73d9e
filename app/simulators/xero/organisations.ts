/**
 * Organisations (tenants), with the accounts every new one is seeded with, and their JSON in
 * /connections and /Organisation.
 */
import { randomUUID } from 'node:crypto';
import { demoTaxRates } from './tax-rates.js';
import { addAccount } from './accounts.js';
import { defaultCurrencies } from './currencies.js';
import { dayStart, msDate } from './decimals.js';
import { type NewSimOrganisation, type SimOrganisation, type XeroSimState, orgsOfClient } from './state.js';

export function addOrganisation(state: XeroSimState, o: NewSimOrganisation, at: Date): SimOrganisation {
  const tenantId = o.tenantId ?? randomUUID();
  if (state.orgs.has(tenantId)) throw new Error(`organisation ${tenantId} already exists`);
  const sameApp = orgsOfClient(state, o.clientId)[0];
  if (sameApp && sameApp.clientSecret !== o.clientSecret) throw new Error(`client ${o.clientId} already has another secret`);
  const created: SimOrganisation = {
    tenantId,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    name: o.name,
    shortCode: o.shortCode,
    baseCurrency: o.baseCurrency,
    currencies: defaultCurrencies(o.baseCurrency, o.currencies),
    timezone: o.timezone ?? defaultTimezone(o.baseCurrency),
    isDemoCompany: o.isDemoCompany ?? false,
    ...(o.scopes !== undefined ? { scopes: o.scopes } : {}),
    createdAt: at,
    accounts: [],
    invoices: new Map(),
    payments: new Map(),
    bankTransactions: new Map(),
    manualJournals: new Map(),
    contacts: new Map(),
    taxRates: demoTaxRates(o.baseCurrency),
    idempotency: new Map(),
    usage: { minuteCalls: [], dayCalls: [], inFlight: 0 },
    nextInvoiceNumber: 1,
  };
  addAccount(created, { code: '090', name: 'Xendit', type: 'BANK' });
  addAccount(created, { code: '091', name: 'Business Savings Account', type: 'BANK' });
  addAccount(created, { code: '200', name: 'Sales', type: 'REVENUE' });
  addAccount(created, { code: '610', name: 'Accounts Receivable', type: 'CURRENT', systemAccount: 'DEBTORS' });
  addAccount(created, { code: '404', name: 'Bank Fees', type: 'EXPENSE' });
  state.orgs.set(tenantId, created);
  return created;
}

export function defaultTimezone(currency: string): string {
  return ['IDR', 'THB', 'VND'].includes(currency) ? 'SEASIASTANDARDTIME' : ['PHP', 'MYR'].includes(currency) ? 'SINGAPORESTANDARDTIME' : 'UTC';
}

export function connectionJson(o: SimOrganisation) {
  const created = o.createdAt.toISOString();
  return {
    id: o.tenantId,
    authEventId: o.tenantId,
    tenantId: o.tenantId,
    tenantType: 'ORGANISATION',
    tenantName: o.name,
    createdDateUtc: created,
    updatedDateUtc: created,
  };
}

export function organisationJson(o: SimOrganisation) {
  return {
    OrganisationID: o.tenantId,
    APIKey: '',
    Name: o.name,
    LegalName: o.name,
    PaysTax: true,
    Version: 'GLOBAL',
    OrganisationType: 'COMPANY',
    BaseCurrency: o.baseCurrency,
    CountryCode: countryOf(o.baseCurrency),
    IsDemoCompany: o.isDemoCompany,
    OrganisationStatus: 'ACTIVE',
    FinancialYearEndDay: 31,
    FinancialYearEndMonth: 12,
    Timezone: o.timezone,
    ...(o.periodLockDate ? { PeriodLockDate: msDate(dayStart(o.periodLockDate)) } : {}),
    ...(o.endOfYearLockDate ? { EndOfYearLockDate: msDate(dayStart(o.endOfYearLockDate)) } : {}),
    OrganisationEntityType: 'COMPANY',
    ShortCode: o.shortCode,
    Edition: 'BUSINESS',
    Class: 'STANDARD',
    CreatedDateUTC: msDate(o.createdAt),
    Addresses: [],
    Phones: [],
    ExternalLinks: [],
    PaymentTerms: {},
  };
}

export function countryOf(currency: string): string {
  return { IDR: 'ID', PHP: 'PH', THB: 'TH', VND: 'VN', MYR: 'MY', USD: 'US', NZD: 'NZ', AUD: 'AU', GBP: 'GB' }[currency] ?? 'US';
}
