import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';
import type { FeePosting, MerchantsTable, MerchantStatus } from './schema.js';
import type { SecretBox } from '../security/secrets.js';
import type { XeroCredentials } from '../clients/types.js';
import type { Selectable } from 'kysely';

export interface Merchant {
  id: string;
  name: string;
  shortCode: string;
  xero: XeroCredentials;
  xenditSecretKey: string;
  callbackToken: string;
  mode: 'test' | 'live';
  clearingAccountId: string;
  /** Expense account (by code) that Xendit's fees are posted to. */
  feeAccountCode: string | null;
  feePosting: FeePosting;
  status: MerchantStatus;
  createdAt: Date;
}

export interface NewMerchant {
  name: string;
  shortCode: string;
  xero: XeroCredentials;
  xenditSecretKey: string;
  callbackToken: string;
  clearingAccountId: string;
  feeAccountCode?: string;
  feePosting?: FeePosting;
}

/** "Bank Fees" in Xero's default charts of accounts (and in the simulator). */
export const DEFAULT_FEE_ACCOUNT_CODE = '404';

export class ShortCodeTakenError extends Error {}

/** Xendit's secret keys say their mode: xnd_development_… or xnd_production_…. */
export function modeOfXenditKey(key: string): 'test' | 'live' {
  return key.startsWith('xnd_production_') ? 'live' : 'test';
}

export function createMerchantStore(db: Db, box: SecretBox) {
  const toMerchant = (row: Selectable<MerchantsTable>): Merchant => ({
    id: row.id,
    name: row.name,
    shortCode: row.short_code,
    xero: { clientId: row.xero_client_id, clientSecret: box.open(row.xero_client_secret_enc), tenantId: row.xero_tenant_id },
    xenditSecretKey: box.open(row.xendit_secret_key_enc),
    callbackToken: box.open(row.callback_token_enc),
    mode: row.mode,
    clearingAccountId: row.clearing_account_id,
    feeAccountCode: row.fee_account_code,
    feePosting: row.fee_posting,
    status: row.status,
    createdAt: row.created_at,
  });

  return {
    async add(m: NewMerchant): Promise<Merchant> {
      const id = randomUUID();
      const inserted = await db
        .insertInto('merchants')
        .values({
          id,
          name: m.name,
          short_code: m.shortCode,
          xero_connection: 'custom',
          xero_tenant_id: m.xero.tenantId,
          xero_client_id: m.xero.clientId,
          xero_client_secret_enc: box.seal(m.xero.clientSecret),
          xendit_secret_key_enc: box.seal(m.xenditSecretKey),
          callback_token_enc: box.seal(m.callbackToken),
          mode: modeOfXenditKey(m.xenditSecretKey),
          clearing_account_id: m.clearingAccountId,
          fee_account_code: m.feeAccountCode ?? DEFAULT_FEE_ACCOUNT_CODE,
          fee_posting: m.feePosting ?? 'bank_transaction',
          status: 'active',
        })
        .onConflict((oc) => oc.column('short_code').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!inserted) throw new ShortCodeTakenError(`ShortCode ${m.shortCode} already belongs to another merchant`);
      return toMerchant(inserted);
    },

    async byId(id: string): Promise<Merchant | null> {
      const row = await db.selectFrom('merchants').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toMerchant(row) : null;
    },

    async activeByShortCode(shortCode: string): Promise<Merchant | null> {
      const row = await db
        .selectFrom('merchants')
        .selectAll()
        .where('short_code', '=', shortCode)
        .where('status', '=', 'active')
        .executeTakeFirst();
      return row ? toMerchant(row) : null;
    },

    async list(): Promise<Merchant[]> {
      const rows = await db.selectFrom('merchants').selectAll().orderBy('created_at').execute();
      return rows.map(toMerchant);
    },

    async setFeePosting(id: string, feeAccountCode: string, feePosting: FeePosting): Promise<void> {
      await db.updateTable('merchants').set({ fee_account_code: feeAccountCode, fee_posting: feePosting, updated_at: new Date() }).where('id', '=', id).execute();
    },

    async setStatus(id: string, status: MerchantStatus): Promise<boolean> {
      const r = await db.updateTable('merchants').set({ status, updated_at: new Date() }).where('id', '=', id).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
  };
}

export type MerchantStore = ReturnType<typeof createMerchantStore>;
