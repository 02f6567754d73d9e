import type { Transaction } from 'kysely';
import type { Db } from './db.js';
import type { Database } from './schema.js';

/** One change to where a merchant's money goes or who may change it; never a secret value. */
export interface AuditEntry {
  merchantId: string | null;
  userId: string | null;
  userEmail: string;
  /** e.g. xendit_keys_changed, clearing_account_changed, xero_disconnected, user_invited, user_disabled. */
  action: string;
  detail?: Record<string, string | number | boolean | null>;
}

export interface AuditRow extends Required<AuditEntry> {
  at: Date;
}

/** Writes one entry with `db`, or inside a caller's transaction so the entry stands or falls with the change. */
export async function insertAudit(db: Db | Transaction<Database>, e: AuditEntry, now: Date): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({ merchant_id: e.merchantId, user_id: e.userId, user_email: e.userEmail, action: e.action, detail: JSON.stringify(e.detail ?? {}), at: now })
    .execute();
}

export function createAuditStore(db: Db) {
  return {
    async record(e: AuditEntry, now: Date): Promise<void> {
      await insertAudit(db, e, now);
    },

    /** The merchant's entries, newest first. */
    async forMerchant(merchantId: string, limit = 200): Promise<AuditRow[]> {
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ merchantId: r.merchant_id, userId: r.user_id, userEmail: r.user_email, action: r.action, detail: r.detail, at: r.at }));
    },
  };
}

export type AuditStore = ReturnType<typeof createAuditStore>;
