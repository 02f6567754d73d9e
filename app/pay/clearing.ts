/**
 * Whether a payment of this invoice could be recorded: Xero records a payment only into a bank
 * account of the invoice's currency, and the worker records it into the merchant's clearing account
 * for that currency, else the default one (clearingAccountFor). An invoice in a currency neither
 * holds would be charged and then stop in review ("currency mismatch"), so it is refused before
 * anything is made at Xendit.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { Merchant } from '../store/merchants.js';
import type { XeroGateway } from '../clients/xero/types.js';
import { NoClearingAccount } from './errors.js';
import { upstream } from './upstream.js';
import { message } from '../i18n/index.js';
import { raiseAlert } from '../alerts/raise.js';

export interface ClearingDeps {
  stores: Stores;
  xero: XeroGateway;
  clock: Clock;
  logger: Logger;
}

export async function refuseWithoutClearingAccount(
  deps: ClearingDeps,
  merchant: Merchant,
  invoice: { invoiceNumber: string },
  currency: string,
): Promise<void> {
  // One chosen for this currency: the admin checks its currency when it is saved.
  if (merchant.clearingAccounts[currency]) return;
  const held = merchant.clearingCurrency ?? (await learnClearingCurrency(deps, merchant));
  if (held === currency) return;
  deps.logger.warn({ merchantId: merchant.id, invoice: invoice.invoiceNumber, currency, held }, 'no clearing account for the invoice currency');
  await raiseAlert(deps, {
    merchantId: merchant.id,
    kind: 'clearingAccountMissing',
    message: message('alerts:clearingAccountMissing', { invoice: invoice.invoiceNumber, currency, accountCurrency: held }),
    // Every click on an invoice of this currency meets it until an account is chosen: one alert per merchant and currency.
    dedupeKey: `clearingAccountMissing:${merchant.id}:${currency}`,
  });
  throw new NoClearingAccount(invoice.invoiceNumber, `no clearing account in ${currency}; the default one is in ${held}`);
}

/**
 * The default clearing account's currency, read from Xero once and stored: merchants whose account
 * was chosen before the gateway kept it. Xero leaves the currency out for the base currency, and
 * an account with payments enabled that is no bank account (manual-journal fees) is in the base
 * currency too. Xero not answering now is no reason to let a payment through that might not be
 * recordable: the customer is asked to try again.
 */
async function learnClearingCurrency(deps: ClearingDeps, merchant: Merchant): Promise<string> {
  const accountId = merchant.clearingAccountId;
  const bank = (await upstream(() => deps.xero.listBankAccounts(merchant.xero))).find((a) => a.accountId === accountId);
  const currency = bank?.currencyCode || (await upstream(() => deps.xero.getOrganisation(merchant.xero))).baseCurrency;
  await deps.stores.merchants.noteClearingCurrency(merchant.id, accountId, currency);
  return currency;
}
