/**
 * The settlement bank accounts: per currency, the Xero bank account Xendit's withdrawals go to (the
 * merchant's real bank account), so each withdrawal becomes a Bank Transfer from the clearing account
 * to it (jobs/sync/record-withdrawal.ts). Only the organisation's BANK accounts of that currency are
 * offered, never the currency's clearing account. Over it, an account per destination (the bank
 * account Xendit says a withdrawal went to: settlement-destinations.ts), for a merchant who
 * withdraws to more than one bank in a currency.
 */
import type { User } from '../../store/users.js';
import { clearingAccountFor, type Merchant } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import type { XeroBankAccount } from '../../clients/xero/types.js';
import { FormInvalid } from '../../errors.js';
import { JOB_SPECS } from '../../jobs/kinds.js';
import { message, type Message } from '../../i18n/index.js';
import { recordChange } from '../audit.js';
import { merchantToChange, xeroCall, type MerchantOnboardingDeps } from './service.js';
import { formVersion, saveVersioned } from '../fields.js';
import type { SettlementChoices } from '../../store/settlement-destinations.js';
import { checkDestinations, destinationsByCurrency, destinationsShown, type DestinationView } from './settlement-destinations.js';
import { checkedAgainstLists, xeroListsOf } from './xero-lists.js';

export interface SettlementView {
  /**
   * Per currency the merchant has a clearing account for: the bank accounts it may pick, its choice,
   * withdrawals waiting, and the destinations its withdrawals went to, each with its own choice.
   * Not `offered`: listed for its withdrawals or stored choices only, its clearing account since
   * removed; the page draws no picker for it (none could be saved), only why.
   */
  currencies: { currency: string; options: XeroBankAccount[]; chosen: string; waiting: number; destinations: DestinationView[]; offered: boolean }[];
  /** Xero could not be asked: the choices are shown without their names, and cannot be changed. */
  unavailable: boolean;
  /** The form's hidden version: formVersion of the stored choices it shows (settlementShown). */
  version: string;
}

/**
 * What the settlement form's version digests: the stored choices only, so a change of the currencies
 * or destinations offered or a save of the settings form above it does not refuse it; another tab's
 * save of it does.
 */
function settlementShown(stored: SettlementChoices): Record<string, string> {
  return {
    ...Object.fromEntries(Object.entries(stored.accounts).map(([currency, accountId]) => [`settlement_${currency}`, accountId])),
    ...destinationsShown(stored.destinations),
  };
}

/** The destinations listed: those of the merchant's recorded and waiting withdrawals, and those with an account. */
async function listedDestinations(deps: MerchantOnboardingDeps, merchant: Merchant) {
  const [seen, stored] = await Promise.all([deps.stores.settlements.seen(merchant.id), deps.stores.settlements.destinations(merchant.id)]);
  return { stored, listed: destinationsByCurrency(seen, stored) };
}

/** The currencies withdrawals can be recorded in: those with a clearing account (the base one first). */
async function offered(deps: MerchantOnboardingDeps, merchant: Merchant): Promise<{ currency: string; options: XeroBankAccount[] }[]> {
  const lists = xeroListsOf(deps, merchant);
  const [org, banks] = await Promise.all([lists.organisation(), lists.bankAccounts()]);
  const base = org.baseCurrency;
  const currencies = [...new Set([base, ...Object.keys(merchant.clearingAccounts)])];
  return currencies.map((currency) => {
    const clearing = clearingAccountFor(merchant, currency);
    return { currency, options: banks.filter((b) => (b.currencyCode || base) === currency && b.accountId !== clearing) };
  });
}

export async function settlementView(deps: MerchantOnboardingDeps, merchant: Merchant): Promise<SettlementView> {
  const [chosen, waiting, { stored, listed }] = await Promise.all([
    deps.stores.settlements.accounts(merchant.id),
    deps.stores.settlements.waitingByCurrency(merchant.id),
    listedDestinations(deps, merchant),
  ]);
  let list: { currency: string; options: XeroBankAccount[]; offered?: false }[];
  let unavailable = false;
  try {
    list = await offered(deps, merchant);
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    deps.logger.warn({ merchantId: merchant.id, err: err.message }, 'xero bank accounts not read for the settlement picker');
    list = Object.keys(chosen).map((currency) => ({ currency, options: [] }));
    unavailable = true;
  }
  // Xero unread, whether a currency is offered is not known: its picker is drawn, disabled like the rest.
  for (const currency of [...Object.keys(waiting), ...listed.keys()])
    if (!list.some((c) => c.currency === currency)) list.push({ currency, options: [], ...(unavailable ? {} : { offered: false as const }) });
  return {
    currencies: list.map((c) => ({
      ...c,
      offered: c.offered ?? true,
      chosen: chosen[c.currency] ?? '',
      waiting: waiting[c.currency] ?? 0,
      destinations: listed.get(c.currency) ?? [],
    })),
    unavailable,
    version: formVersion(settlementShown({ accounts: chosen, destinations: stored })),
  };
}

/** The choices sent that the page could have offered, and what is wrong with the others, by field. */
function settlementErrors(list: { currency: string; options: XeroBankAccount[] }[], sent: Record<string, string>) {
  const errors: Record<string, Message | string> = {};
  const accounts: Record<string, string> = {};
  for (const [currency, accountId] of Object.entries(sent)) {
    const row = list.find((c) => c.currency === currency);
    // A currency no longer offered (its clearing account removed) may still be drawn empty: ignored.
    if (!row) {
      if (accountId) errors.form = message('errors:settlementCurrency', { currency });
    } else if (accountId && !row.options.some((o) => o.accountId === accountId))
      errors[`settlement_${currency}`] = message('errors:settlementAccountChoose', { currency });
    else if (accountId) accounts[currency] = accountId;
  }
  return { errors, accounts };
}

/**
 * settlement_<CUR>=<AccountID> for each currency; '' means none. Every value must be one the page
 * offered (a BANK account of that currency other than its clearing account) or the form is
 * refused with nothing written. '' for a currency no longer offered (its clearing account removed
 * while a tab showed its picker) is passed over: it asks for nothing, and refusing it would make
 * the form unsaveable for every other currency. `destinations`: dest_<CUR>_<…>=<AccountID> for each destination
 * listed, '' for the currency's (checkDestinations), the same way. Saved, the withdrawals that
 * waited for a currency or destination now chosen run.
 * `version` is the one the form was shown with (SettlementView): another save since then refuses it
 * (StaleForm), as the form posts every currency and would put back what it showed.
 */
export async function saveSettlementAccounts(
  deps: MerchantOnboardingDeps,
  actor: User,
  merchantId: string,
  sent: Record<string, string>,
  version?: string,
  destinations: Record<string, unknown> = {},
): Promise<Merchant> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  const { listed } = await listedDestinations(deps, merchant);
  // Checked against Xero's bank accounts as kept, and read again for a choice they do not hold (xero-lists.ts).
  const { errors, accounts, mapped } = await checkedAgainstLists(
    deps,
    merchant.id,
    async () => {
      const list = await xeroCall(() => offered(deps, merchant));
      const checked = settlementErrors(list, sent);
      return { ...checked, mapped: checkDestinations(destinations, listed, list, checked.errors) };
    },
    (r) => Object.keys(r.errors).length > 0,
  );
  if (Object.keys(errors).length) throw new FormInvalid(errors, 400);
  // Checked under the merchant's row lock, in the transaction that writes: of two saves of one
  // version, the second sees the first's, and is refused unless the first stored exactly these
  // accounts (a double click: answered as saved, nothing written).
  const save = await saveVersioned({ version, shown: settlementShown, posted: () => ({ accounts, destinations: mapped }) }, (check) =>
    deps.stores.settlements.saveAndResume(
      merchant.id,
      { accounts, destinations: mapped },
      (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w),
      deps.clock(),
      check,
    ),
  );
  if (!('saved' in save)) return merchant;
  const resumed = save.saved;
  await recordChange(deps, actor, merchant.id, 'settlement_accounts_changed', {
    accounts: Object.entries(accounts)
      .map(([c, a]) => `${c}=${a}`)
      .join(' '),
    destinations: mapped.map((d) => `${d.currency} ${d.accountIdentifier}=${d.accountId}`).join('; '),
  });
  deps.logger.info({ merchantId, by: actor.id, resumed }, 'settlement bank accounts saved');
  return merchant;
}
