/** The chart of accounts (Accounts) and the sales tax rates (TaxRates): what onboarding offers and the clearing account. */
import { nullWhenNotFound } from '../types.js';
import type { XeroCalls } from './call.js';
import { firstCreated } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { bankAccountBody, mapAccount, mapAnyAccount, mapTaxRate } from './mappers.js';
import type { XeroGateway } from './types.js';

export function accountCalls({
  call,
}: XeroCalls): Pick<XeroGateway, 'listBankAccounts' | 'listAccountsOfClass' | 'readChart' | 'createBankAccount' | 'getAccount' | 'listSalesTaxRates'> {
  return {
    async listBankAccounts(creds) {
      const res = await call(creds, 'listBankAccounts', (api) => api.getAccounts(creds.tenantId, undefined, 'Type=="BANK"'));
      return (res.body.accounts ?? []).filter((a) => String(a.type) === 'BANK' && String(a.status ?? 'ACTIVE') === 'ACTIVE').map(mapAccount);
    },

    async listAccountsOfClass(creds, accountClass) {
      const res = await call(creds, 'listAccountsOfClass', (api) => api.getAccounts(creds.tenantId, undefined, `Class=="${accountClass}"`));
      return (
        (res.body.accounts ?? [])
          // SystemAccount: "If this is a system account then this element is returned" (xero_accounting.yaml Account).
          .filter((a) => String(a._class) === accountClass && String(a.status ?? 'ACTIVE') === 'ACTIVE' && a.code && !a.systemAccount)
          .map((a) => ({ code: a.code!, name: a.name ?? '', type: String(a.type) }))
      );
    },

    async readChart(creds) {
      // The whole chart in one call, filtered here, so that one read serves every use of it.
      const res = await call(creds, 'readChart', (api) => api.getAccounts(creds.tenantId));
      const active = (res.body.accounts ?? []).filter((a) => String(a.status ?? 'ACTIVE') === 'ACTIVE');
      return {
        // A line is never coded to a bank account (money between banks is a transfer), nor to a system
        // account such as Accounts Receivable (xero_accounting.yaml Account.SystemAccount).
        lineAccounts: active
          .filter((a) => String(a.type) !== 'BANK' && a.code && !a.systemAccount)
          .map((a) => ({ code: a.code!, name: a.name ?? '', type: String(a.type) })),
        codes: active.filter((a) => a.code).map((a) => a.code!),
        bankAccountIds: active.filter((a) => String(a.type) === 'BANK' && a.accountID).map((a) => a.accountID!),
        accountCurrencies: Object.fromEntries(
          active.filter((a) => a.accountID).map((a) => [a.accountID!, a.currencyCode === undefined || a.currencyCode === null ? null : String(a.currencyCode)]),
        ),
      };
    },

    async createBankAccount(creds, account, idempotencyKey) {
      const body = bankAccountBody(account);
      const res = await call(
        creds,
        'createBankAccount',
        (api) => api.createAccount(creds.tenantId, body, idempotencyKeyFor(idempotencyKey, 'createBankAccount', body)),
        {
          write: true,
        },
      );
      return mapAccount(firstCreated(res.body.accounts, 'createAccount answered without an account'));
    },

    async getAccount(creds, accountId) {
      const res = await nullWhenNotFound(() => call(creds, 'getAccount', (api) => api.getAccount(creds.tenantId, accountId)));
      const a = res?.body.accounts?.[0];
      return a ? mapAnyAccount(a) : null;
    },

    async listSalesTaxRates(creds) {
      // A handful of rates per organisation: filtered here rather than with Xero's `where`.
      const res = await call(creds, 'listSalesTaxRates', (api) => api.getTaxRates(creds.tenantId));
      return (res.body.taxRates ?? []).filter((r) => String(r.status) === 'ACTIVE' && r.canApplyToRevenue === true && r.taxType).map(mapTaxRate);
    },
  };
}
