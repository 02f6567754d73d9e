import type { Transaction } from 'kysely';
import type { Database } from './schema.js';
import type { Db } from './db.js';

/** What a connect link's token hash finds. */
export type ConnectLinkState = { merchantId: string; state: 'usable' | 'used' | 'expired' } | null;

/** Thrown inside the connecting transaction when the link was used or expired meanwhile: nothing is written. */
export class ConnectLinkSpent extends Error {}

/**
 * Uses the link up for `merchantId` in the caller's transaction; throws ConnectLinkSpent when another
 * connection took it first (two browsers racing) or it expired while the user was at Xero.
 */
export async function useConnectLink(trx: Transaction<Database>, tokenHash: string, merchantId: string, now: Date): Promise<void> {
  const row = await trx
    .updateTable('xero_connect_links')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('merchant_id', '=', merchantId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returning('token_hash')
    .executeTakeFirst();
  if (!row) throw new ConnectLinkSpent('connect link used or expired');
}

/** One-time links that let a merchant's own Xero user complete Connect to Xero (only their hashes). */
export function createConnectLinkStore(db: Db) {
  return {
    /** A new link for the merchant; its earlier unused links stop working. */
    async issue(merchantId: string, tokenHash: string, expiresAt: Date, now: Date): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('xero_connect_links').where('merchant_id', '=', merchantId).where('used_at', 'is', null).execute();
        await trx.insertInto('xero_connect_links').values({ token_hash: tokenHash, merchant_id: merchantId, created_at: now, expires_at: expiresAt }).execute();
      });
    },

    async find(tokenHash: string, now: Date): Promise<ConnectLinkState> {
      const row = await db
        .selectFrom('xero_connect_links')
        .select(['merchant_id', 'used_at', 'expires_at'])
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) return null;
      const state = row.used_at ? 'used' : row.expires_at.getTime() <= now.getTime() ? 'expired' : 'usable';
      return { merchantId: row.merchant_id, state };
    },
  };
}

export type ConnectLinkStore = ReturnType<typeof createConnectLinkStore>;
