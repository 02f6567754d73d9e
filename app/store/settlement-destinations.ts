/**
 * Where withdrawals go, per destination (migration 20261207T0517): the Xero bank account the
 * withdrawals to one of the merchant's banks go to (Xendit's account_identifier, exact), over the
 * currency's settlement bank account (settlement_accounts). Written with the settlement bank
 * accounts, in saveAndResume (store/settlements.ts).
 */
import { sql, type ExpressionBuilder, type Transaction } from 'kysely';
import type { Db } from './db.js';
import type { Database } from './schema.js';

/** One destination's Xero bank account. */
export interface DestinationAccount {
  currency: string;
  accountIdentifier: string;
  accountId: string;
}

/** What the settlement form saves: the account per currency, and per destination over it. */
export interface SettlementChoices {
  accounts: Record<string, string>;
  destinations: DestinationAccount[];
}

/** A destination the merchant's withdrawals went to (or wait to go to), as Xendit named it. */
export interface DestinationSeen {
  currency: string;
  accountIdentifier: string;
  /** The bank, by Xendit's channel code (the latest one named, when more than one). */
  channelCode: string | null;
  /** Of them, how many wait for a settlement bank account. */
  waiting: number;
}

/** The merchant's destination accounts, by currency and identifier. */
export async function destinationsIn(db: Db | Transaction<Database>, merchantId: string): Promise<DestinationAccount[]> {
  const rows = await db
    .selectFrom('settlement_destinations')
    .select(['currency', 'account_identifier', 'account_id'])
    .where('merchant_id', '=', merchantId)
    .orderBy('currency')
    .orderBy('account_identifier')
    .execute();
  return rows.map((r) => ({ currency: r.currency, accountIdentifier: r.account_identifier, accountId: r.account_id }));
}

/** Every destination account replaced by `list`. */
export async function writeDestinations(trx: Transaction<Database>, merchantId: string, list: DestinationAccount[]): Promise<void> {
  await trx.deleteFrom('settlement_destinations').where('merchant_id', '=', merchantId).execute();
  if (!list.length) return;
  await trx
    .insertInto('settlement_destinations')
    .values(list.map((d) => ({ merchant_id: merchantId, currency: d.currency, account_identifier: d.accountIdentifier, account_id: d.accountId })))
    .execute();
}

/**
 * The withdrawals (of the update or select this is used in) that a save of `choices` gives an
 * account: of a currency with one, or to a destination with one. null: none.
 */
export function givenAnAccount(choices: SettlementChoices) {
  const currencies = Object.keys(choices.accounts);
  if (!currencies.length && !choices.destinations.length) return null;
  return (eb: ExpressionBuilder<Database, 'withdrawals'>) =>
    eb.or([
      ...(currencies.length ? [eb('currency', 'in', currencies)] : []),
      ...choices.destinations.map((d) => eb.and([eb('currency', '=', d.currency), eb('account_identifier', '=', d.accountIdentifier)])),
    ]);
}

/** No account for the withdrawal (of the update this is used in): neither its destination's nor its currency's. */
export function noAccountFor(eb: ExpressionBuilder<Database, 'withdrawals'>) {
  const one = sql.lit(1).as('one');
  return eb.and([
    eb.not(
      eb.exists(
        eb
          .selectFrom('settlement_accounts as s')
          .select(one)
          .whereRef('s.merchant_id', '=', 'withdrawals.merchant_id')
          .whereRef('s.currency', '=', 'withdrawals.currency'),
      ),
    ),
    eb.not(
      eb.exists(
        eb
          .selectFrom('settlement_destinations as d')
          .select(one)
          .whereRef('d.merchant_id', '=', 'withdrawals.merchant_id')
          .whereRef('d.currency', '=', 'withdrawals.currency')
          .whereRef('d.account_identifier', '=', 'withdrawals.account_identifier'),
      ),
    ),
  ]);
}

export function createDestinationReads(db: Db) {
  return {
    /** The merchant's destination accounts, by currency and identifier. */
    destinations: (merchantId: string): Promise<DestinationAccount[]> => destinationsIn(db, merchantId),

    /**
     * Where a withdrawal to `accountIdentifier` in `currency` goes: its destination's account, else
     * the currency's (null identifier: Xendit named none, the currency's); null: neither is picked.
     */
    async accountFor(merchantId: string, currency: string, accountIdentifier: string | null): Promise<{ accountId: string; mapped: boolean } | null> {
      const r = await db
        .selectNoFrom((eb) => [
          eb
            .selectFrom('settlement_destinations')
            .select('account_id')
            .where('merchant_id', '=', merchantId)
            .where('currency', '=', currency)
            // '' is no identifier stored (the column's check): none named, none mapped.
            .where('account_identifier', '=', accountIdentifier ?? '')
            .as('mapped'),
          eb.selectFrom('settlement_accounts').select('account_id').where('merchant_id', '=', merchantId).where('currency', '=', currency).as('fallback'),
        ])
        .executeTakeFirstOrThrow();
      if (r.mapped) return { accountId: r.mapped, mapped: true };
      return r.fallback ? { accountId: r.fallback, mapped: false } : null;
    },

    /** The destinations of the merchant's recorded and waiting withdrawals, each with how many wait. */
    async seen(merchantId: string): Promise<DestinationSeen[]> {
      const rows = await db
        .selectFrom('withdrawals')
        .select((eb) => [
          'currency',
          'account_identifier',
          // The latest row's bank: a bank renamed its code since would show under its new one.
          sql<string | null>`(array_agg(channel_code order by withdrawn_at desc))[1]`.as('channel_code'),
          eb.fn.countAll<string>().filterWhere('state', '=', 'waiting').as('waiting'),
        ])
        .where('merchant_id', '=', merchantId)
        .where('state', 'in', ['recorded', 'waiting'])
        .where('account_identifier', 'is not', null)
        .groupBy(['currency', 'account_identifier'])
        .orderBy('currency')
        .orderBy('account_identifier')
        .execute();
      return rows.map((r) => ({ currency: r.currency, accountIdentifier: r.account_identifier!, channelCode: r.channel_code, waiting: Number(r.waiting) }));
    },
  };
}
