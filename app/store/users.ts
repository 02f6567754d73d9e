import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import type { UserRole, UsersTable } from './schema.js';

export interface User {
  id: string;
  email: string;
  passwordHash: string;
  role: UserRole;
  merchantId: string | null;
  createdAt: Date;
}

export interface NewUser {
  email: string;
  passwordHash: string;
  role: UserRole;
  merchantId: string | null;
}

export class EmailTakenError extends Error {}

const toUser = (r: Selectable<UsersTable>): User => ({
  id: r.id,
  email: r.email,
  passwordHash: r.password_hash,
  role: r.role,
  merchantId: r.merchant_id,
  createdAt: r.created_at,
});

export function createUserStore(db: Db) {
  const insert = async (trx: Db, u: NewUser, now: Date): Promise<User> => {
    const row = await trx
      .insertInto('users')
      .values({ id: randomUUID(), email: u.email, password_hash: u.passwordHash, role: u.role, merchant_id: u.merchantId, created_at: now })
      .onConflict((oc) => oc.column('email').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new EmailTakenError(`a user with e-mail ${u.email} already exists`);
    return toUser(row);
  };

  return {
    add: (u: NewUser, now: Date) => insert(db, u, now),

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
