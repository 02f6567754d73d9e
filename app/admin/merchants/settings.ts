/**
 * The merchant settings page's switches. Each is a radio group: its options, how it reads from a
 * merchant and what it stores. A new switch is one entry here, its text in locales/<lang>/admin.json
 * (setting_<key>, setting_<key>_help, setting_<key>_<option>) and its column in
 * MerchantStore.setSettings. The sales tax of the backend flow is a list read from Xero instead
 * (salesTaxView, and its own check in saveSettings).
 */
import type { User } from '../../store/users.js';
import type { Merchant, MerchantSettings } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import type { XeroLedgerAccount, XeroTaxRate } from '../../clients/xero/types.js';
import { FormInvalid } from '../../errors.js';
import { ALL_CHANNELS } from '../../clients/xendit/channels.js';
import { merchantToChange, xeroCall, type MerchantOnboardingDeps } from './service.js';
import { formVersion, saveVersioned } from '../fields.js';
import { checkedAgainstLists, xeroListsOf } from './xero-lists.js';

interface SettingDef<K extends keyof MerchantSettings> {
  key: K;
  options: readonly string[];
  read(m: Merchant): string;
  value(option: string): MerchantSettings[K];
}

const setting = <K extends keyof MerchantSettings>(def: SettingDef<K>) => def;

export const MERCHANT_SETTINGS = [
  setting({ key: 'backendFlow', options: ['true', 'false'], read: (m) => String(m.backendFlow), value: (o) => o === 'true' }),
  setting({
    key: 'feePosting',
    options: ['bank_transaction', 'manual_journal', 'off'],
    read: (m) => m.feePosting,
    value: (o) => o as MerchantSettings['feePosting'],
  }),
  setting({
    key: 'xenditFeeBilling',
    options: ['deducted', 'invoiced'],
    read: (m) => m.xenditFeeBilling,
    value: (o) => o as MerchantSettings['xenditFeeBilling'],
  }),
  setting({ key: 'overpayments', options: ['false', 'true'], read: (m) => String(m.overpayments), value: (o) => o === 'true' }),
  setting({ key: 'xeroTestOrganisation', options: ['false', 'true'], read: (m) => String(m.xeroTestOrganisation), value: (o) => o === 'true' }),
  setting({
    key: 'partialMinPercent',
    options: ['off', '10', '25', '50'],
    read: (m) => (m.partialMinPercent === null ? 'off' : String(m.partialMinPercent)),
    value: (o) => (o === 'off' ? null : Number(o)),
  }),
  setting({
    key: 'checkoutHours',
    options: ['default', '1', '24', '72', '168'],
    read: (m) => (m.checkoutHours === null ? 'default' : String(m.checkoutHours)),
    value: (o) => (o === 'default' ? null : Number(o)),
  }),
  setting({ key: 'xenditReceipts', options: ['false', 'true'], read: (m) => String(m.xenditReceipts), value: (o) => o === 'true' }),
];

/** What the settings form shows of a merchant: what its version digests. */
function settingsShown(m: Merchant): Record<string, string> {
  return {
    ...Object.fromEntries(MERCHANT_SETTINGS.map((s) => [s.key, s.read(m)])),
    salesTaxType: m.salesTaxType ?? '',
    otherMovementsAccount: m.otherMovementsAccountCode ?? '',
    paymentMethods: (m.paymentMethods ?? []).join(','),
  };
}

export function currentSettings(m: Merchant): Record<string, string> {
  const shown = settingsShown(m);
  return { ...shown, version: formVersion(shown) };
}

/**
 * The tax rates a backend-flow sale may carry: the organisation's active rates for revenue, read
 * live from Xero. NONE is left out: "No tax" (the empty choice) already says it.
 */
async function salesTaxRates(deps: MerchantOnboardingDeps, merchant: Merchant): Promise<XeroTaxRate[]> {
  return (await xeroListsOf(deps, merchant).salesTaxRates()).filter((r) => r.taxType !== 'NONE');
}

export interface SalesTaxView {
  rates: XeroTaxRate[];
  /** Xero could not be asked (down, or the connection refused): only the stored choice is shown. */
  unavailable: boolean;
  /** The stored TaxType is no longer among Xero's active sales rates. */
  stale: boolean;
}

/** For the settings page; Xero's trouble does not keep the other switches from being shown. */
export async function salesTaxView(deps: MerchantOnboardingDeps, merchant: Merchant): Promise<SalesTaxView> {
  try {
    const rates = await salesTaxRates(deps, merchant);
    return { rates, unavailable: false, stale: merchant.salesTaxType !== null && !rates.some((r) => r.taxType === merchant.salesTaxType) };
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    deps.logger.warn({ merchantId: merchant.id, err: err.message }, 'xero tax rates not read for the settings page');
    return { rates: [], unavailable: true, stale: false };
  }
}

/**
 * '' is no tax. A TaxType must be one of Xero's active sales rates now (a value the list never
 * offered is a 400). Only when Xero cannot be asked is the stored choice kept unchecked, so the
 * other switches can still be changed.
 */
async function salesTaxChoice(deps: MerchantOnboardingDeps, merchant: Merchant, sent: unknown): Promise<{ value: string | null } | { error: string }> {
  if (typeof sent !== 'string') return { error: 'errors:taxRateChoose' };
  if (sent === '') return { value: null };
  let rates: XeroTaxRate[];
  try {
    rates = await salesTaxRates(deps, merchant);
  } catch (err) {
    if (err instanceof UpstreamError && sent === merchant.salesTaxType) return { value: sent };
    return xeroCall(() => Promise.reject(err));
  }
  return rates.some((r) => r.taxType === sent) ? { value: sent } : { error: 'errors:taxRateChoose' };
}

export interface OtherMovementsView {
  /** The accounts a Spend or Receive Money line may be coded to, read live from Xero. */
  accounts: XeroLedgerAccount[];
  /** Xero could not be asked: only the stored choice is shown. */
  unavailable: boolean;
  /** The stored account is no longer among them (archived, deleted, made a bank account). */
  stale: boolean;
  stored: string | null;
}

/** For the settings page's "Book Xendit's other balance movements"; Xero's trouble does not keep the other switches from being shown. */
export async function otherMovementsView(deps: MerchantOnboardingDeps, merchant: Merchant): Promise<OtherMovementsView> {
  const stored = merchant.otherMovementsAccountCode;
  try {
    const accounts = await xeroListsOf(deps, merchant).lineAccounts();
    return { accounts, unavailable: false, stale: stored !== null && !accounts.some((a) => a.code === stored), stored };
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    deps.logger.warn({ merchantId: merchant.id, err: err.message }, 'xero accounts not read for the settings page');
    return { accounts: [], unavailable: true, stale: false, stored };
  }
}

/**
 * '' is off. An account must be one a Spend or Receive Money line may be coded to now; only when
 * Xero cannot be asked is the stored choice kept unchecked, so the other switches can still be changed.
 */
async function otherMovementsChoice(
  deps: Pick<MerchantOnboardingDeps, 'xero' | 'xeroLists'>,
  merchant: Merchant,
  sent: unknown,
): Promise<{ value: string | null | undefined } | { error: string }> {
  // Not sent: a form shown before this setting existed (or a script that does not know it) leaves it as it is.
  if (sent === undefined) return { value: undefined };
  if (typeof sent !== 'string') return { error: 'errors:otherMovementsAccountChoose' };
  if (sent === '') return { value: null };
  let accounts: XeroLedgerAccount[];
  try {
    accounts = await xeroListsOf(deps, merchant).lineAccounts();
  } catch (err) {
    if (err instanceof UpstreamError && sent === merchant.otherMovementsAccountCode) return { value: sent };
    return xeroCall(() => Promise.reject(err));
  }
  return accounts.some((a) => a.code === sent) ? { value: sent } : { error: 'errors:otherMovementsAccountChoose' };
}

/**
 * Test-key money is booked only into an organisation marked a test one (mayRecordInXero): marked on
 * an owner's word, a real organisation's books would take money that never moved. So an owner may
 * mark it only when Xero says it is its Demo Company (Organisation.IsDemoCompany); anyone else's
 * test organisation (a second, sandbox one) is marked by an operator. For the page: whether the
 * actor is kept from marking it, from Xero's answer as kept for a minute (the save reads it anew).
 */
export async function testOrganisationLocked(deps: MerchantOnboardingDeps, actor: User, merchant: Merchant): Promise<boolean> {
  if (actor.role === 'operator' || merchant.xeroTestOrganisation) return false;
  try {
    return !(await xeroListsOf(deps, merchant).organisation()).isDemoCompany;
  } catch (err) {
    if (!(err instanceof UpstreamError)) throw err;
    return true;
  }
}

/** A non-operator turning it on: Xero is asked now whether the organisation is its Demo Company. */
async function testOrganisationRefused(deps: MerchantOnboardingDeps, actor: User, merchant: Merchant, value: boolean | undefined): Promise<boolean> {
  if (value !== true || merchant.xeroTestOrganisation || actor.role === 'operator') return false;
  return !(await xeroCall(() => deps.xero.getOrganisation(merchant.xero))).isDemoCompany;
}

/** Every switch must carry one of its options (a form always sends all of them), and the sales tax one of Xero's rates or none. */
export async function saveSettings(deps: MerchantOnboardingDeps, actor: User, merchantId: string, form: Record<string, unknown>): Promise<Merchant> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  const errors: Record<string, string> = {};
  const values: Partial<MerchantSettings> = {};
  for (const s of MERCHANT_SETTINGS) {
    const option = form[s.key];
    if (typeof option !== 'string' || !s.options.includes(option)) errors[s.key] = 'errors:optionChoose';
    else Object.assign(values, { [s.key]: s.value(option) });
  }
  if (await testOrganisationRefused(deps, actor, merchant, values.xeroTestOrganisation)) errors.xeroTestOrganisation = 'errors:testOrganisationOperatorOnly';
  // Checkboxes: none ticked sends nothing, which means every channel.
  const methods = (Array.isArray(form.paymentMethods) ? form.paymentMethods : form.paymentMethods === undefined ? [] : [form.paymentMethods]) as unknown[];
  if (methods.some((m) => typeof m !== 'string' || !ALL_CHANNELS.has(m))) errors.paymentMethods = 'errors:optionChoose';
  else values.paymentMethods = methods.length ? [...new Set(methods as string[])] : null;
  // Checked against Xero's lists as kept, and read again for a choice they do not hold (xero-lists.ts).
  const refused = (r: object) => 'error' in r;
  const tax = await checkedAgainstLists(deps, merchant.id, () => salesTaxChoice(deps, merchant, form.salesTaxType), refused);
  if ('error' in tax) errors.salesTaxType = tax.error;
  else values.salesTaxType = tax.value;
  const other = await checkedAgainstLists(deps, merchant.id, () => otherMovementsChoice(deps, merchant, form.otherMovementsAccount), refused);
  if ('error' in other) errors.otherMovementsAccount = other.error;
  else if (other.value !== undefined) values.otherMovementsAccountCode = other.value;
  if (Object.keys(errors).length) throw new FormInvalid(errors, errors.salesTaxType || errors.otherMovementsAccount ? 400 : 422);
  // Stored exactly as sent since the form was shown (a double click): answered as saved, nothing written.
  const save = await saveVersioned({ version: form.version, shown: settingsShown, posted: (stored: Merchant) => ({ ...stored, ...values }) }, (check) =>
    applySettings(deps, merchant, values, actor.email, check),
  );
  return 'saved' in save ? save.saved : (await deps.stores.merchants.byId(merchant.id))!;
}

/**
 * The CLI's merchants other-movements: the account (null: off) checked against the merchant's Xero
 * chart as the settings form checks it, then the one write, which dates the start as the form's does.
 */
export async function saveOtherMovements(
  deps: Pick<MerchantOnboardingDeps, 'stores' | 'clock' | 'logger' | 'xero'>,
  merchant: Merchant,
  accountCode: string | null,
  by: string,
): Promise<Merchant> {
  const other = await otherMovementsChoice(deps, merchant, accountCode ?? '');
  if ('error' in other) throw new FormInvalid({ otherMovementsAccount: other.error }, 400);
  return applySettings(deps, merchant, { otherMovementsAccountCode: other.value ?? null }, by);
}

/**
 * The one write of a merchant's settings: the settings form (saveSettings, once every field is
 * checked) and the CLI (merchants fee-posting, overpayments, other-movements, …) all end here. What is not
 * given keeps its stored value. `check` (the form's version) is run on the merchant as stored,
 * under its row lock in the transaction that writes, and refuses the write by throwing.
 */
export async function applySettings(
  deps: Pick<MerchantOnboardingDeps, 'stores' | 'clock' | 'logger'>,
  merchant: Merchant,
  values: Partial<MerchantSettings>,
  by: string,
  check?: (stored: Merchant) => void,
): Promise<Merchant> {
  await deps.stores.merchants.setSettings(merchant.id, values, deps.clock(), check);
  await deps.stores.audit.record(
    { merchantId: merchant.id, userId: null, userEmail: by, action: 'settings_changed', detail: auditDetail(values) },
    deps.clock(),
  );
  deps.logger.info({ merchantId: merchant.id, settings: values, by }, 'merchant settings saved');
  return (await deps.stores.merchants.byId(merchant.id))!;
}

/** The audit log keeps scalars: a list of channels is written as one comma-separated value. */
function auditDetail(values: Partial<MerchantSettings>): Record<string, string | number | boolean | null> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v as string | number | boolean | null)]));
}
