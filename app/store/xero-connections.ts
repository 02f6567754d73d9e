import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Db } from './db.js';
import type { Database } from './schema.js';
import type { SecretBox } from '../security/secrets.js';
import type { XeroTokenSet } from '../clients/xero/types.js';
import { DEFAULT_FEE_ACCOUNT_CODE, DEFAULT_SALES_ACCOUNT_CODE, ShortCodeTakenError } from './merchants.js';
import { openTokens, sealTokens, tokensContext } from './xero-tokens.js';
import { bringForward } from './jobs.js';
import { secretContext } from '../security/secrets.js';
import { useConnectLink } from './connect-links.js';

export interface PendingTenant {
  tenantId: string;
  tenantName: string;
  connectionId: string;
}

export interface OAuthState {
  /** The admin user who started it; null when it was started from a connect link. */
  userId: string | null;
  connectLinkHash: string | null;
  merchantId: string | null;
  codeVerifier: string;
  nonce: string;
  expiresAt: Date;
}

/** Why a `state` was not accepted: never seen, already used, or started in another session. */
export type StateProblem = 'unknown' | 'replayed' | 'foreign';

export class OrganisationTakenError extends Error {}

/**
 * The OAuth authorisation requests in flight (by the hash of their `state`), and connecting,
 * reconnecting and disconnecting OAuth merchants, each in one transaction.
 */
export function createXeroConnectionStore(db: Db, box: SecretBox) {
  /** The merchant's token set, sealed to its row, in the caller's transaction (replacing any). */
  const saveTokens = async (trx: Transaction<Database>, merchantId: string, tokens: XeroTokenSet, now: Date) => {
    const sealed = { token_set_enc: sealTokens(box, tokens, tokensContext(merchantId)), expires_at: tokens.expiresAt, updated_at: now };
    await trx
      .insertInto('xero_tokens')
      .values({ merchant_id: merchantId, ...sealed })
      .onConflict((oc) => oc.column('merchant_id').doUpdateSet(sealed))
      .execute();
  };
  return {
    async createState(
      s: {
        stateHash: string;
        sessionHash: string;
        userId: string | null;
        connectLinkHash?: string;
        merchantId: string | null;
        codeVerifier: string;
        nonce: string;
        expiresAt: Date;
      },
      now: Date,
    ): Promise<void> {
      await db.deleteFrom('xero_oauth_states').where('expires_at', '<', now).execute();
      await db
        .insertInto('xero_oauth_states')
        .values({
          state_hash: s.stateHash,
          session_hash: s.sessionHash,
          user_id: s.userId,
          connect_link_hash: s.connectLinkHash ?? null,
          merchant_id: s.merchantId,
          code_verifier_enc: box.seal(s.codeVerifier, secretContext('xero_oauth_states', 'code_verifier_enc', s.stateHash)),
          nonce: s.nonce,
          expires_at: s.expiresAt,
          created_at: now,
        })
        .execute();
    },

    /** Uses the state up (once, and only from the session that started it). */
    async takeState(stateHash: string, sessionHash: string, now: Date): Promise<OAuthState | StateProblem> {
      const row = await db
        .updateTable('xero_oauth_states')
        .set({ used_at: now })
        .where('state_hash', '=', stateHash)
        .where('session_hash', '=', sessionHash)
        .where('used_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (row)
        return {
          userId: row.user_id,
          connectLinkHash: row.connect_link_hash ?? null,
          merchantId: row.merchant_id,
          codeVerifier: box.open(row.code_verifier_enc, secretContext('xero_oauth_states', 'code_verifier_enc', row.state_hash)),
          nonce: row.nonce,
          expiresAt: row.expires_at,
        };
      const seen = await db.selectFrom('xero_oauth_states').select(['session_hash', 'used_at']).where('state_hash', '=', stateHash).executeTakeFirst();
      if (!seen) return 'unknown';
      return seen.session_hash !== sessionHash ? 'foreign' : 'replayed';
    },

    /** Several organisations: the token set waits (sealed) until the user picks one. */
    async holdForPick(stateHash: string, pickTokenHash: string, tokens: XeroTokenSet, tenants: PendingTenant[]): Promise<void> {
      await db
        .updateTable('xero_oauth_states')
        .set({
          pick_token_hash: pickTokenHash,
          pending_token_set_enc: sealTokens(box, tokens, secretContext('xero_oauth_states', 'pending_token_set_enc', stateHash)),
          pending_tenants: JSON.stringify(tenants),
        })
        .where('state_hash', '=', stateHash)
        .execute();
    },

    async pendingPick(pickTokenHash: string, sessionHash: string, now: Date): Promise<{ merchantId: string | null; tenants: PendingTenant[] } | null> {
      const row = await db
        .selectFrom('xero_oauth_states')
        .select(['merchant_id', 'pending_tenants'])
        .where('pick_token_hash', '=', pickTokenHash)
        .where('session_hash', '=', sessionHash)
        .where('pending_token_set_enc', 'is not', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row ? { merchantId: row.merchant_id, tenants: row.pending_tenants ?? [] } : null;
    },

    /** Single use: the held token set leaves the table with the first taker. */
    async takePick(
      pickTokenHash: string,
      sessionHash: string,
      now: Date,
    ): Promise<{ userId: string | null; connectLinkHash: string | null; merchantId: string | null; tokens: XeroTokenSet; tenants: PendingTenant[] } | null> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom('xero_oauth_states')
          .select(['state_hash', 'user_id', 'connect_link_hash', 'merchant_id', 'pending_token_set_enc', 'pending_tenants'])
          .where('pick_token_hash', '=', pickTokenHash)
          .where('session_hash', '=', sessionHash)
          .where('pending_token_set_enc', 'is not', null)
          .where('expires_at', '>', now)
          .forUpdate()
          .executeTakeFirst();
        if (!row?.pending_token_set_enc) return null;
        await trx
          .updateTable('xero_oauth_states')
          .set({ pending_token_set_enc: null, pending_tenants: null })
          .where('state_hash', '=', row.state_hash)
          .execute();
        return {
          userId: row.user_id,
          connectLinkHash: row.connect_link_hash ?? null,
          merchantId: row.merchant_id,
          tokens: openTokens(box, row.pending_token_set_enc, secretContext('xero_oauth_states', 'pending_token_set_enc', row.state_hash)),
          tenants: row.pending_tenants ?? [],
        };
      });
    },

    /** Whoever already holds this organisation (OAuth tenant id, or a Custom Connection with its ShortCode). */
    async holderOf(tenantId: string, shortCode: string): Promise<string | null> {
      const row = await db
        .selectFrom('merchants')
        .select('id')
        .where((w) => w.or([w.and([w('xero_connection', '=', 'oauth'), w('xero_tenant_id', '=', tenantId)]), w('short_code', '=', shortCode)]))
        .executeTakeFirst();
      return row?.id ?? null;
    },

    /** A new merchant from an OAuth connection, with its token set, in one commit. */
    async addOAuthMerchant(
      m: { name: string; shortCode: string; tenantId: string; clientId: string; tokens: XeroTokenSet; isDemoCompany?: boolean },
      now: Date,
    ): Promise<string> {
      const id = randomUUID();
      await db.transaction().execute(async (trx) => {
        const inserted = await trx
          .insertInto('merchants')
          .values({
            id,
            name: m.name,
            short_code: m.shortCode,
            xero_connection: 'oauth',
            xero_tenant_id: m.tenantId,
            xero_client_id: m.clientId,
            xero_client_secret_enc: box.seal('', secretContext('merchants', 'xero_client_secret_enc', id)),
            mode: 'test',
            xero_test_organisation: m.isDemoCompany ?? false,
            fee_account_code: DEFAULT_FEE_ACCOUNT_CODE,
            sales_account_code: DEFAULT_SALES_ACCOUNT_CODE,
            status: 'onboarding',
          })
          .onConflict((oc) => oc.column('short_code').doNothing())
          .returning('id')
          .executeTakeFirst();
        if (!inserted) throw new ShortCodeTakenError(`ShortCode ${m.shortCode} already belongs to another merchant`);
        await trx
          .insertInto('xero_tokens')
          .values({ merchant_id: id, token_set_enc: sealTokens(box, m.tokens, tokensContext(id)), expires_at: m.tokens.expiresAt, updated_at: now })
          .execute();
      });
      return id;
    },

    /**
     * The merchant is connected again (OAuth): new token set, disconnection cleared, and the jobs
     * that waited meanwhile are due now.
     */
    async reconnect(merchantId: string, c: { tenantId: string; clientId: string; tokens: XeroTokenSet }, now: Date, connectLinkHash?: string): Promise<void> {
      await db.transaction().execute(async (trx) => {
        if (connectLinkHash) await useConnectLink(trx, connectLinkHash, merchantId, now);
        await trx
          .updateTable('merchants')
          .set({
            xero_connection: 'oauth',
            xero_tenant_id: c.tenantId,
            xero_client_id: c.clientId,
            xero_client_secret_enc: box.seal('', secretContext('merchants', 'xero_client_secret_enc', merchantId)),
            xero_disconnected_at: null,
            xero_disconnect_reason: null,
            updated_at: now,
          })
          .where('id', '=', merchantId)
          .execute();
        await saveTokens(trx, merchantId, c.tokens, now);
        await bringForward(trx, merchantId, now);
      });
    },

    /**
     * First connection of a merchant created before its Xero organisation was known (a connect link):
     * the organisation's ShortCode replaces the placeholder, in one commit with the token set. Throws
     * ShortCodeTakenError when another merchant holds that ShortCode, OrganisationTakenError when the
     * merchant got connected meanwhile.
     */
    async connectPending(
      merchantId: string,
      c: { tenantId: string; shortCode: string; clientId: string; tokens: XeroTokenSet; isDemoCompany: boolean },
      now: Date,
      connectLinkHash?: string,
    ): Promise<void> {
      try {
        await db.transaction().execute(async (trx) => {
          if (connectLinkHash) await useConnectLink(trx, connectLinkHash, merchantId, now);
          const updated = await trx
            .updateTable('merchants')
            .set({
              short_code: c.shortCode,
              xero_tenant_id: c.tenantId,
              xero_client_id: c.clientId,
              ...(c.isDemoCompany ? { xero_test_organisation: true } : {}),
              xero_disconnected_at: null,
              xero_disconnect_reason: null,
              updated_at: now,
            })
            .where('id', '=', merchantId)
            .where('xero_connection', '=', 'oauth')
            .where('xero_tenant_id', '=', '')
            .returning('id')
            .executeTakeFirst();
          if (!updated) throw new OrganisationTakenError('merchant was connected meanwhile');
          await saveTokens(trx, merchantId, c.tokens, now);
        });
      } catch (err) {
        if ((err as { code?: string }).code === '23505') throw new ShortCodeTakenError(`ShortCode ${c.shortCode} already belongs to another merchant`);
        throw err;
      }
    },

    /** Forgets the token set and marks the merchant disconnected; their jobs wait (jobs.claim skips them). */
    async disconnect(merchantId: string, reason: string, now: Date): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('xero_tokens').where('merchant_id', '=', merchantId).execute();
        await trx
          .updateTable('merchants')
          .set({ xero_disconnected_at: now, xero_disconnect_reason: reason, updated_at: now })
          .where('id', '=', merchantId)
          .execute();
      });
    },
  };
}

export type XeroConnectionStore = ReturnType<typeof createXeroConnectionStore>;
