import { sql, type Kysely } from 'kysely';
import type { Db } from './db.js';
import type { Database } from './schema.js';
import type { XenditMode } from './merchant-model.js';

/**
 * The Xendit business of each merchant's stored keys (migration 20261206T2150). One merchant holds a
 * Xendit account (a business, in one mode) at a time: the unique index on (business_id, mode) says
 * so atomically, whoever saves first, however many save at once.
 */
export interface KeyBusiness {
  /** Recorded, and this merchant's; null: not known yet. */
  businessId: string | null;
  /** Another merchant's key held this account when this key's business was found, after the key was stored: not this merchant's. */
  sharedBusiness: string | null;
  /** When it was recorded or found; while neither is known, when the key was stored (or first asked about). */
  lookedAt: Date;
  /**
   * From when the recorded business's account is this merchant's (xendit_listed_since, migration
   * 20261207T0526): when a key of it was first stored for this merchant and mode. Null while no
   * business is recorded.
   */
  listedSince: Date | null;
}

/** Another merchant's stored key already holds the account of the key given for this mode. */
export class XenditAccountTaken extends Error {
  constructor(readonly mode: XenditMode) {
    super(`the ${mode} Xendit account is another merchant's`);
  }
}

const UNIQUE_INDEX = 'xendit_key_businesses_one_merchant';
const takenIndex = (err: unknown) =>
  (err as { code?: string; constraint?: string }).code === '23505' && (err as { constraint?: string }).constraint === UNIQUE_INDEX;

/**
 * A key of this business is stored (or found) for the merchant and mode: its account's money is the
 * merchant's from `at`, unless a key of it was stored before (a rotation keeps the first: what moved
 * in between was booked, or the listings would take it for money from before the gateway). Returns
 * the start that holds; the update that keeps the first one is there to return it (do nothing
 * returns no row).
 */
async function listedFrom(trx: Kysely<Database>, merchantId: string, mode: XenditMode, businessId: string, at: Date): Promise<Date> {
  const r = await trx
    .insertInto('xendit_listed_since')
    .values({ merchant_id: merchantId, mode, business_id: businessId, since: at })
    .onConflict((oc) => oc.columns(['merchant_id', 'mode', 'business_id']).doUpdateSet((eb) => ({ since: eb.ref('xendit_listed_since.since') })))
    .returning('since')
    .executeTakeFirstOrThrow();
  return new Date(r.since);
}

/** What found() made of a business: 'own' with the start its listings read from (listedFrom). */
export type Found = { found: 'own'; listedSince: Date } | { found: 'shared' | 'unknown' | 'changed' };

/** Each new key's Xendit business by mode: null, not known (asked later); left out, forgotten (the CLI, the demo: asked later too). */
export type KeyBusinesses = Partial<Record<XenditMode, string | null>>;

/**
 * Inside the transaction that stores new keys: each one's business replaces what the old key's
 * was. Throws XenditAccountTaken (the transaction then writes nothing) when another merchant's key
 * holds that account; one saving it at the same moment waits on the index, then is refused.
 */
export async function keysStored(
  trx: Kysely<Database>,
  merchantId: string,
  x: { test?: string; live?: string; businesses?: KeyBusinesses },
  now: Date,
): Promise<void> {
  for (const mode of ['test', 'live'] as const) {
    if (!x[mode]) continue;
    const businessId = x.businesses?.[mode];
    if (businessId === undefined) {
      await trx.deleteFrom('xendit_key_businesses').where('merchant_id', '=', merchantId).where('mode', '=', mode).execute();
      continue;
    }
    const values = { business_id: businessId, shared_business: null, looked_at: now };
    const upsert = () =>
      trx
        .insertInto('xendit_key_businesses')
        .values({ merchant_id: merchantId, mode, ...values })
        .onConflict((oc) => oc.columns(['merchant_id', 'mode']).doUpdateSet(values))
        .execute();
    if (!businessId) {
      await upsert();
      continue;
    }
    await sql`savepoint key_business`.execute(trx);
    try {
      await upsert();
    } catch (err) {
      if (!takenIndex(err)) throw err;
      // ON CONFLICT handles its target (merchant_id, mode) only: this merchant's listing finding the
      // old key's business (found) as this insert passed that check is refused by the business index
      // instead. Then the account is this merchant's own, and the row now there is updated.
      await sql`rollback to savepoint key_business`.execute(trx);
      const own = await trx
        .selectFrom('xendit_key_businesses')
        .select('merchant_id')
        .where('merchant_id', '=', merchantId)
        .where('mode', '=', mode)
        .where('business_id', '=', businessId)
        .executeTakeFirst();
      if (!own) throw new XenditAccountTaken(mode);
      await upsert();
    }
    await sql`release savepoint key_business`.execute(trx);
    await listedFrom(trx, merchantId, mode, businessId, now);
  }
}

async function keyBusinessOf(db: Db, merchantId: string, mode: XenditMode): Promise<KeyBusiness | null> {
  const r = await db
    .selectFrom('xendit_key_businesses as b')
    .leftJoin('xendit_listed_since as s', (j) =>
      j.onRef('s.merchant_id', '=', 'b.merchant_id').onRef('s.mode', '=', 'b.mode').onRef('s.business_id', '=', 'b.business_id'),
    )
    .select(['b.business_id', 'b.shared_business', 'b.looked_at', 's.since'])
    .where('b.merchant_id', '=', merchantId)
    .where('b.mode', '=', mode)
    .executeTakeFirst();
  if (!r) return null;
  const listedSince = r.since ? new Date(r.since) : null;
  return { businessId: r.business_id, sharedBusiness: r.shared_business, lookedAt: new Date(r.looked_at), listedSince };
}

export function createXenditBusinessStore(db: Db) {
  return {
    of: (merchantId: string, mode: XenditMode) => keyBusinessOf(db, merchantId, mode),

    /** The merchant whose stored key holds this account, if any. */
    async holder(businessId: string, mode: XenditMode): Promise<string | null> {
      const r = await db
        .selectFrom('xendit_key_businesses')
        .select('merchant_id')
        .where('business_id', '=', businessId)
        .where('mode', '=', mode)
        .executeTakeFirst();
      return r?.merchant_id ?? null;
    },

    /**
     * Other merchants' keys of this mode whose business is not known yet (not found shared either),
     * stored before `before`, first stored first: one of them may be a key of the very account a
     * later key has just told, and was saved first. `seen` is each row as read (found's token).
     */
    async unknownBefore(mode: XenditMode, before: Date, exceptMerchantId: string): Promise<{ merchantId: string; seen: KeyBusiness }[]> {
      const rows = await db
        .selectFrom('xendit_key_businesses')
        .selectAll()
        .where('mode', '=', mode)
        .where('business_id', 'is', null)
        .where('shared_business', 'is', null)
        .where('looked_at', '<', before)
        .where('merchant_id', '!=', exceptMerchantId)
        .orderBy('looked_at')
        .orderBy('merchant_id')
        .execute();
      return rows.map((r) => ({
        merchantId: r.merchant_id,
        seen: { businessId: null, sharedBusiness: null, lookedAt: new Date(r.looked_at), listedSince: null },
      }));
    },

    /**
     * A stored key's business found after it was stored (`seen`: the row as read before asking,
     * null: none; a key saved meanwhile changed it, and this is not written). 'shared' when another
     * merchant's key holds the account. Null, no business: a row that exists is left as it is, so
     * its looked_at still says when its key was stored (unknownBefore); none is made, dated now.
     * `storedAt`: when the key was stored, for one with no row (stored with its merchant, or before
     * businesses were recorded). A business found own is listed from when its key was stored (the
     * unknown row's looked_at, else `storedAt`), or from now when another merchant held it until now;
     * in the same commit, so a business is never recorded without it.
     */
    async found(merchantId: string, mode: XenditMode, businessId: string | null, seen: KeyBusiness | null, now: Date, storedAt: Date): Promise<Found> {
      const since = !seen ? storedAt : seen.sharedBusiness ? now : seen.lookedAt;
      /** Null when a key saved meanwhile changed the row (nothing written); else the start, when a business is recorded. */
      const set = (business_id: string | null, shared_business: string | null) =>
        db.transaction().execute(async (trx): Promise<{ listedSince: Date | null } | null> => {
          const done = seen
            ? await trx
                .updateTable('xendit_key_businesses')
                .set({ business_id, shared_business, looked_at: now })
                .where('merchant_id', '=', merchantId)
                .where('mode', '=', mode)
                .where('looked_at', '=', seen.lookedAt)
                .executeTakeFirst()
                .then((r) => r.numUpdatedRows > 0n)
            : await trx
                .insertInto('xendit_key_businesses')
                .values({ merchant_id: merchantId, mode, business_id, shared_business, looked_at: now })
                .onConflict((oc) => oc.columns(['merchant_id', 'mode']).doNothing())
                .returning('merchant_id')
                .executeTakeFirst()
                .then(Boolean);
          if (!done) return null;
          return { listedSince: business_id ? await listedFrom(trx, merchantId, mode, business_id, since) : null };
        });
      if (!businessId) return { found: seen || (await set(null, null)) ? 'unknown' : 'changed' };
      // Written meanwhile (another listing of this merchant runs beside this one): what it wrote
      // holds. The same business is this key's own account; anything else, the next look decides.
      const writtenMeanwhile = async (): Promise<Found | null> => {
        const row = await keyBusinessOf(db, merchantId, mode);
        return row?.businessId === businessId ? { found: 'own', listedSince: row.listedSince ?? row.lookedAt } : null;
      };
      try {
        const own = await set(businessId, null);
        if (own?.listedSince) return { found: 'own', listedSince: own.listedSince };
        return (await writtenMeanwhile()) ?? { found: 'changed' };
      } catch (err) {
        if (!takenIndex(err)) throw err;
      }
      // ON CONFLICT skips a conflict on its target (merchant_id, mode) only: an insert that passed
      // that check while this merchant's other listing was inserting the same row is refused by the
      // business index instead (PostgreSQL docs, INSERT, conflict_target: arbiter indexes). That
      // account is this merchant's, not another's.
      return (await writtenMeanwhile()) ?? { found: (await set(null, businessId)) ? 'shared' : 'changed' };
    },
  };
}

export type XenditBusinessStore = ReturnType<typeof createXenditBusinessStore>;
