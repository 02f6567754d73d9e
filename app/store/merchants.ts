import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';
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
  /** Clearing accounts for other currencies, by ISO code. */
  clearingAccounts: Record<string, string>;
  /** Expense account (by code) that Xendit's fees are posted to. */
  feeAccountCode: string | null;
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
  /** On: the Xero organisation is a test/demo company, so payments made in Xendit test mode may be recorded in it. */
  xeroTestOrganisation: boolean;
  /** The Xero organisation's Timezone (e.g. SEASIASTANDARDTIME), once read; null until then. */
  xeroTimezone: string | null;
  /** Xero's daily call budget for this organisation when smaller than the configured default. */
  xeroDayLimit?: number;
  status: MerchantStatus;
  createdAt: Date;
}

/** The bank account a payment in this currency is recorded into. */
export function clearingAccountFor(merchant: Merchant, currency: string): string {
  return merchant.clearingAccounts[currency] ?? merchant.clearingAccountId;
}

/** Without the Xendit key, callback token and clearing account, the merchant starts 'onboarding'. */
export interface NewMerchant {
  name: string;
  shortCode: string;
  xero: XeroCredentials;
  xenditSecretKey?: string;
  callbackToken?: string;
  clearingAccountId?: string;
  clearingAccounts?: Record<string, string>;
  feeAccountCode?: string;
  feePosting?: FeePosting;
  salesAccountCode?: string;
  backendFlow?: boolean;
  overpayments?: boolean;
  xeroTestOrganisation?: boolean;
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
const at = (column: MerchantSecretColumn, id: string) => secretContext('merchants', column, id);

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
            clientSecret: box.open(row.xero_client_secret_enc, at('xero_client_secret_enc', row.id)),
            tenantId: row.xero_tenant_id,
          },
    xeroConnection: row.xero_connection,
    xeroDisconnected: row.xero_disconnected_at ? { at: row.xero_disconnected_at, reason: row.xero_disconnect_reason ?? '' } : null,
    xenditSecretKey: row.xendit_secret_key_enc ? box.open(row.xendit_secret_key_enc, at(keyColumn(row.mode), row.id)) : '',
    xenditKeys: {
      test: row.xendit_test_key_enc ? box.open(row.xendit_test_key_enc, at('xendit_test_key_enc', row.id)) : '',
      live: row.xendit_live_key_enc ? box.open(row.xendit_live_key_enc, at('xendit_live_key_enc', row.id)) : '',
    },
    callbackToken: row.callback_token_enc ? box.open(row.callback_token_enc, at('callback_token_enc', row.id)) : '',
    mode: row.mode,
    clearingAccountId: row.clearing_account_id ?? '',
    clearingAccounts: Object.fromEntries(clearing.filter((c) => c.merchant_id === row.id).map((c) => [c.currency, c.account_id])),
    feeAccountCode: row.fee_account_code,
    salesAccountCode: row.sales_account_code,
    salesTaxType: row.sales_tax_type ?? null,
    feePosting: row.fee_posting,
    xenditFeeBilling: row.xendit_fee_billing,
    backendFlow: row.backend_flow,
    overpayments: row.overpayments,
    xeroTestOrganisation: row.xero_test_organisation ?? false,
    xeroTimezone: row.xero_timezone,
    ...(row.xero_day_limit === null ? {} : { xeroDayLimit: Number(row.xero_day_limit) }),
    status: row.status,
    createdAt: row.created_at,
  });
}

type MerchantTimestamps = 'created_at' | 'updated_at' | 'xero_disconnected_at' | 'listing_paid_after' | 'listing_window_end';

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
        listing_paid_after: date(row.listing_paid_after),
        listing_window_end: date(row.listing_window_end),
      },
      clearing,
    );
}

export function createMerchantStore(db: Db, box: SecretBox) {
  const toMerchant = merchantFromRow(box);

  const withClearing = async (rows: Selectable<MerchantsTable>[]): Promise<Merchant[]> => {
    if (!rows.length) return [];
    const clearing = await db
      .selectFrom('clearing_accounts')
      .selectAll()
      .where(
        'merchant_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    return rows.map((r) => toMerchant(r, clearing));
  };
  const one = async (row: Selectable<MerchantsTable> | undefined) => (row ? (await withClearing([row]))[0] : null);

  return {
    async add(m: NewMerchant): Promise<Merchant> {
      const id = randomUUID();
      const complete = Boolean(m.xenditSecretKey && m.callbackToken && m.clearingAccountId);
      const keyMode = modeOfXenditKey(m.xenditSecretKey ?? '');
      const sealedKey = m.xenditSecretKey ? box.seal(m.xenditSecretKey, at(keyColumn(keyMode), id)) : null;
      const inserted = await db
        .insertInto('merchants')
        .values({
          id,
          name: m.name,
          short_code: m.shortCode,
          xero_connection: 'custom',
          xero_tenant_id: m.xero.tenantId,
          xero_client_id: m.xero.clientId,
          xero_client_secret_enc: box.seal(m.xero.clientSecret, at('xero_client_secret_enc', id)),
          xendit_secret_key_enc: sealedKey,
          xendit_test_key_enc: keyMode === 'test' ? sealedKey : null,
          xendit_live_key_enc: keyMode === 'live' ? sealedKey : null,
          callback_token_enc: m.callbackToken ? box.seal(m.callbackToken, at('callback_token_enc', id)) : null,
          mode: keyMode,
          clearing_account_id: m.clearingAccountId || null,
          fee_account_code: m.feeAccountCode ?? DEFAULT_FEE_ACCOUNT_CODE,
          fee_posting: m.feePosting ?? 'bank_transaction',
          sales_account_code: m.salesAccountCode ?? DEFAULT_SALES_ACCOUNT_CODE,
          backend_flow: m.backendFlow ?? false,
          overpayments: m.overpayments ?? false,
          xero_test_organisation: m.xeroTestOrganisation ?? false,
          status: complete ? 'active' : 'onboarding',
        })
        .onConflict((oc) => oc.column('short_code').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!inserted) throw new ShortCodeTakenError(`ShortCode ${m.shortCode} already belongs to another merchant`);
      for (const [currency, accountId] of Object.entries(m.clearingAccounts ?? {})) {
        await this.setClearingAccount(id, currency, accountId);
      }
      return (await this.byId(id))!;
    },

    async setClearingAccount(merchantId: string, currency: string, accountId: string): Promise<void> {
      await db
        .insertInto('clearing_accounts')
        .values({ merchant_id: merchantId, currency, account_id: accountId })
        .onConflict((oc) => oc.columns(['merchant_id', 'currency']).doUpdateSet({ account_id: accountId }))
        .execute();
    },

    /** Only a key Xendit accepted gets here; it becomes the active one and the mode follows it. */
    async setXendit(id: string, x: { secretKey: string; callbackToken: string }, now: Date): Promise<void> {
      const mode = modeOfXenditKey(x.secretKey);
      const sealed = box.seal(x.secretKey, at(keyColumn(mode), id));
      await db
        .updateTable('merchants')
        .set({
          xendit_secret_key_enc: sealed,
          [keyColumn(mode)]: sealed,
          callback_token_enc: box.seal(x.callbackToken, at('callback_token_enc', id)),
          mode,
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
    },

    /**
     * Stores verified keys by mode (absent: kept) and the callback token (absent: kept). A key for
     * the active mode replaces the key in use; with no key in use yet, the first key stored (test
     * before live) becomes active.
     */
    async setXenditKeys(id: string, x: { test?: string; live?: string; callbackToken?: string }, now: Date): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('merchants').select(['mode', 'xendit_secret_key_enc']).where('id', '=', id).forUpdate().executeTakeFirst();
        if (!row) return;
        const sealed = {
          test: x.test ? box.seal(x.test, at('xendit_test_key_enc', id)) : undefined,
          live: x.live ? box.seal(x.live, at('xendit_live_key_enc', id)) : undefined,
        };
        const mode: XenditMode = row.xendit_secret_key_enc ? row.mode : sealed.test ? 'test' : sealed.live ? 'live' : row.mode;
        await trx
          .updateTable('merchants')
          .set({
            ...(sealed.test ? { xendit_test_key_enc: sealed.test } : {}),
            ...(sealed.live ? { xendit_live_key_enc: sealed.live } : {}),
            ...(sealed[mode] ? { xendit_secret_key_enc: sealed[mode], mode } : {}),
            ...(x.callbackToken ? { callback_token_enc: box.seal(x.callbackToken, at('callback_token_enc', id)) } : {}),
            updated_at: now,
          })
          .where('id', '=', id)
          .execute();
      });
    },

    /** Makes the stored key of this mode the one in use; false when no key of that mode is stored. */
    async switchXenditMode(id: string, mode: XenditMode, now: Date): Promise<boolean> {
      const column = mode === 'live' ? 'xendit_live_key_enc' : 'xendit_test_key_enc';
      const r = await db
        .updateTable('merchants')
        .set((eb) => ({ mode, xendit_secret_key_enc: eb.ref(column), updated_at: now }))
        .where('id', '=', id)
        .where(column, 'is not', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** The merchant settings page's switches (app/admin/merchants/settings.ts lists them). */
    async setSettings(id: string, s: MerchantSettings, now: Date): Promise<void> {
      await db
        .updateTable('merchants')
        .set({
          backend_flow: s.backendFlow,
          fee_posting: s.feePosting,
          xendit_fee_billing: s.xenditFeeBilling,
          overpayments: s.overpayments,
          xero_test_organisation: s.xeroTestOrganisation,
          sales_tax_type: s.salesTaxType,
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
    },

    /** The default clearing account, the per-currency ones (replacing all before), the fee and sales accounts. */
    async setAccounts(
      id: string,
      a: { clearingAccountId: string; clearingAccounts: Record<string, string>; feeAccountCode: string; salesAccountCode: string | null },
      now: Date,
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('merchants')
          .set({ clearing_account_id: a.clearingAccountId, fee_account_code: a.feeAccountCode, sales_account_code: a.salesAccountCode, updated_at: now })
          .where('id', '=', id)
          .execute();
        await trx.deleteFrom('clearing_accounts').where('merchant_id', '=', id).execute();
        const rows = Object.entries(a.clearingAccounts).map(([currency, accountId]) => ({ merchant_id: id, currency, account_id: accountId }));
        if (rows.length) await trx.insertInto('clearing_accounts').values(rows).execute();
      });
    },

    /** onboarding → active once the Xendit key, callback token and clearing account are all set. */
    async activateIfComplete(id: string, now: Date): Promise<boolean> {
      const r = await db
        .updateTable('merchants')
        .set({ status: 'active', updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'onboarding')
        .where('xendit_secret_key_enc', 'is not', null)
        .where('callback_token_enc', 'is not', null)
        .where('clearing_account_id', 'is not', null)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** When Xendit last called back for this merchant, and which currencies its checkouts used. */
    async activity(id: string): Promise<{ lastCallbackAt: Date | null; currencies: string[] }> {
      const last = await db
        .selectFrom('callback_events')
        .select((eb) => eb.fn.max('received_at').as('at'))
        .where('merchant_id', '=', id)
        .executeTakeFirst();
      const currencies = await db.selectFrom('checkouts').select('currency').distinct().where('merchant_id', '=', id).execute();
      const at = last?.at as Date | string | null | undefined;
      return { lastCallbackAt: at ? new Date(at) : null, currencies: currencies.map((c) => c.currency).sort() };
    },

    async byId(id: string): Promise<Merchant | null> {
      return one(await db.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst());
    },

    /**
     * Only the callback token, opened: a callback is verified without loading (and decrypting) the
     * merchant's other secrets and clearing accounts. undefined: no such merchant; '' : no token yet.
     */
    async callbackToken(id: string): Promise<string | undefined> {
      const row = await db.selectFrom('merchants').select('callback_token_enc').where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      return row.callback_token_enc ? box.open(row.callback_token_enc, at('callback_token_enc', id)) : '';
    },

    /** The pay click's lookup: merchant and clearing accounts in one round trip. */
    async list(): Promise<Merchant[]> {
      return withClearing(await db.selectFrom('merchants').selectAll().orderBy('created_at').execute());
    },

    /** A smaller daily Xero call budget for a merchant on a smaller plan; null: the configured default. */
    async setXeroDayLimit(id: string, limit: number | null): Promise<boolean> {
      const r = await db.updateTable('merchants').set({ xero_day_limit: limit, updated_at: new Date() }).where('id', '=', id).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** How fees reach Xero and whether over-payments become Xero overpayments (only what is given changes). */
    async setAccountingOptions(
      id: string,
      o: { feePosting?: FeePosting; xenditFeeBilling?: XenditFeeBilling; overpayments?: boolean; xeroTestOrganisation?: boolean },
      now: Date,
    ): Promise<boolean> {
      const r = await db
        .updateTable('merchants')
        .set({
          ...(o.feePosting ? { fee_posting: o.feePosting } : {}),
          ...(o.xenditFeeBilling ? { xendit_fee_billing: o.xenditFeeBilling } : {}),
          ...(o.overpayments === undefined ? {} : { overpayments: o.overpayments }),
          ...(o.xeroTestOrganisation === undefined ? {} : { xero_test_organisation: o.xeroTestOrganisation }),
          updated_at: now,
        })
        .where('id', '=', id)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    async setXeroTimezone(id: string, timezone: string): Promise<void> {
      await db.updateTable('merchants').set({ xero_timezone: timezone }).where('id', '=', id).execute();
    },

    async setStatus(id: string, status: MerchantStatus): Promise<boolean> {
      const r = await db.updateTable('merchants').set({ status, updated_at: new Date() }).where('id', '=', id).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
  };
}

export type MerchantStore = ReturnType<typeof createMerchantStore>;
