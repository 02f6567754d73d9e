import { randomUUID } from 'node:crypto';
import type { Db } from './db.js';
import type { Selectable, Transaction } from 'kysely';
import { secretContext, type SecretBox } from '../security/secrets.js';
import { insertAudit, type AuditEntry } from './audit.js';
import { insertJob, type NewJobRow } from './jobs.js';
import { supersedeLive } from './checkout-claims.js';
import { restartListing } from './listing.js';
import { checkoutsReachableAgain, rotatedWithinBusiness } from './key-rotation.js';
import { keysStored, type KeyBusinesses } from './xendit-businesses.js';
import { createPaymentFees, requeueFees } from './payment-fees.js';
import { writeAccounts, writeSettings, type AccountsWrite, type StoredCheck } from './merchant-forms.js';
import type { Database, FeePosting, MerchantsTable, MerchantStatus, XenditFeeBilling } from './schema.js';
import {
  DEFAULT_FEE_ACCOUNT_CODE,
  DEFAULT_SALES_ACCOUNT_CODE,
  keyColumn,
  merchantFromRow,
  modeOfXenditKey,
  pendingShortCode,
  sealedAt,
  ShortCodeTakenError,
  xenditKeyHint,
  type Merchant,
  type MerchantSettings,
  type NewMerchant,
  type XenditMode,
} from './merchant-model.js';
export * from './merchant-model.js';

/**
 * A Xendit key that went out of use while checkouts made with it were live: what the job that
 * expires them in its account is given. The key is sealed for that job (bound to the merchant as a
 * retired key), never in clear in a payload.
 */
export interface RetiredXenditKey {
  mode: XenditMode;
  /** The key's last 4 characters, to name its account to people. */
  keyHint: string;
  sealedKey: string;
  checkoutIds: string[];
}

/**
 * The fee jobs an accounts change makes due (jobs/sync/withholding-catch-up.ts), given the merchant
 * as stored under the change's row lock and a read of its payments whose fee was never read.
 */
export type AccountsCatchUp = (
  stored: Merchant,
  feesNeverRead: (since: Date) => Promise<{ id: string; paidAt: Date }[]>,
) => Promise<{ paymentId: string; job: NewJobRow }[]>;

/** Builds the job that retires a key (the caller names its kind: stores never do). */
export type RetireXenditKey = (old: RetiredXenditKey) => NewJobRow;

/** Where a retire job's old Xendit key is sealed (bound to the merchant, not to the job's row). */
export const retiredKeyContext = (merchantId: string) => secretContext('jobs', 'retired_xendit_key', merchantId);

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

  /** Locks the merchant's row and runs `check` on the merchant as stored now (read in `trx`); false: no such merchant. */
  const checked = async (trx: Transaction<Database>, id: string, check: StoredCheck<Merchant>): Promise<boolean> => {
    const row = await trx.selectFrom('merchants').selectAll().where('id', '=', id).forNoKeyUpdate().executeTakeFirst();
    if (!row) return false;
    const clearing = await trx.selectFrom('clearing_accounts').selectAll().where('merchant_id', '=', id).execute();
    check(toMerchant(row, clearing));
    return true;
  };

  /**
   * The key in use (`old`, sealed as stored) gives way to `next`: when they differ, the checkouts it
   * made that are still live are superseded and the job that expires them in its account is queued,
   * in the caller's transaction, so no checkout is left to a key that cannot reach it.
   */
  const retireKey = async (
    trx: Transaction<Database>,
    id: string,
    old: { mode: XenditMode; sealed: string },
    next: string,
    now: Date,
    retire: RetireXenditKey,
  ) => {
    const key = box.open(old.sealed, sealedAt(keyColumn(old.mode), id));
    if (key === next) return;
    const checkoutIds = await supersedeLive(trx, id, now);
    if (!checkoutIds.length) return;
    await insertJob(trx, retire({ mode: old.mode, keyHint: xenditKeyHint(key), sealedKey: box.seal(key, retiredKeyContext(id)), checkoutIds }));
  };

  return {
    async add(m: NewMerchant): Promise<Merchant> {
      const id = randomUUID();
      const complete = Boolean(m.xenditSecretKey && m.callbackToken && m.clearingAccountId);
      const keyMode = modeOfXenditKey(m.xenditSecretKey ?? '');
      const sealedKey = m.xenditSecretKey ? box.seal(m.xenditSecretKey, sealedAt(keyColumn(keyMode), id)) : null;
      const inserted = await db
        .insertInto('merchants')
        .values({
          id,
          name: m.name,
          short_code: m.connectLater ? pendingShortCode(id) : m.shortCode,
          xero_connection: m.connectLater ? 'oauth' : 'custom',
          xero_tenant_id: m.xero.tenantId,
          xero_client_id: m.xero.clientId,
          xero_client_secret_enc: box.seal(m.xero.clientSecret, sealedAt('xero_client_secret_enc', id)),
          xendit_secret_key_enc: sealedKey,
          xendit_test_key_enc: keyMode === 'test' ? sealedKey : null,
          xendit_live_key_enc: keyMode === 'live' ? sealedKey : null,
          callback_token_enc: m.callbackToken ? box.seal(m.callbackToken, sealedAt('callback_token_enc', id)) : null,
          mode: keyMode,
          clearing_account_id: m.clearingAccountId || null,
          clearing_currency: (m.clearingAccountId && m.clearingCurrency) || null,
          fee_account_code: m.feeAccountCode ?? DEFAULT_FEE_ACCOUNT_CODE,
          fee_posting: m.feePosting ?? 'bank_transaction',
          sales_account_code: m.salesAccountCode ?? DEFAULT_SALES_ACCOUNT_CODE,
          backend_flow: m.backendFlow ?? false,
          overpayments: m.overpayments ?? false,
          xero_test_organisation: m.xeroTestOrganisation ?? false,
          status: complete ? 'active' : 'onboarding',
          ...(m.connectLater ? { xero_disconnected_at: m.connectLater.now, xero_disconnect_reason: m.connectLater.reason } : {}),
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
      const sealed = box.seal(x.secretKey, sealedAt(keyColumn(mode), id));
      await db
        .updateTable('merchants')
        .set({
          xendit_secret_key_enc: sealed,
          [keyColumn(mode)]: sealed,
          callback_token_enc: box.seal(x.callbackToken, sealedAt('callback_token_enc', id)),
          mode,
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
    },

    /**
     * Stores verified keys by mode (absent: kept) and the callback token (absent: kept). A key for
     * the active mode replaces the key in use; with no key in use yet, the first key stored (test
     * before live) becomes active. `audit` is written in the same transaction, so no key changes
     * unrecorded. A new key for the active mode retires the one in use (retireKey).
     */
    async setXenditKeys(
      id: string,
      /** `businesses`: each new key's Xendit business (keysStored). */
      x: { test?: string; live?: string; callbackToken?: string; businesses?: KeyBusinesses },
      now: Date,
      audit?: AuditEntry,
      retire?: RetireXenditKey,
      /** Stored keys (by mode) known to be the same Xendit business's as the new key replacing them: a rotation. */
      sameAccount: { mode: XenditMode; key: string }[] = [],
    ): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('merchants')
          .select(['mode', 'xendit_secret_key_enc', 'xendit_test_key_enc', 'xendit_live_key_enc'])
          .where('id', '=', id)
          .forUpdate()
          .executeTakeFirst();
        if (!row) return;
        await keysStored(trx, id, x, now);
        for (const same of sameAccount) {
          const stored = same.mode === 'live' ? row.xendit_live_key_enc : row.xendit_test_key_enc;
          const next = x[same.mode];
          // Only the key that was compared: one saved meanwhile by someone else is not known to be the same business's.
          if (stored && next && box.open(stored, sealedAt(keyColumn(same.mode), id)) === same.key)
            await rotatedWithinBusiness(trx, id, same.mode, same.key, next);
        }
        if (audit) await insertAudit(trx, audit, now);
        await checkoutsReachableAgain(
          trx,
          id,
          (['test', 'live'] as const).filter((m) => x[m]),
        );
        const sealed = {
          test: x.test ? box.seal(x.test, sealedAt('xendit_test_key_enc', id)) : undefined,
          live: x.live ? box.seal(x.live, sealedAt('xendit_live_key_enc', id)) : undefined,
        };
        const mode: XenditMode = row.xendit_secret_key_enc ? row.mode : sealed.test ? 'test' : sealed.live ? 'live' : row.mode;
        await trx
          .updateTable('merchants')
          .set({
            ...(sealed.test ? { xendit_test_key_enc: sealed.test } : {}),
            ...(sealed.live ? { xendit_live_key_enc: sealed.live } : {}),
            ...(sealed[mode] ? { xendit_secret_key_enc: sealed[mode], mode } : {}),
            ...(x.callbackToken ? { callback_token_enc: box.seal(x.callbackToken, sealedAt('callback_token_enc', id)) } : {}),
            updated_at: now,
          })
          .where('id', '=', id)
          .execute();
        const next = x[mode];
        if (retire && next && row.xendit_secret_key_enc) await retireKey(trx, id, { mode: row.mode, sealed: row.xendit_secret_key_enc }, next, now, retire);
      });
    },

    /** Makes the stored key of this mode the one in use (retiring the one in use: retireKey); false when no key of that mode is stored. */
    async switchXenditMode(id: string, mode: XenditMode, now: Date, retire?: RetireXenditKey): Promise<boolean> {
      const column = keyColumn(mode);
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('merchants').select(['mode', 'xendit_secret_key_enc', column]).where('id', '=', id).forUpdate().executeTakeFirst();
        const sealed = row?.[column];
        if (!row || !sealed) return false;
        await trx.updateTable('merchants').set({ mode, xendit_secret_key_enc: sealed, updated_at: now }).where('id', '=', id).execute();
        if (retire && row.xendit_secret_key_enc)
          await retireKey(trx, id, { mode: row.mode, sealed: row.xendit_secret_key_enc }, box.open(sealed, sealedAt(column, id)), now, retire);
        return true;
      });
    },

    /** The key a retire job was given (RetiredXenditKey.sealedKey), in clear. */
    openRetiredKey(merchantId: string, sealedKey: string): string {
      return box.open(sealedKey, retiredKeyContext(merchantId));
    },

    /**
     * The merchant settings page's switches (app/admin/merchants/settings.ts lists them); only those
     * given are written. With `check`, the merchant's row is locked and the check given the merchant
     * as stored now, in the transaction that writes (store/merchant-forms.ts).
     */
    async setSettings(id: string, s: Partial<MerchantSettings>, now: Date, check?: StoredCheck<Merchant>): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        if (check && !(await checked(trx, id, check))) return false;
        // Turned back on: its listing starts afresh (store/listing.ts), not from before it was off.
        if (s.backendFlow === true) await restartListing(trx, id);
        return writeSettings(trx, id, s, now);
      });
    },

    /**
     * The accounts (writeAccounts); `check` as for setSettings. `catchUp`: the fee jobs the change
     * makes due (a withholding tax account set: requeueFees), worked out under the merchant's row
     * lock from the merchant and its payments as stored then, and committed with the change: a
     * payment marked recorded meanwhile either committed first (and is read here) or waits for
     * this commit and reads the account (store/payments.ts FeeDecision). Returns how many were queued.
     */
    async setAccounts(id: string, a: AccountsWrite, now: Date, check?: StoredCheck<Merchant>, catchUp?: AccountsCatchUp): Promise<number> {
      return db.transaction().execute(async (trx) => {
        let stored: Merchant | undefined;
        if ((check || catchUp) && !(await checked(trx, id, (m) => ((stored = m), check?.(m))))) return 0;
        const queued = catchUp && stored ? await requeueFees(trx, await catchUp(stored, (since) => createPaymentFees(trx).feesNeverRead(id, since)), now) : 0;
        await writeAccounts(trx, id, a, now);
        return queued;
      });
    },

    /** The currency Xero states for the default clearing account: kept only while that account is still the default. */
    async noteClearingCurrency(id: string, accountId: string, currency: string): Promise<void> {
      await db.updateTable('merchants').set({ clearing_currency: currency }).where('id', '=', id).where('clearing_account_id', '=', accountId).execute();
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
      const row = await db.selectFrom('merchants').select(['id', 'callback_token_enc']).where('id', '=', id).executeTakeFirst();
      if (!row) return undefined;
      // Sealed with the id as stored: the one asked may be the same uuid spelt in upper case.
      return row.callback_token_enc ? box.open(row.callback_token_enc, sealedAt('callback_token_enc', row.id)) : '';
    },

    /** Every merchant's id and nothing else: which callback URLs name a merchant (callbacks/merchant-ids.ts). */
    async ids(): Promise<string[]> {
      return (await db.selectFrom('merchants').select('id').execute()).map((r) => r.id);
    },

    /** The pay click's lookup: merchant and clearing accounts in one round trip. */
    async list(): Promise<Merchant[]> {
      return withClearing(await db.selectFrom('merchants').selectAll().orderBy('created_at').execute());
    },

    /** A lower daily Xero call budget for this merchant (its share of an organisation another installation also calls); null: the configured default. */
    async setXeroDayLimit(id: string, limit: number | null): Promise<boolean> {
      const r = await db.updateTable('merchants').set({ xero_day_limit: limit, updated_at: new Date() }).where('id', '=', id).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** How fees reach Xero and whether over-payments become Xero overpayments (only what is given changes; false: no such merchant). */
    async setAccountingOptions(
      id: string,
      o: { feePosting?: FeePosting; xenditFeeBilling?: XenditFeeBilling; overpayments?: boolean; xeroTestOrganisation?: boolean },
      now: Date,
    ): Promise<boolean> {
      return this.setSettings(id, o, now);
    },

    async setXeroLockDate(id: string, lockDate: string | null, readAt: Date): Promise<void> {
      await db.updateTable('merchants').set({ xero_lock_date: lockDate, xero_lock_read_at: readAt }).where('id', '=', id).execute();
    },

    async setXeroTimezone(id: string, timezone: string): Promise<void> {
      await db.updateTable('merchants').set({ xero_timezone: timezone }).where('id', '=', id).execute();
    },

    async setXeroBaseCurrency(id: string, currency: string): Promise<void> {
      await db.updateTable('merchants').set({ xero_base_currency: currency }).where('id', '=', id).execute();
    },

    async setStatus(id: string, status: MerchantStatus): Promise<boolean> {
      const r = await db.updateTable('merchants').set({ status, updated_at: new Date() }).where('id', '=', id).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
  };
}

export type MerchantStore = ReturnType<typeof createMerchantStore>;
