/** Step 3 of a merchant's setup: the clearing, fee, sales and withholding tax accounts in Xero. */
import type { User } from '../../store/users.js';
import { DEFAULT_FEE_ACCOUNT_CODE, clearingAccountFor, type Merchant } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import type { XeroBankAccount, XeroLedgerAccount } from '../../clients/xero/types.js';
import { FormInvalid } from '../../errors.js';
import { recordChange } from '../audit.js';
import { merchantToChange, xeroCall, type MerchantOnboardingDeps } from './service.js';
import { message, type Message } from '../../i18n/index.js';
import { formVersion, saveVersioned } from '../fields.js';
import { withholdingCatchUp } from '../../jobs/sync/withholding-catch-up.js';
import { checkedAgainstLists, forgetXeroLists, xeroListsOf } from './xero-lists.js';
import type { AccountsWrite } from '../../store/merchant-forms.js';

/** What "Create a Xendit bank account for me" creates in Xero. */
export const XENDIT_BANK = { name: 'Xendit', accountNumber: '1000000000' } as const;

export interface AccountsView {
  baseCurrency: string;
  bankAccounts: XeroBankAccount[];
  expenseAccounts: XeroLedgerAccount[];
  revenueAccounts: XeroLedgerAccount[];
  /** What tax Xendit withholds may be booked to: current assets (a creditable tax the merchant claims back) or expenses. */
  withholdingAccounts: XeroLedgerAccount[];
  /** Currencies a clearing account can be chosen for: those of the bank accounts, base first. */
  currencies: string[];
  warnings: Message[];
}

/** Asset account types (xero_accounting.yaml AccountType) a tax withheld and claimed back belongs to. */
const WITHHOLDING_ASSET_TYPES = new Set(['CURRENT', 'PREPAYMENT']);

const currencyOf = (a: XeroBankAccount | undefined, base: string) => a?.currencyCode || base;

/** Payments in a currency whose clearing account has another currency would be refused by Xero. */
function currencyWarnings(
  merchant: Pick<Merchant, 'clearingAccountId' | 'clearingAccounts'>,
  banks: XeroBankAccount[],
  base: string,
  invoiced: string[],
): Message[] {
  if (!merchant.clearingAccountId) return [];
  const warnings: Message[] = [];
  for (const currency of [...new Set([base, ...invoiced])]) {
    const accountId = clearingAccountFor(merchant as Merchant, currency);
    const account = banks.find((b) => b.accountId === accountId);
    if (!account) warnings.push(message('errors:clearingGone', { currency }));
    else if (currencyOf(account, base) !== currency) {
      warnings.push(message('errors:clearingWrongCurrency', { currency, account: account.name, accountCurrency: currencyOf(account, base) }));
    }
  }
  return warnings;
}

/** The page and the save's check: Xero's lists as read within the last minute (xero-lists.ts). */
export async function accountsView(deps: MerchantOnboardingDeps, merchant: Merchant): Promise<AccountsView> {
  const lists = xeroListsOf(deps, merchant);
  const [org, bankAccounts, expenseAccounts, revenueAccounts, assetAccounts, activity] = await Promise.all([
    xeroCall(() => lists.organisation()),
    xeroCall(() => lists.bankAccounts()),
    xeroCall(() => lists.accountsOfClass('EXPENSE')),
    xeroCall(() => lists.accountsOfClass('REVENUE')),
    xeroCall(() => lists.accountsOfClass('ASSET')),
    deps.stores.merchants.activity(merchant.id),
  ]);
  const base = org.baseCurrency;
  const currencies = [...new Set([base, ...bankAccounts.map((b) => currencyOf(b, base)), ...activity.currencies])];
  return {
    baseCurrency: base,
    bankAccounts,
    expenseAccounts,
    revenueAccounts,
    // Not a bank account (Spend Money lines are never coded to one), a fixed asset or stock.
    withholdingAccounts: [...assetAccounts.filter((a) => WITHHOLDING_ASSET_TYPES.has(a.type)), ...expenseAccounts],
    currencies,
    warnings: currencyWarnings(merchant, bankAccounts, base, activity.currencies),
  };
}

/** The audit entry of a change of the accounts, from the form or "Create a Xendit bank account". */
function accountsAudit(a: {
  clearingAccountId: string;
  clearingAccounts: Record<string, string>;
  feeAccountCode: string;
  salesAccountCode: string | null;
  withholdingAccountCode: string | null;
}) {
  return {
    clearingAccountId: a.clearingAccountId,
    otherCurrencies: Object.entries(a.clearingAccounts)
      .map(([c, id]) => `${c}=${id}`)
      .join(' '),
    feeAccountCode: a.feeAccountCode,
    salesAccountCode: a.salesAccountCode,
    withholdingAccountCode: a.withholdingAccountCode,
  };
}

/** What the accounts form shows of a merchant, with the version that form carries. */
export function currentAccounts(merchant: Merchant): Record<string, string> {
  const shown = accountsShown(merchant);
  return { ...shown, version: formVersion(shown) };
}

/** What the accounts form's version digests. */
function accountsShown(merchant: Merchant): Record<string, string> {
  const shown: Record<string, string> = {
    clearingAccountId: merchant.clearingAccountId,
    feeAccountCode: merchant.feeAccountCode ?? '',
    salesAccountCode: merchant.salesAccountCode ?? '',
    withholdingAccountCode: merchant.withholdingAccountCode ?? '',
  };
  for (const [currency, accountId] of Object.entries(merchant.clearingAccounts)) shown[`clearing_${currency}`] = accountId;
  return shown;
}

type AccountsInput = Pick<AccountsWrite, 'clearingAccountId' | 'clearingAccounts' | 'feeAccountCode' | 'salesAccountCode'> & {
  withholdingAccountCode: string | null;
};

/** What of the accounts form's choices the organisation's accounts do not allow, by field. */
function accountsErrors(view: AccountsView, input: AccountsInput) {
  const errors: Record<string, Message | string> = {};
  const clearing = view.bankAccounts.find((b) => b.accountId === input.clearingAccountId);
  if (!clearing) errors.clearingAccountId = 'errors:bankAccountChoose';
  for (const [currency, accountId] of Object.entries(input.clearingAccounts)) {
    const account = view.bankAccounts.find((b) => b.accountId === accountId);
    // A currency the form did not offer has no field to show its error next to.
    const field = view.currencies.includes(currency) ? `clearing_${currency}` : 'form';
    if (!account) errors[field] = 'errors:bankAccountChoose';
    else if (currencyOf(account, view.baseCurrency) !== currency) errors[field] = message('errors:accountCurrency', { currency });
  }
  if (!view.expenseAccounts.some((a) => a.code === input.feeAccountCode)) errors.feeAccountCode = 'errors:expenseAccountChoose';
  if (input.salesAccountCode !== null && !view.revenueAccounts.some((a) => a.code === input.salesAccountCode))
    errors.salesAccountCode = 'errors:revenueAccountChoose';
  if (input.withholdingAccountCode !== null && !view.withholdingAccounts.some((a) => a.code === input.withholdingAccountCode))
    errors.withholdingAccountCode = 'errors:withholdingAccountChoose';
  return { view, clearing, errors };
}

/** Step 3: the default clearing account, per-currency ones, the fee expense account and (optional) sales account. */
export async function saveAccounts(
  deps: MerchantOnboardingDeps,
  actor: User,
  merchantId: string,
  input: {
    clearingAccountId: string;
    clearingAccounts: Record<string, string>;
    feeAccountCode: string;
    salesAccountCode: string | null;
    withholdingAccountCode: string | null;
    /** The version the form was shown with (currentAccounts); another save since then refuses it. */
    version?: string;
  },
): Promise<Merchant> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  const { view, clearing, errors } = await checkedAgainstLists(
    deps,
    merchant.id,
    async () => accountsErrors(await accountsView(deps, merchant), input),
    (r) => Object.keys(r.errors).length > 0,
  );
  if (!clearing || Object.keys(errors).length) throw new FormInvalid(errors);
  const { version, ...accounts } = input;
  const now = deps.clock();
  const clearingCurrency = currencyOf(clearing, view.baseCurrency);
  // The version is checked under the merchant's row lock, in the transaction that writes: another
  // save made meanwhile (since the form was shown, or during the Xero calls above) refuses this one,
  // unless it stored exactly these accounts (a double click): then this one is answered as saved.
  const save = await saveVersioned(
    {
      version,
      shown: accountsShown,
      posted: (stored: Merchant) => ({ ...stored, ...accounts }),
      alsoSame: (stored) => stored.clearingCurrency === clearingCurrency,
    },
    // Its currency, as Xero stated it: /pay refuses invoices of a currency no clearing account holds.
    // A withholding tax account set now books the tax withheld from payments recorded without it:
    // worked out in the transaction that sets it, from the merchant and payments as stored then.
    (check) =>
      deps.stores.merchants.setAccounts(
        merchant.id,
        { ...accounts, clearingCurrency },
        now,
        check,
        withholdingCatchUp(deps, accounts.withholdingAccountCode, now),
      ),
  );
  if (!('saved' in save)) return (await deps.stores.merchants.byId(merchant.id))!;
  const feeJobs = save.saved;
  await deps.stores.merchants.activateIfComplete(merchant.id, now);
  await recordChange(deps, actor, merchant.id, 'accounts_changed', accountsAudit(accounts));
  deps.logger.info({ merchantId, by: actor.id, ...(feeJobs ? { withholdingFeesQueued: feeJobs } : {}) }, 'merchant accounts saved');
  return (await deps.stores.merchants.byId(merchant.id))!;
}

/**
 * "Create a Xendit bank account for me": a BANK account named Xendit (Xendit <CUR> for other
 * currencies) in Xero, made the clearing account for that currency. An account of that name and
 * currency already there is reused, so a second click (or a retry after a lost answer) adds nothing.
 */
export async function createXenditBankAccount(deps: MerchantOnboardingDeps, actor: User, merchantId: string, currency: string): Promise<XeroBankAccount> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  // Read now, not as kept: whether to create is decided on what Xero holds.
  const [org, banks] = await Promise.all([xeroCall(() => deps.xero.getOrganisation(merchant.xero)), xeroCall(() => deps.xero.listBankAccounts(merchant.xero))]);
  const base = org.baseCurrency;
  const name = currency === base ? XENDIT_BANK.name : `${XENDIT_BANK.name} ${currency}`;
  let account = banks.find((b) => b.name.toLowerCase() === name.toLowerCase() && currencyOf(b, base) === currency);
  if (!account) {
    if (banks.some((b) => b.name.toLowerCase() === name.toLowerCase())) throw new FormInvalid({ currency: message('errors:accountNameTaken', { name }) });
    try {
      account = await deps.xero.createBankAccount(
        merchant.xero,
        { name, accountNumber: XENDIT_BANK.accountNumber, currencyCode: currency },
        `xendit-bank:${merchant.id}:${currency}`,
      );
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === 'rejected') {
        // Xero takes a bank account only in a currency added to the organisation: its refusal says so
        // ("Organisation is not subscribed to currency USD"), and the form says what to do about it.
        const notAdded = /not subscribed to currency/i.test(err.message);
        throw new FormInvalid({ currency: message(notAdded ? 'errors:currencyNotInXero' : 'errors:accountCreateRefused', { detail: err.message, currency }) });
      }
      return xeroCall(() => Promise.reject(err));
    } finally {
      // Made, or maybe made (no answer): the page's list of bank accounts is read again.
      forgetXeroLists(deps, merchant.id);
    }
    await recordChange(deps, actor, merchant.id, 'xendit_bank_account_created', { currency, accountId: account.accountId });
    deps.logger.info({ merchantId, currency, accountId: account.accountId, by: actor.id }, 'xendit bank account created in xero');
  }
  const now = deps.clock();
  const clearingAccounts = { ...merchant.clearingAccounts };
  let clearingAccountId = merchant.clearingAccountId;
  if (!clearingAccountId || currency === base) clearingAccountId = account.accountId;
  if (clearingAccountId !== account.accountId) clearingAccounts[currency] = account.accountId;
  else delete clearingAccounts[currency];
  const next = {
    clearingAccountId,
    ...(clearingAccountId === account.accountId ? { clearingCurrency: currency } : {}),
    clearingAccounts,
    feeAccountCode: merchant.feeAccountCode ?? DEFAULT_FEE_ACCOUNT_CODE,
    salesAccountCode: merchant.salesAccountCode,
  };
  // An account already there (reused, not created) still moves the money's clearing account: audited
  // like the accounts form. A second click that changes nothing writes and records nothing.
  const sameAccounts = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([c, id]) => b[c] === id);
  const changed =
    next.clearingAccountId !== merchant.clearingAccountId ||
    (next.clearingCurrency !== undefined && next.clearingCurrency !== merchant.clearingCurrency) ||
    !sameAccounts(next.clearingAccounts, merchant.clearingAccounts) ||
    next.feeAccountCode !== merchant.feeAccountCode;
  if (changed) {
    await deps.stores.merchants.setAccounts(merchant.id, next, now);
    await recordChange(deps, actor, merchant.id, 'accounts_changed', accountsAudit({ ...next, withholdingAccountCode: merchant.withholdingAccountCode }));
  }
  await deps.stores.merchants.activateIfComplete(merchant.id, now);
  return account;
}
