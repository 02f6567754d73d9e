/**
 * The merchant settings page's switches. Each is a radio group: its options, how it reads from a
 * merchant and what it stores. A new switch is one entry here, its text in admin-text.ts
 * (setting_<key>, setting_<key>_help, setting_<key>_<option>) and its column in
 * MerchantStore.setSettings.
 */
import type { User } from '../store/users.js';
import type { Merchant, MerchantSettings } from '../store/merchants.js';
import { FormInvalid } from './service.js';
import { merchantFor, type MerchantOnboardingDeps } from './merchants.js';

interface SettingDef<K extends keyof MerchantSettings> {
  key: K;
  options: readonly string[];
  read(m: Merchant): string;
  value(option: string): MerchantSettings[K];
}

const setting = <K extends keyof MerchantSettings>(def: SettingDef<K>) => def;

export const MERCHANT_SETTINGS = [
  setting({ key: 'backendFlow', options: ['true', 'false'], read: (m) => String(m.backendFlow), value: (o) => o === 'true' }),
  setting({ key: 'feePosting', options: ['bank_transaction', 'manual_journal', 'off'], read: (m) => m.feePosting, value: (o) => o as MerchantSettings['feePosting'] }),
  setting({ key: 'overpayments', options: ['false', 'true'], read: (m) => String(m.overpayments), value: (o) => o === 'true' }),
];

export function currentSettings(m: Merchant): Record<string, string> {
  return Object.fromEntries(MERCHANT_SETTINGS.map((s) => [s.key, s.read(m)]));
}

/** Every switch must carry one of its options (a form always sends all of them). */
export async function saveSettings(deps: MerchantOnboardingDeps, actor: User, merchantId: string, form: Record<string, unknown>): Promise<Merchant> {
  const merchant = await merchantFor(deps, actor, merchantId);
  const errors: Record<string, string> = {};
  const values: Partial<MerchantSettings> = {};
  for (const s of MERCHANT_SETTINGS) {
    const option = form[s.key];
    if (typeof option !== 'string' || !s.options.includes(option)) errors[s.key] = 'Choose one of the options.';
    else Object.assign(values, { [s.key]: s.value(option) });
  }
  if (Object.keys(errors).length) throw new FormInvalid(errors);
  await deps.stores.merchants.setSettings(merchant.id, values as MerchantSettings, deps.clock());
  deps.logger.info({ merchantId, settings: values, by: actor.id }, 'merchant settings saved');
  return (await deps.stores.merchants.byId(merchant.id))!;
}
