import type { Db } from './db.js';
import { secretContext, type SecretBox } from '../security/secrets.js';
import type { XeroRefreshOutcome, XeroTokenSet, XeroTokenStore } from '../clients/xero/types.js';

interface SealedShape {
  accessToken: string;
  refreshToken: string;
  expiresAt: string;
  idToken?: string;
  scope?: string;
}

/** A token set sealed in xero_tokens is bound to its merchant's row. */
export const tokensContext = (merchantId: string) => secretContext('xero_tokens', 'token_set_enc', merchantId);

export function sealTokens(box: SecretBox, t: XeroTokenSet, context: string): string {
  const shape: SealedShape = {
    accessToken: t.accessToken,
    refreshToken: t.refreshToken,
    expiresAt: t.expiresAt.toISOString(),
    ...(t.idToken ? { idToken: t.idToken } : {}),
    ...(t.scope ? { scope: t.scope } : {}),
  };
  return box.seal(JSON.stringify(shape), context);
}

export function openTokens(box: SecretBox, sealed: string, context: string): XeroTokenSet {
  const s = JSON.parse(box.open(sealed, context)) as SealedShape;
  return {
    accessToken: s.accessToken,
    refreshToken: s.refreshToken,
    expiresAt: new Date(s.expiresAt),
    ...(s.idToken ? { idToken: s.idToken } : {}),
    ...(s.scope ? { scope: s.scope } : {}),
  };
}

/**
 * OAuth token sets, one row per merchant. A refresh runs inside a transaction that holds the row
 * (SELECT … FOR UPDATE): another process wanting to refresh the same organisation waits for the
 * commit, then finds the new set and uses it. The rotated refresh token is committed before the
 * caller gets the new access token, so a crash after Xero answered never loses it.
 */
export function createXeroTokenStore(
  db: Db,
  box: SecretBox,
): XeroTokenStore & {
  save(merchantId: string, tokens: XeroTokenSet, now: Date): Promise<void>;
  remove(merchantId: string): Promise<void>;
  idleSince(before: Date, limit: number): Promise<string[]>;
} {
  return {
    async current(merchantId) {
      const row = await db.selectFrom('xero_tokens').select('token_set_enc').where('merchant_id', '=', merchantId).executeTakeFirst();
      return row ? openTokens(box, row.token_set_enc, tokensContext(merchantId)) : null;
    },

    async refreshLocked(merchantId, decide): Promise<XeroRefreshOutcome | null> {
      return db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('xero_tokens').select('token_set_enc').where('merchant_id', '=', merchantId).forUpdate().executeTakeFirst();
        if (!row) return null;
        const outcome = await decide(openTokens(box, row.token_set_enc, tokensContext(merchantId)));
        if (outcome.kind === 'refreshed') {
          await trx
            .updateTable('xero_tokens')
            .set({ token_set_enc: sealTokens(box, outcome.tokens, tokensContext(merchantId)), expires_at: outcome.tokens.expiresAt, updated_at: new Date() })
            .where('merchant_id', '=', merchantId)
            .execute();
        } else if (outcome.kind === 'revoked') {
          await trx.deleteFrom('xero_tokens').where('merchant_id', '=', merchantId).execute();
          await trx
            .updateTable('merchants')
            .set({ xero_disconnected_at: outcome.at, xero_disconnect_reason: outcome.reason, updated_at: outcome.at })
            .where('id', '=', merchantId)
            .execute();
        }
        return outcome;
      });
    },

    async save(merchantId, tokens, now) {
      await db
        .insertInto('xero_tokens')
        .values({ merchant_id: merchantId, token_set_enc: sealTokens(box, tokens, tokensContext(merchantId)), expires_at: tokens.expiresAt, updated_at: now })
        .onConflict((oc) =>
          oc
            .column('merchant_id')
            .doUpdateSet({ token_set_enc: sealTokens(box, tokens, tokensContext(merchantId)), expires_at: tokens.expiresAt, updated_at: now }),
        )
        .execute();
    },

    /**
     * Connected merchants whose access token expired before `before` (so was last refreshed before
     * then: access tokens live 30 minutes), the longest idle first. expires_at is written from the
     * injected clock, unlike updated_at.
     */
    async idleSince(before, limit) {
      const rows = await db
        .selectFrom('xero_tokens')
        .innerJoin('merchants', 'merchants.id', 'xero_tokens.merchant_id')
        .select('xero_tokens.merchant_id')
        .where('xero_tokens.expires_at', '<', before)
        .where('merchants.xero_disconnected_at', 'is', null)
        .orderBy('xero_tokens.expires_at')
        .limit(limit)
        .execute();
      return rows.map((r) => r.merchant_id);
    },

    async remove(merchantId) {
      await db.deleteFrom('xero_tokens').where('merchant_id', '=', merchantId).execute();
    },
  };
}

export type XeroTokens = ReturnType<typeof createXeroTokenStore>;
