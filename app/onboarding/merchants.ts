/**
 * Merchant onboarding, shared by the CLI (merchants add) and the /admin forms: connect Xero with a
 * Custom Connection, verify a Xendit key, choose the clearing and fee accounts, and see what is left
 * before going live. Every credential is checked with a real call before anything is stored.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { User } from '../store/users.js';
import { DEFAULT_FEE_ACCOUNT_CODE, ShortCodeTakenError, clearingAccountFor, type Merchant, type NewMerchant } from '../store/merchants.js';
import { UpstreamError } from '../clients/types.js';
import type { XenditGateway, XenditPermission } from '../clients/xendit/types.js';
import type { XeroBankAccount, XeroCredentials, XeroGateway, XeroLedgerAccount, XeroOrganisation } from '../clients/xero/types.js';
import { NotFound, ServiceUnavailable } from '../errors.js';
import { callbackPathFor, customPaymentUrl } from '../paths.js';
import { FormInvalid } from './service.js';

export interface MerchantOnboardingDeps {
  stores: Stores;
  xero: XeroGateway;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
}

/** What "Create a Xendit bank account for me" creates in Xero. */
export const XENDIT_BANK = { name: 'Xendit', accountNumber: '1000000000' } as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Retryable upstream trouble is a 503 page; anything else is the caller's to map. */
function unavailable(err: unknown): never {
  if (err instanceof UpstreamError && err.retryable) throw new ServiceUnavailable(err.message, err.retryAfterSeconds ?? 30);
  throw err;
}

/** The organisation behind a Custom Connection; wrong credentials → FormInvalid on clientSecret. */
export async function verifyXero(deps: Pick<MerchantOnboardingDeps, 'xero'>, creds: XeroCredentials): Promise<XeroOrganisation> {
  try {
    return await deps.xero.getOrganisation(creds);
  } catch (err) {
    if (err instanceof UpstreamError && (err.kind === 'unauthorized' || err.kind === 'rejected')) {
      throw new FormInvalid({
        clientSecret:
          'Xero did not accept this client id and secret. Copy both again from the Custom Connection in the Xero Developer portal, and check the connection is authorised.',
      });
    }
    return unavailable(err);
  }
}

/** What each permission means, in the words of Xendit's dashboard (Settings → API keys). */
export const XENDIT_PERMISSION_WORDS: Record<XenditPermission, string> = {
  create_invoices: 'create invoices (Money-in: Write)',
  read_invoices: 'read invoices (Money-in: Read)',
  list_invoices: 'list invoices (Money-in: Read)',
  expire_invoices: 'expire invoices (Money-in: Write)',
  read_transactions: "read transactions, for Xendit's fee (Transactions: Read)",
};

/** The key lacks these permissions: one sentence naming each, and where to grant them. */
export function missingPermissionsText(missing: XenditPermission[]): string {
  return `This Xendit key is not allowed to ${missing.map((p) => XENDIT_PERMISSION_WORDS[p]).join(', ')}. In Xendit, Settings → API keys, give the key those permissions (or create one that has them) and enter it again.`;
}

/** Wrong key, or one without every permission the gateway uses → FormInvalid on secretKey; nothing is saved. */
export async function verifyXenditKey(deps: Pick<MerchantOnboardingDeps, 'xendit'>, secretKey: string): Promise<void> {
  let missing: XenditPermission[];
  try {
    missing = await deps.xendit.checkSecretKey(secretKey);
  } catch (err) {
    if (err instanceof UpstreamError && (err.kind === 'unauthorized' || err.kind === 'rejected')) {
      throw new FormInvalid({ secretKey: 'Xendit did not accept this secret key. Copy it again from Settings → API keys, with "Money-in" write permission.' });
    }
    return unavailable(err);
  }
  if (missing.length) throw new FormInvalid({ secretKey: missingPermissionsText(missing) });
}

/**
 * Stores a merchant. Without a name or ShortCode both are read from the Xero organisation (which
 * also proves the credentials work). Throws ShortCodeTakenError when the organisation is already here.
 */
export async function addMerchant(
  deps: Pick<MerchantOnboardingDeps, 'stores' | 'xero' | 'logger'>,
  input: Omit<NewMerchant, 'name' | 'shortCode'> & { name?: string; shortCode?: string },
): Promise<Merchant> {
  let { name, shortCode, xeroTestOrganisation } = input;
  if (!name || !shortCode) {
    const org = await verifyXero(deps, input.xero);
    name ||= org.name || org.shortCode;
    shortCode ||= org.shortCode;
    xeroTestOrganisation ??= org.isDemoCompany;
  }
  const merchant = await deps.stores.merchants.add({ ...input, name, shortCode, ...(xeroTestOrganisation === undefined ? {} : { xeroTestOrganisation }) });
  deps.logger.info({ merchantId: merchant.id, shortCode, status: merchant.status }, 'merchant added');
  return merchant;
}

/** A merchant the actor may see: operators any, merchant users only their own (else 404). */
export async function merchantFor(deps: Pick<MerchantOnboardingDeps, 'stores'>, actor: User, merchantId: string): Promise<Merchant> {
  if (!UUID.test(merchantId) || (actor.role === 'merchant' && actor.merchantId !== merchantId)) throw new NotFound('merchant not found for this user');
  const merchant = await deps.stores.merchants.byId(merchantId);
  if (!merchant) throw new NotFound('merchant not found');
  return merchant;
}

/** Step 1 (operators): a new merchant from a verified Xero Custom Connection. */
export async function connectXero(deps: MerchantOnboardingDeps, actor: User, input: { clientId: string; clientSecret: string }): Promise<Merchant> {
  if (actor.role !== 'operator') throw new NotFound('only operators connect new merchants');
  const xero = { clientId: input.clientId, clientSecret: input.clientSecret, tenantId: '' };
  const org = await verifyXero(deps, xero);
  try {
    return await addMerchant(deps, { name: org.name || org.shortCode, shortCode: org.shortCode, xero });
  } catch (err) {
    if (err instanceof ShortCodeTakenError)
      throw new FormInvalid({ clientId: `The Xero organisation ${org.name} (ShortCode ${org.shortCode}) is already connected.` });
    throw err;
  }
}

/** Shows a secret as its last four characters only. */
export function masked(secret: string): string {
  return secret ? `…${secret.slice(-4)}` : '';
}

/** A Xero read for an admin page: trouble at Xero (or a refused connection) is the 503 page. */
export async function xeroCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UpstreamError && err.kind === 'unauthorized') throw new ServiceUnavailable(`Xero refused the stored connection: ${err.message}`, 60);
    return unavailable(err);
  }
}

export interface AccountsView {
  baseCurrency: string;
  bankAccounts: XeroBankAccount[];
  expenseAccounts: XeroLedgerAccount[];
  revenueAccounts: XeroLedgerAccount[];
  /** Currencies a clearing account can be chosen for: those of the bank accounts, base first. */
  currencies: string[];
  warnings: string[];
}

const currencyOf = (a: XeroBankAccount | undefined, base: string) => a?.currencyCode || base;

/** Payments in a currency whose clearing account has another currency would be refused by Xero. */
function currencyWarnings(
  merchant: Pick<Merchant, 'clearingAccountId' | 'clearingAccounts'>,
  banks: XeroBankAccount[],
  base: string,
  invoiced: string[],
): string[] {
  if (!merchant.clearingAccountId) return [];
  const warnings: string[] = [];
  for (const currency of [...new Set([base, ...invoiced])]) {
    const accountId = clearingAccountFor(merchant as Merchant, currency);
    const account = banks.find((b) => b.accountId === accountId);
    if (!account) warnings.push(`The clearing account for ${currency} no longer exists in Xero: choose another.`);
    else if (currencyOf(account, base) !== currency) {
      warnings.push(
        `Invoices in ${currency} would be recorded in "${account.name}", a ${currencyOf(account, base)} account: Xero refuses that. Choose a ${currency} clearing account.`,
      );
    }
  }
  return warnings;
}

export async function accountsView(deps: MerchantOnboardingDeps, merchant: Merchant): Promise<AccountsView> {
  const [org, bankAccounts, expenseAccounts, revenueAccounts, activity] = await Promise.all([
    xeroCall(() => deps.xero.getOrganisation(merchant.xero)),
    xeroCall(() => deps.xero.listBankAccounts(merchant.xero)),
    xeroCall(() => deps.xero.listAccountsOfClass(merchant.xero, 'EXPENSE')),
    xeroCall(() => deps.xero.listAccountsOfClass(merchant.xero, 'REVENUE')),
    deps.stores.merchants.activity(merchant.id),
  ]);
  const base = org.baseCurrency;
  const currencies = [...new Set([base, ...bankAccounts.map((b) => currencyOf(b, base)), ...activity.currencies])];
  return {
    baseCurrency: base,
    bankAccounts,
    expenseAccounts,
    revenueAccounts,
    currencies,
    warnings: currencyWarnings(merchant, bankAccounts, base, activity.currencies),
  };
}

/** Step 3: the default clearing account, per-currency ones, the fee expense account and (optional) sales account. */
export async function saveAccounts(
  deps: MerchantOnboardingDeps,
  actor: User,
  merchantId: string,
  input: { clearingAccountId: string; clearingAccounts: Record<string, string>; feeAccountCode: string; salesAccountCode: string | null },
): Promise<Merchant> {
  const merchant = await merchantFor(deps, actor, merchantId);
  const view = await accountsView(deps, merchant);
  const errors: Record<string, string> = {};
  if (!view.bankAccounts.some((b) => b.accountId === input.clearingAccountId)) errors.clearingAccountId = 'Choose a bank account from the list.';
  for (const [currency, accountId] of Object.entries(input.clearingAccounts)) {
    const account = view.bankAccounts.find((b) => b.accountId === accountId);
    // A currency the form did not offer has no field to show its error next to.
    const field = view.currencies.includes(currency) ? `clearing_${currency}` : 'form';
    if (!account) errors[field] = 'Choose a bank account from the list.';
    else if (currencyOf(account, view.baseCurrency) !== currency)
      errors[field] = `Choose a ${currency} account: Xero records ${currency} payments only in ${currency} accounts.`;
  }
  if (!view.expenseAccounts.some((a) => a.code === input.feeAccountCode)) errors.feeAccountCode = 'Choose an expense account from the list.';
  if (input.salesAccountCode !== null && !view.revenueAccounts.some((a) => a.code === input.salesAccountCode))
    errors.salesAccountCode = 'Choose a revenue account from the list, or none.';
  if (Object.keys(errors).length) throw new FormInvalid(errors);
  const now = deps.clock();
  await deps.stores.merchants.setAccounts(merchant.id, input, now);
  await deps.stores.merchants.activateIfComplete(merchant.id, now);
  deps.logger.info({ merchantId, by: actor.id }, 'merchant accounts saved');
  return (await deps.stores.merchants.byId(merchant.id))!;
}

/**
 * "Create a Xendit bank account for me": a BANK account named Xendit (Xendit <CUR> for other
 * currencies) in Xero, made the clearing account for that currency. An account of that name and
 * currency already there is reused, so a second click (or a retry after a lost answer) adds nothing.
 */
export async function createXenditBankAccount(deps: MerchantOnboardingDeps, actor: User, merchantId: string, currency: string): Promise<XeroBankAccount> {
  const merchant = await merchantFor(deps, actor, merchantId);
  const [org, banks] = await Promise.all([xeroCall(() => deps.xero.getOrganisation(merchant.xero)), xeroCall(() => deps.xero.listBankAccounts(merchant.xero))]);
  const base = org.baseCurrency;
  const name = currency === base ? XENDIT_BANK.name : `${XENDIT_BANK.name} ${currency}`;
  let account = banks.find((b) => b.name.toLowerCase() === name.toLowerCase() && currencyOf(b, base) === currency);
  if (!account) {
    if (banks.some((b) => b.name.toLowerCase() === name.toLowerCase()))
      throw new FormInvalid({ currency: `Xero already has an account named "${name}" in another currency: rename it in Xero or choose it below.` });
    try {
      account = await deps.xero.createBankAccount(
        merchant.xero,
        { name, accountNumber: XENDIT_BANK.accountNumber, currencyCode: currency },
        `xendit-bank:${merchant.id}:${currency}`,
      );
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === 'rejected') throw new FormInvalid({ currency: `Xero refused to create the account: ${err.message}` });
      return xeroCall(() => Promise.reject(err));
    }
    deps.logger.info({ merchantId, currency, accountId: account.accountId, by: actor.id }, 'xendit bank account created in xero');
  }
  const now = deps.clock();
  const clearingAccounts = { ...merchant.clearingAccounts };
  let clearingAccountId = merchant.clearingAccountId;
  if (!clearingAccountId || currency === base) clearingAccountId = account.accountId;
  if (clearingAccountId !== account.accountId) clearingAccounts[currency] = account.accountId;
  else delete clearingAccounts[currency];
  await deps.stores.merchants.setAccounts(
    merchant.id,
    { clearingAccountId, clearingAccounts, feeAccountCode: merchant.feeAccountCode ?? DEFAULT_FEE_ACCOUNT_CODE, salesAccountCode: merchant.salesAccountCode },
    now,
  );
  await deps.stores.merchants.activateIfComplete(merchant.id, now);
  return account;
}

export interface GoLiveStep {
  key: 'xero' | 'xendit' | 'clearing' | 'callback';
  done: boolean;
}

/** Step 4: what the merchant pastes where, and which steps are done. */
export async function goLive(deps: MerchantOnboardingDeps, actor: User, merchantId: string) {
  const merchant = await merchantFor(deps, actor, merchantId);
  const activity = await deps.stores.merchants.activity(merchant.id);
  const steps: GoLiveStep[] = [
    { key: 'xero', done: merchant.xeroDisconnected === null }, // a merchant exists only once its Xero connection answered
    { key: 'xendit', done: merchant.xenditSecretKey !== '' },
    { key: 'clearing', done: merchant.clearingAccountId !== '' },
    { key: 'callback', done: activity.lastCallbackAt !== null },
  ];
  return {
    merchant: {
      id: merchant.id,
      name: merchant.name,
      shortCode: merchant.shortCode,
      status: merchant.status,
      mode: merchant.mode,
      xenditKey: masked(merchant.xenditSecretKey),
    },
    steps,
    xero: { connection: merchant.xeroConnection, disconnected: merchant.xeroDisconnected },
    lastCallbackAt: activity.lastCallbackAt,
    customPaymentUrl: customPaymentUrl(deps.publicUrl),
    callbackUrl: deps.publicUrl + callbackPathFor(merchant.id),
  };
}
