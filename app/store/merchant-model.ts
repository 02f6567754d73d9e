/** A merchant as the gateway uses it, and how a merchants row (secrets sealed) becomes one. */
import type { ClearingAccountsTable, FeePosting, MerchantsTable, MerchantStatus, XenditFeeBilling } from './schema.js';
export type { XenditFeeBilling } from './schema.js';
import { secretContext, type SecretBox } from '../security/secrets.js';
import type { XeroCredentials } from '../clients/xero/types.js';
import type { Selectable } from 'kysely';

export interface Merchant {
  id: string;
  name: string;
  shortCode: string;
  xero: XeroCredentials;
  /** custom: Custom Connection (client_credentials); oauth: "Connect to Xero" (token set in xero_tokens). */
  xeroConnection: 'custom' | 'oauth';
  /** Set while Xero refuses our refresh token (invalid_grant) or after a disconnect; null when connected. */
  xeroDisconnected: { at: Date; reason: string } | null;
  /** '' while onboarding, until the key is verified with Xendit (then never ''). */
  xenditSecretKey: string;
  /** Both stored keys ('' when absent); xenditSecretKey is the one of the active mode. */
  xenditKeys: Record<XenditMode, string>;
  /** '' while onboarding; an empty x-callback-token never authenticates (callbacks/service.ts). */
  callbackToken: string;
  /** The active mode: its key is the one /pay, callbacks and jobs use. */
  mode: XenditMode;
  /** Default clearing bank account (Xero AccountID); '' while onboarding. */
  clearingAccountId: string;
  /** The default clearing account's currency; null until known (pay/clearing.ts learns it from Xero). */
  clearingCurrency: string | null;
  /** Clearing accounts for other currencies, by ISO code. */
  clearingAccounts: Record<string, string>;
  /** Expense account (by code) that Xendit's fees are posted to. */
  feeAccountCode: string | null;
  /** Account (by code) that tax Xendit withholds from a payment is booked to, beside the fee; null: not set (the fee goes to review). */
  withholdingAccountCode: string | null;
  /** Revenue account (by code) for payments made outside Xero; null when not chosen. */
  salesAccountCode: string | null;
  /** Xero TaxType code on the lines of backend-flow sales (amounts tax-inclusive); null: no tax. */
  salesTaxType: string | null;
  feePosting: FeePosting;
  /** deducted: Xendit keeps its fee from each payment, which is posted per payment; invoiced: billed separately, nothing posted per payment. */
  xenditFeeBilling: XenditFeeBilling;
  /** On: paid Xendit invoices this gateway did not create are recorded in Xero (backend flow). */
  backendFlow: boolean;
  /** On: money collected beyond the Xero invoice's AmountDue becomes a Xero overpayment. */
  overpayments: boolean;
  /** Customers may pay part of an invoice, at least this percent of the amount due; null: only in full. */
  partialMinPercent: number | null;
  /** How long a new checkout stays payable, hours; null: the configured default. */
  checkoutHours: number | null;
  /** Xendit e-mails the customer its own receipt when the invoice is paid. */
  xenditReceipts: boolean;
  /** The Xendit payment channels customers may use (codes); null: every channel. */
  paymentMethods: string[] | null;
  /** On: the Xero organisation is a test/demo company, so payments made in Xendit test mode may be recorded in it. */
  xeroTestOrganisation: boolean;
  /** The Xero organisation's Timezone (e.g. SEASIASTANDARDTIME), once read; null until then. */
  xeroTimezone: string | null;
  /** The organisation's later lock date (YYYY-MM-DD) as last read; nothing is dated on or before it. */
  xeroLockDate: string | null;
  /** When the time zone and lock dates were last read from Xero. */
  xeroLockReadAt: Date | null;
  /** The organisation's BaseCurrency, once read; null until then. Xero does not change it once set. */
  xeroBaseCurrency: string | null;
  /**
   * Xendit's other balance movements (payouts, transfers, top-ups, …) are booked on the clearing
   * account against this account (by code); null: off, they are the merchant's to book.
   */
  otherMovementsAccountCode: string | null;
  /** When otherMovementsAccountCode was set: nothing that moved at Xendit before is booked. */
  otherMovementsSince: Date | null;
  /** Xero's daily call budget for this organisation when smaller than the configured default. */
  xeroDayLimit?: number;
  status: MerchantStatus;
  createdAt: Date;
}

/**
 * Whether the scheduled listings look for money that moved at Xendit (refunds, withdrawals): an
 * active merchant, and a disabled one too. Disabling stops new payment links; the money its
 * customers already paid still leaves Xendit, and its callbacks are still booked (callbacks/service.ts).
 */
export function listsMovements(m: Pick<Merchant, 'status' | 'xenditSecretKey'>): boolean {
  return MOVEMENT_STATUSES.includes(m.status) && !!m.xenditSecretKey;
}
/** listsMovements' statuses, for the scheduled looks that pick merchants in SQL. */
export const MOVEMENT_STATUSES: readonly MerchantStatus[] = ['active', 'disabled'];

/** The bank account a payment in this currency is recorded into. */
export function clearingAccountFor(merchant: Merchant, currency: string): string {
  return merchant.clearingAccounts[currency] ?? merchant.clearingAccountId;
}

/**
 * The clearing account a recorded payment's money is in: the one it was sent into
 * (payments.clearing_account), whatever the merchant chose since. What follows the payment (its
 * fee, its overpayment) goes there too, or one account is off by it after a switch. Today's only
 * for a payment nothing kept an account for (not yet sent, or sent before the account was kept).
 */
export function paymentClearingAccount(merchant: Merchant, payment: { currency: string; clearingAccount: string | null }): string {
  return payment.clearingAccount ?? clearingAccountFor(merchant, payment.currency);
}

/** Without the Xendit key, callback token and clearing account, the merchant starts 'onboarding'. */
export interface NewMerchant {
  name: string;
  shortCode: string;
  xero: XeroCredentials;
  xenditSecretKey?: string;
  callbackToken?: string;
  clearingAccountId?: string;
  /** clearingAccountId's currency, when the caller knows it. */
  clearingCurrency?: string;
  clearingAccounts?: Record<string, string>;
  feeAccountCode?: string;
  feePosting?: FeePosting;
  salesAccountCode?: string;
  backendFlow?: boolean;
  overpayments?: boolean;
  xeroTestOrganisation?: boolean;
  /**
   * Xero is connected later by the merchant's own Xero user (a connect link): the merchant starts as
   * an OAuth merchant without organisation, its ShortCode a placeholder until then; `reason` is the
   * stored (encoded) message the admin shows meanwhile.
   */
  connectLater?: { reason: string; now: Date };
}

/**
 * The ShortCode of a merchant whose Xero organisation is not known yet: unique, and never a ShortCode
 * a pay link can carry (the /pay query accepts only `!`, letters, digits, `_` and `-`).
 */
export function pendingShortCode(merchantId: string): string {
  return `~${merchantId}`;
}

/** Created with a connect link and not connected to Xero yet. */
export function awaitingXero(m: Pick<Merchant, 'xeroConnection' | 'xero'>): boolean {
  return m.xeroConnection === 'oauth' && m.xero.tenantId === '';
}

/** "Bank Fees" in Xero's default charts of accounts (and in the simulator). */
export const DEFAULT_FEE_ACCOUNT_CODE = '404';

/** "Sales" in Xero's default charts of accounts (and in the simulator). */
export const DEFAULT_SALES_ACCOUNT_CODE = '200';

export class ShortCodeTakenError extends Error {}

export type XenditMode = 'test' | 'live';

/** What the merchant settings page switches (app/admin/merchants/settings.ts). */
export interface MerchantSettings {
  backendFlow: boolean;
  feePosting: FeePosting;
  xenditFeeBilling: XenditFeeBilling;
  overpayments: boolean;
  xeroTestOrganisation: boolean;
  salesTaxType: string | null;
  partialMinPercent: number | null;
  checkoutHours: number | null;
  xenditReceipts: boolean;
  paymentMethods: string[] | null;
  otherMovementsAccountCode: string | null;
}

/**
 * Whether a payment this merchant takes now may be recorded in its Xero organisation: always in
 * live mode; in test mode only into an organisation marked as a test company, so test money never
 * reaches real books.
 */
export function mayRecordInXero(m: Pick<Merchant, 'xenditSecretKey' | 'xeroTestOrganisation'>): boolean {
  return modeOfXenditKey(m.xenditSecretKey) === 'live' || m.xeroTestOrganisation;
}

/** Xendit's secret keys say their mode: xnd_development_… or xnd_production_…. */
export function modeOfXenditKey(key: string): XenditMode {
  return key.startsWith('xnd_production_') ? 'live' : 'test';
}

/** A key's last 4 characters, as the admin and the audit log name a key without showing it. */
export function xenditKeyHint(key: string): string {
  return key ? `…${key.slice(-4)}` : '';
}

/** What a checkout remembers of the Xendit key that made it (checkouts.xendit_mode, xendit_key_hint). */
export interface MadeWithKey {
  xenditMode: XenditMode | null;
  xenditKeyHint: string | null;
}

/** The stored key that reaches a checkout's invoice, and its payment's transaction (checkoutKey). */
export interface CheckoutKey {
  /** '' when no key of that mode is stored: nothing can reach it. */
  key: string;
  mode: XenditMode;
  /** The last 4 characters of the key that made it, to name its account to people. */
  hint: string;
  /**
   * The key that made it was replaced since: `key` is the mode's key now, the only one that may
   * still reach it (a key rotated within the same Xendit business does; another business's finds
   * nothing, which callers take as unreachable, never as "no such invoice").
   */
  replaced: boolean;
}

/**
 * Which of the merchant's stored Xendit keys to read or expire a checkout's invoice (and its
 * payment's transaction) with: an invoice lives in the account of the key that made it, and the
 * merchant may have switched between test and live since. The key of the checkout's mode; the key
 * in use when the mode is not known (a payment without checkout, a row from before migration
 * 20261206T1600 had it). The one place this rule lives: record-payment, post-fee, fee-return,
 * reconcile and the invoice watch all ask here.
 */
export function checkoutKey(merchant: Pick<Merchant, 'xenditSecretKey' | 'xenditKeys' | 'mode'>, made?: MadeWithKey | null): CheckoutKey {
  const mode = made?.xenditMode;
  if (!mode) return { key: merchant.xenditSecretKey, mode: merchant.mode, hint: xenditKeyHint(merchant.xenditSecretKey), replaced: false };
  const key = merchant.xenditKeys[mode] || (mode === merchant.mode ? merchant.xenditSecretKey : '');
  const hint = made.xenditKeyHint || xenditKeyHint(key);
  return { key, mode, hint, replaced: !key || hint !== xenditKeyHint(key) };
}

/**
 * Every stored Xendit key that can still reach something of the merchant's at Xendit, with its
 * mode, the key in use first: by checkoutKey's rule, the key each mode's checkouts and payments are
 * read with. The scheduled listings read with each (a payment, refund, withdrawal or dispute in the
 * account of the mode not in use moves all the same), each key's findings test or live money by
 * its own mode, never by the mode in use.
 */
export function listingKeys(merchant: Pick<Merchant, 'xenditSecretKey' | 'xenditKeys' | 'mode'>): { mode: XenditMode; key: string }[] {
  const modes: XenditMode[] = merchant.mode === 'live' ? ['live', 'test'] : ['test', 'live'];
  return modes.map((mode) => ({ mode, key: checkoutKey(merchant, { xenditMode: mode, xenditKeyHint: null }).key })).filter((k) => k.key);
}

/** Columns of merchants holding sealed secrets, each bound to its row and column. */
export const MERCHANT_SECRET_COLUMNS = [
  'xero_client_secret_enc',
  'xendit_test_key_enc',
  'xendit_live_key_enc',
  'xendit_secret_key_enc',
  'callback_token_enc',
] as const;
export type MerchantSecretColumn = (typeof MERCHANT_SECRET_COLUMNS)[number];

/**
 * xendit_secret_key_enc is a copy of the active mode's sealed key (switching mode copies it in
 * SQL), so it is bound to that mode's column rather than its own.
 */
export function keyColumn(mode: XenditMode): MerchantSecretColumn {
  return mode === 'live' ? 'xendit_live_key_enc' : 'xendit_test_key_enc';
}

/** Where a merchant's sealed value lives, as the associated data it is sealed with. */
export function merchantSecretContext(column: MerchantSecretColumn, row: { id: string; mode: XenditMode }): string {
  return secretContext('merchants', column === 'xendit_secret_key_enc' ? keyColumn(row.mode) : column, row.id);
}
/** The associated data a merchant column is sealed with. */
export const sealedAt = (column: MerchantSecretColumn, id: string) => secretContext('merchants', column, id);

/** A merchants row (and its clearing_accounts rows, or more) as a Merchant, its secrets opened. */
export function merchantFromRow(box: SecretBox) {
  return (row: Selectable<MerchantsTable>, clearing: Pick<Selectable<ClearingAccountsTable>, 'merchant_id' | 'currency' | 'account_id'>[]): Merchant => ({
    id: row.id,
    name: row.name,
    shortCode: row.short_code,
    xero:
      row.xero_connection === 'oauth'
        ? { clientId: row.xero_client_id, clientSecret: '', tenantId: row.xero_tenant_id, oauth: { merchantId: row.id } }
        : {
            clientId: row.xero_client_id,
            clientSecret: box.open(row.xero_client_secret_enc, sealedAt('xero_client_secret_enc', row.id)),
            tenantId: row.xero_tenant_id,
          },
    xeroConnection: row.xero_connection,
    xeroDisconnected: row.xero_disconnected_at ? { at: row.xero_disconnected_at, reason: row.xero_disconnect_reason ?? '' } : null,
    xenditSecretKey: row.xendit_secret_key_enc ? box.open(row.xendit_secret_key_enc, sealedAt(keyColumn(row.mode), row.id)) : '',
    xenditKeys: {
      test: row.xendit_test_key_enc ? box.open(row.xendit_test_key_enc, sealedAt('xendit_test_key_enc', row.id)) : '',
      live: row.xendit_live_key_enc ? box.open(row.xendit_live_key_enc, sealedAt('xendit_live_key_enc', row.id)) : '',
    },
    callbackToken: row.callback_token_enc ? box.open(row.callback_token_enc, sealedAt('callback_token_enc', row.id)) : '',
    mode: row.mode,
    clearingAccountId: row.clearing_account_id ?? '',
    clearingCurrency: row.clearing_currency ?? null,
    clearingAccounts: Object.fromEntries(clearing.filter((c) => c.merchant_id === row.id).map((c) => [c.currency, c.account_id])),
    feeAccountCode: row.fee_account_code,
    withholdingAccountCode: row.withholding_account_code ?? null,
    salesAccountCode: row.sales_account_code,
    salesTaxType: row.sales_tax_type ?? null,
    feePosting: row.fee_posting,
    xenditFeeBilling: row.xendit_fee_billing,
    backendFlow: row.backend_flow,
    overpayments: row.overpayments,
    partialMinPercent: row.partial_min_percent ?? null,
    checkoutHours: row.checkout_hours ?? null,
    xenditReceipts: row.xendit_receipts ?? false,
    paymentMethods: row.payment_methods ?? null,
    xeroTestOrganisation: row.xero_test_organisation ?? false,
    xeroTimezone: row.xero_timezone,
    xeroLockDate: row.xero_lock_date,
    xeroLockReadAt: row.xero_lock_read_at,
    xeroBaseCurrency: row.xero_base_currency ?? null,
    otherMovementsAccountCode: row.other_movements_account_code ?? null,
    // A Date from a row, text from pay_click_admit's json.
    otherMovementsSince: row.other_movements_since ? new Date(row.other_movements_since) : null,
    ...(row.xero_day_limit === null ? {} : { xeroDayLimit: Number(row.xero_day_limit) }),
    status: row.status,
    createdAt: row.created_at,
  });
}

type MerchantTimestamps = 'created_at' | 'updated_at' | 'xero_disconnected_at' | 'other_movements_since';

/** A merchants row and its clearing accounts as pay_click_admit (pay-clicks.sql) gives them: json, timestamps as text. */
export interface MerchantJson {
  row: Omit<Selectable<MerchantsTable>, MerchantTimestamps> & Record<MerchantTimestamps, string | null>;
  clearing: Pick<Selectable<ClearingAccountsTable>, 'merchant_id' | 'currency' | 'account_id'>[];
}

export function merchantFromJson(box: SecretBox) {
  const toMerchant = merchantFromRow(box);
  const date = (text: string | null) => (text === null ? null : new Date(text));
  return ({ row, clearing }: MerchantJson): Merchant =>
    toMerchant(
      {
        ...row,
        created_at: date(row.created_at)!,
        updated_at: date(row.updated_at)!,
        xero_disconnected_at: date(row.xero_disconnected_at),
        other_movements_since: date(row.other_movements_since ?? null),
      },
      clearing,
    );
}
