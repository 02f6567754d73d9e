import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import type { MerchantRole, UserRole, UsersTable } from './schema.js';
export type { MerchantRole } from './schema.js';

export interface User {
  id: string;
  email: string;
  passwordHash: string;
  role: UserRole;
  merchantId: string | null;
  /** Merchant users only: owner, or staff (reads only). */
  merchantRole: MerchantRole;
  /** Set: cannot sign in; their sessions were ended. */
  disabledAt: Date | null;
  /** False for an invited user who has not set a password yet. */
  hasPassword: boolean;
  /** The user who invited them; null when made otherwise (setup, the CLI) or before this was kept. */
  invitedBy: string | null;
  createdAt: Date;
}

export interface NewUser {
  email: string;
  /** '' for an invited user: no password signs in until they set one through their link. */
  passwordHash: string;
  role: UserRole;
  merchantId: string | null;
  merchantRole?: MerchantRole;
  invitedBy?: string | null;
}

/** What a one-time user link (invite or password reset) finds. */
export type UserLinkState = { userId: string; purpose: 'invite' | 'reset'; state: 'usable' | 'used' | 'expired' } | null;

export class EmailTakenError extends Error {}

const toUser = (r: Selectable<UsersTable>): User => ({
  id: r.id,
  email: r.email,
  passwordHash: r.password_hash,
  role: r.role,
  merchantId: r.merchant_id,
  merchantRole: r.merchant_role,
  disabledAt: r.disabled_at ?? null,
  hasPassword: r.password_hash !== '',
  invitedBy: r.invited_by ?? null,
  createdAt: r.created_at,
});

export function createUserStore(db: Db) {
  const insert = async (trx: Db, u: NewUser, now: Date): Promise<User> => {
    const row = await trx
      .insertInto('users')
      .values({
        id: randomUUID(),
        email: u.email,
        password_hash: u.passwordHash,
        role: u.role,
        merchant_id: u.merchantId,
        merchant_role: u.merchantRole ?? 'owner',
        invited_by: u.invitedBy ?? null,
        created_at: now,
      })
      .onConflict((oc) => oc.column('email').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new EmailTakenError(`a user with e-mail ${u.email} already exists`);
    return toUser(row);
  };

  const insertLink = (trx: Db, userId: string, purpose: 'invite' | 'reset', tokenHash: string, now: Date, expiresAt: Date) =>
    trx.insertInto('user_links').values({ token_hash: tokenHash, user_id: userId, purpose, created_at: now, expires_at: expiresAt }).execute();

  return {
    add: (u: NewUser, now: Date) => insert(db, u, now),

    /**
     * An invited user and their link in one commit: a second invite of the address (a double click)
     * waits on the first's row until then, and a fresh link it issues (addLink) replaces this one.
     */
    async addInvited(u: NewUser, link: { tokenHash: string; expiresAt: Date }, now: Date): Promise<User> {
      return db.transaction().execute(async (trx) => {
        const user = await insert(trx as unknown as Db, u, now);
        await insertLink(trx as unknown as Db, user.id, 'invite', link.tokenHash, now, link.expiresAt);
        return user;
      });
    },

    async byEmail(email: string): Promise<User | null> {
      const r = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
      return r ? toUser(r) : null;
    },

    async byId(id: string): Promise<User | null> {
      const r = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toUser(r) : null;
    },

    async list(): Promise<User[]> {
      return (await db.selectFrom('users').selectAll().orderBy('created_at').orderBy('email').execute()).map(toUser);
    },

    async listForMerchant(merchantId: string): Promise<User[]> {
      return (await db.selectFrom('users').selectAll().where('merchant_id', '=', merchantId).orderBy('created_at').orderBy('email').execute()).map(toUser);
    },

    /**
     * Disabled at once: their sessions end in the same commit. `pendingOnly`: only while the user has
     * set no password (an invitation revoked), checked in the write itself, so a password set since
     * the caller read the user keeps them; false when nothing was disabled for that reason.
     */
    async disable(userId: string, now: Date, opts: { pendingOnly?: boolean } = {}): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        let update = trx.updateTable('users').set({ disabled_at: now }).where('id', '=', userId);
        if (opts.pendingOnly) update = update.where('password_hash', '=', '');
        const done = await update.returning('id').executeTakeFirst();
        if (!done) return false;
        await trx.deleteFrom('sessions').where('user_id', '=', userId).execute();
        await trx.updateTable('user_links').set({ used_at: now }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
        return true;
      });
    },

    /** A new password; every other session of the user ends (a reset may follow a stolen one), `keepSession` excepted. */
    async setPassword(userId: string, passwordHash: string, keepSession: string | null): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
        let gone = trx.deleteFrom('sessions').where('user_id', '=', userId);
        if (keepSession) gone = gone.where('id_hash', '!=', keepSession);
        await gone.execute();
      });
    },

    /** A new one-time link; the user's earlier unused links stop working. */
    async addLink(userId: string, purpose: 'invite' | 'reset', tokenHash: string, now: Date, expiresAt: Date): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('user_links').where('user_id', '=', userId).where('used_at', 'is', null).execute();
        await insertLink(trx as unknown as Db, userId, purpose, tokenHash, now, expiresAt);
      });
    },

    async findLink(tokenHash: string, now: Date): Promise<UserLinkState> {
      const r = await db.selectFrom('user_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (!r) return null;
      return { userId: r.user_id, purpose: r.purpose, state: r.used_at ? 'used' : r.expires_at.getTime() <= now.getTime() ? 'expired' : 'usable' };
    },

    /** Uses the link and sets the password in one commit; false when it was used or expired meanwhile. Ends the user's sessions. */
    async setPasswordByLink(tokenHash: string, passwordHash: string, now: Date): Promise<string | null> {
      return db.transaction().execute(async (trx) => {
        const link = await trx
          .updateTable('user_links')
          .set({ used_at: now })
          .where('token_hash', '=', tokenHash)
          .where('used_at', 'is', null)
          .where('expires_at', '>', now)
          .returning('user_id')
          .executeTakeFirst();
        if (!link) return null;
        const user = await trx
          .updateTable('users')
          .set({ password_hash: passwordHash })
          .where('id', '=', link.user_id)
          .where('disabled_at', 'is', null)
          .returning('id')
          .executeTakeFirst();
        if (!user) return null;
        await trx.deleteFrom('sessions').where('user_id', '=', link.user_id).execute();
        return user.id;
      });
    },

    async hasOperator(): Promise<boolean> {
      const r = await db.selectFrom('users').select('id').where('role', '=', 'operator').limit(1).executeTakeFirst();
      return Boolean(r);
    },

    async addSetupToken(tokenHash: string, now: Date, expiresAt: Date): Promise<void> {
      await db.insertInto('setup_tokens').values({ token_hash: tokenHash, created_at: now, expires_at: expiresAt }).execute();
    },

    async setupTokenUsable(tokenHash: string, now: Date): Promise<boolean> {
      const r = await db
        .selectFrom('setup_tokens')
        .select('token_hash')
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Boolean(r);
    },

    /**
     * Spends every live setup link at once and creates the first operator with the one given.
     * Two links used at the same moment: the row locks let one transaction through; the other
     * finds its link already spent. Returns null when this link was not (or no longer) usable.
     */
    async createFirstOperator(tokenHash: string, u: Omit<NewUser, 'role' | 'merchantId'>, now: Date): Promise<User | null> {
      return db.transaction().execute(async (trx) => {
        const spent = await trx
          .updateTable('setup_tokens')
          .set({ used_at: now })
          .where('used_at', 'is', null)
          .where('expires_at', '>', now)
          .returning('token_hash')
          .execute();
        if (!spent.some((t) => t.token_hash === tokenHash)) return null;
        const operator = await trx.selectFrom('users').select('id').where('role', '=', 'operator').limit(1).executeTakeFirst();
        if (operator) return null;
        return insert(trx as unknown as Db, { ...u, role: 'operator', merchantId: null }, now);
      });
    },
  };
}

export type UserStore = ReturnType<typeof createUserStore>;
