/**
 * Settlements (migration 20261205T1215): the bank account a merchant's withdrawals go to in Xero,
 * per currency, and each withdrawal from the Xendit balance with its Bank Transfer in Xero.
 */
import { sql, type Selectable, type Transaction, type UpdateObject } from 'kysely';
import type { Db } from './db.js';
import { finishClaim, insertJob, requeueJobs, requeueOrRunAgain, fencedUpdate, type Claim, type NewJobRow } from './jobs.js';
import { int8 } from './int8.js';
import { lockMerchantRow, type StoredCheck } from './merchant-forms.js';
import type { Database, WithdrawalEntryKind, WithdrawalState, WithdrawalsTable } from './schema.js';
import type { Currency } from '../money.js';
import { createWithdrawalFeeWrites } from './withdrawal-fees.js';
import { createDestinationReads, destinationsIn, givenAnAccount, noAccountFor, writeDestinations, type SettlementChoices } from './settlement-destinations.js';

export interface Withdrawal {
  id: string;
  merchantId: string;
  xenditTransactionId: string;
  currency: Currency;
  amount: number; // minor units
  state: WithdrawalState;
  /** The Bank Transfer out, or (entryKind 'receive') the Receive Money into the settlement bank account. */
  xeroBankTransferId: string | null;
  transferAttemptAt: Date | null;
  lastError: string | null;
  withdrawnAt: Date;
  /** When the gateway saw Xendit report it REVERSED (the bank sent it back). */
  reversedAt: Date | null;
  reversalAttemptAt: Date | null;
  /** The Bank Transfer back, or (entryKind 'receive') the Spend Money out of the settlement bank account. */
  xeroReversalTransferId: string | null;
  /** What the last attempt sent, kept from then on: where a retry looks, and how a reversal goes back. */
  entryKind: WithdrawalEntryKind | null;
  /** Where it went, as Xendit names it (account_identifier, channel_code); null: not said. */
  accountIdentifier: string | null;
  channelCode: string | null;
  /** Xendit's fee and VAT on it (minor units; 0: none), and whether it came out of `amount` rather than on top. */
  fee: number;
  /** The VAT part of `fee`. */
  feeTax: number;
  feeInAmount: boolean;
  feeAttemptAt: Date | null;
  /** The entry booking the fee: its Spend Money, a manual journal, or the Receive Money carrying it. */
  xeroFeeEntryId: string | null;
  /** Reversed, and Xendit gave the fee back (its status REVERSED or CANCELED); when, if later than the reversal (else null); with the Receive Money booking it back. */
  feeReturned: boolean;
  feeReturnedAt: Date | null;
  feeReturnAttemptAt: Date | null;
  xeroFeeReturnEntryId: string | null;
  /** What the entry out carried into the settlement bank (minor units), as sent or found; null: not known. */
  transferAmount: number | null;
  /** When the listing queued it again, reversed already, for the fee Xendit kept (noteFeeKept). */
  feeKeptNotedAt: Date | null;
}

/**
 * The listings the withdrawal cursors keep: withdrawals made since a time, and sent back since a
 * time; and Xendit's other balance movements (list-other-movements.ts), read the same way: made
 * since a time ('other'), and made before it and changed since ('other_updated').
 */
export type ListingKind = 'created' | 'reversed' | 'other' | 'other_updated' | 'chargeback' | 'refund';

/** One listing of one merchant's withdrawals: with the key of `mode`, in one currency. */
export interface ListingAt {
  merchantId: string;
  mode: 'test' | 'live';
  currency: string;
  listing: ListingKind;
}

/** An unfinished listing: the same question (`since`) asked again, from the oldest `created` it read (`reached`: walkByTime), else after `afterId`. */
export interface ListCursor {
  since: Date;
  afterId: string;
  /** When that listing began. */
  startedAt: Date;
  reached?: Date | null; // migration 20261207T2305
}

const toWithdrawal = (r: Selectable<WithdrawalsTable>): Withdrawal => ({
  id: r.id,
  merchantId: r.merchant_id,
  xenditTransactionId: r.xendit_transaction_id,
  currency: r.currency as Currency,
  amount: int8(r.amount),
  state: r.state,
  xeroBankTransferId: r.xero_bank_transfer_id,
  transferAttemptAt: r.transfer_attempt_at,
  lastError: r.last_error,
  withdrawnAt: r.withdrawn_at,
  reversedAt: r.reversed_at,
  reversalAttemptAt: r.reversal_attempt_at,
  xeroReversalTransferId: r.xero_reversal_transfer_id,
  entryKind: r.entry_kind,
  accountIdentifier: r.account_identifier,
  channelCode: r.channel_code,
  fee: int8(r.fee),
  feeTax: int8(r.fee_tax),
  feeInAmount: r.fee_in_amount,
  feeAttemptAt: r.fee_attempt_at,
  xeroFeeEntryId: r.xero_fee_entry_id,
  feeReturned: r.fee_returned,
  feeReturnedAt: r.fee_returned_at,
  feeReturnAttemptAt: r.fee_return_attempt_at,
  xeroFeeReturnEntryId: r.xero_fee_return_entry_id,
  transferAmount: r.transfer_amount === null ? null : int8(r.transfer_amount),
  feeKeptNotedAt: r.fee_kept_noted_at,
});

/** Where a test may hold a settlement save open: its accounts written and its waiting withdrawals resumed, not yet committed. */
export type SettlementSaveHook = () => Promise<void>;

export function createSettlementStore(db: Db, opts: { beforeCommit?: SettlementSaveHook } = {}) {
  /** With `claim`, only while it holds its job (claim-fence.ts); whether it was written. */
  const update = async (id: string, set: UpdateObject<Database, 'withdrawals'>, now: Date, claim?: Claim) => {
    return fencedUpdate(
      db
        .updateTable('withdrawals')
        .set({ ...set, updated_at: now })
        .where('id', '=', id),
      claim,
    );
  };
  return {
    ...createDestinationReads(db),
    ...createWithdrawalFeeWrites(db, update),
    /** Currency → Xero AccountID of the bank account withdrawals in that currency go to. */
    accounts: (merchantId: string): Promise<Record<string, string>> => accountsIn(db, merchantId),

    /** The withdrawal's row, made on first sight (one per merchant and Xendit transaction). */
    async getOrCreate(
      w: Pick<Withdrawal, 'id' | 'merchantId' | 'xenditTransactionId' | 'currency' | 'amount' | 'withdrawnAt'> &
        Partial<Pick<Withdrawal, 'accountIdentifier' | 'channelCode' | 'fee' | 'feeTax' | 'feeInAmount' | 'feeReturned'>>,
      now: Date,
    ): Promise<Withdrawal> {
      await db
        .insertInto('withdrawals')
        .values({
          id: w.id,
          merchant_id: w.merchantId,
          xendit_transaction_id: w.xenditTransactionId,
          currency: w.currency,
          amount: w.amount,
          withdrawn_at: w.withdrawnAt,
          account_identifier: w.accountIdentifier ?? null,
          channel_code: w.channelCode ?? null,
          fee: w.fee ?? 0,
          fee_tax: w.feeTax ?? 0,
          fee_in_amount: w.feeInAmount ?? false,
          fee_returned: w.feeReturned ?? false,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['merchant_id', 'xendit_transaction_id']).doNothing())
        .execute();
      return (await this.byXenditId(w.merchantId, w.xenditTransactionId))!;
    },

    /** Where a row made before destinations were kept went, once a listing names it; never changed once known. */
    async noteDestination(id: string, accountIdentifier: string, channelCode: string | null, now: Date): Promise<void> {
      await db
        .updateTable('withdrawals')
        .set({ account_identifier: accountIdentifier, channel_code: channelCode, updated_at: now })
        .where('id', '=', id)
        .where('account_identifier', 'is', null)
        .execute();
    },

    async byXenditId(merchantId: string, xenditTransactionId: string): Promise<Withdrawal | null> {
      return (await this.byXenditIds(merchantId, [xenditTransactionId])).get(xenditTransactionId) ?? null;
    },

    /** Those of these Xendit ids the merchant has, by id. */
    async byXenditIds(merchantId: string, xenditTransactionIds: string[]): Promise<Map<string, Withdrawal>> {
      if (!xenditTransactionIds.length) return new Map();
      const rows = await db
        .selectFrom('withdrawals')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('xendit_transaction_id', 'in', xenditTransactionIds)
        .execute();
      return new Map(rows.map((r) => [r.xendit_transaction_id, toWithdrawal(r)]));
    },

    /** The merchant's withdrawals at or after `since`, oldest first (the reconciliation report). */
    async list(merchantId: string, since: Date): Promise<Withdrawal[]> {
      const rows = await db
        .selectFrom('withdrawals')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('withdrawn_at', '>=', since)
        .orderBy('withdrawn_at')
        .execute();
      return rows.map(toWithdrawal);
    },

    /**
     * The day each of these withdrawals came back, as the gateway dated its return (reversed_at: Xendit's
     * `updated`, or when the listing first saw it REVERSED), and a fee kept then given back later (fee_returned_at).
     */
    async reversedAtOf(merchantId: string, xenditTransactionIds: string[]): Promise<Map<string, { at: Date; feeBackAt: Date | null }>> {
      if (!xenditTransactionIds.length) return new Map();
      const rows = await db
        .selectFrom('withdrawals')
        .select(['xendit_transaction_id', 'reversed_at', 'fee_returned_at'])
        .where('merchant_id', '=', merchantId)
        .where('xendit_transaction_id', 'in', xenditTransactionIds)
        .where('reversed_at', 'is not', null)
        .execute();
      return new Map(rows.map((r) => [r.xendit_transaction_id, { at: r.reversed_at!, feeBackAt: r.fee_returned_at }]));
    },

    /** Where an unfinished listing of this merchant's withdrawals continues (list-withdrawals.ts), or null. */
    async listCursor(at: ListingAt): Promise<ListCursor | null> {
      const r = await db
        .selectFrom('withdrawal_list_cursors')
        .selectAll()
        .where('merchant_id', '=', at.merchantId)
        .where('mode', '=', at.mode)
        .where('currency', '=', at.currency)
        .where('listing', '=', at.listing)
        .executeTakeFirst();
      return r ? { since: new Date(r.since), afterId: r.after_id, startedAt: new Date(r.started_at), reached: r.reached ? new Date(r.reached) : null } : null;
    },

    /** Set once the rows it moves past are recorded and their jobs queued; null: the listing reached its end. */
    async setListCursor(at: ListingAt, cursor: ListCursor | null): Promise<void> {
      if (!cursor) {
        await db
          .deleteFrom('withdrawal_list_cursors')
          .where('merchant_id', '=', at.merchantId)
          .where('mode', '=', at.mode)
          .where('currency', '=', at.currency)
          .where('listing', '=', at.listing)
          .execute();
        return;
      }
      const values = { since: cursor.since, after_id: cursor.afterId, started_at: cursor.startedAt, reached: cursor.reached ?? null };
      await db
        .insertInto('withdrawal_list_cursors')
        .values({ merchant_id: at.merchantId, mode: at.mode, currency: at.currency, listing: at.listing, ...values })
        .onConflict((oc) => oc.columns(['merchant_id', 'mode', 'currency', 'listing']).doUpdateSet(values))
        .execute();
    },

    /** The merchant's withdrawals waiting for a settlement bank account, per currency (how many). */
    async waitingByCurrency(merchantId: string): Promise<Record<string, number>> {
      const rows = await db
        .selectFrom('withdrawals')
        .select(['currency', (eb) => eb.fn.countAll<string>().as('n')])
        .where('merchant_id', '=', merchantId)
        .where('state', '=', 'waiting')
        .groupBy('currency')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.currency, Number(r.n)]));
    },

    /**
     * The settlement bank accounts are saved (`choice`: per currency and per destination; a plain
     * record: per currency only, the destinations' left as they are), and the withdrawals that
     * waited for one and now have one go back to pending with their finished jobs queued again
     * (`jobKey`: each one's dedupe key), in one commit holding the merchant's row (FOR NO KEY
     * UPDATE) from before it writes: a job setting its withdrawal waiting meanwhile waits for this
     * commit and reads the account (`waiting`), or committed first and is resumed here. Returns how
     * many. `check` is given the choices as stored now, under that lock (store/merchant-forms.ts).
     */
    async saveAndResume(
      merchantId: string,
      choice: Record<string, string> | SettlementChoices,
      jobKey: (w: Withdrawal) => string,
      now: Date,
      check?: StoredCheck<SettlementChoices>,
    ): Promise<number> {
      return db.transaction().execute(async (trx) => {
        if (!(await lockMerchantRow(trx, merchantId))) return 0;
        if (check) check({ accounts: await accountsIn(trx, merchantId), destinations: await destinationsIn(trx, merchantId) });
        const given = isChoices(choice) ? choice : null;
        const accounts = given ? given.accounts : (choice as Record<string, string>);
        await trx.deleteFrom('settlement_accounts').where('merchant_id', '=', merchantId).execute();
        const rows = Object.entries(accounts).map(([currency, accountId]) => ({ merchant_id: merchantId, currency, account_id: accountId }));
        if (rows.length) await trx.insertInto('settlement_accounts').values(rows).execute();
        if (given) await writeDestinations(trx, merchantId, given.destinations);
        const resumes = givenAnAccount({ accounts, destinations: given ? given.destinations : await destinationsIn(trx, merchantId) });
        if (!resumes) return 0;
        const waiting = await trx
          .updateTable('withdrawals')
          .set({ state: 'pending', last_error: null, updated_at: now })
          .where('merchant_id', '=', merchantId)
          .where('state', '=', 'waiting')
          .where(resumes)
          .returningAll()
          .execute();
        const resumed = waiting.length
          ? await requeueJobs(trx, { dedupeKeys: waiting.map((w) => jobKey(toWithdrawal(w))) }, ['done'], now, { clearError: true })
          : 0;
        await opts.beforeCommit?.();
        return resumed;
      });
    },

    /**
     * Xendit reports the withdrawal REVERSED (at `reversedAt`, Xendit's time): noted once, and its job (`job`, or the finished one
     * with that dedupe key) queued again in the same commit, so the money coming back is booked.
     * Also when noted before and not finished: the job that ran meanwhile may have missed it. One
     * running now runs again once it ends (requeueOrRunAgain): it may have read the row before.
     */
    async noteReversed(w: Withdrawal, reversedAt: Date, job: NewJobRow, now: Date): Promise<boolean> {
      if (w.state === 'reversed' || w.state === 'test_mode') return false;
      return db.transaction().execute(async (trx) => {
        await trx
          .updateTable('withdrawals')
          .set({ reversed_at: reversedAt, updated_at: now })
          .where('id', '=', w.id)
          .where('reversed_at', 'is', null)
          .execute();
        if (await insertJob(trx, job)) return true;
        return (await requeueOrRunAgain(trx, [job.dedupe_key!], now, { clearError: false })) > 0;
      });
    },
    /** Committed before the transfer back is sent; null once Xero answered that it did not take it. `claim`: as send-once.ts says. */
    noteReversalAttempt: (id: string, at: Date | null, now: Date, claim?: Claim) => update(id, { reversal_attempt_at: at }, now, claim),
    /** Nothing left to do: the transfer back is in Xero (`bankTransferId`), or nothing ever was (null). */
    reversed: (id: string, bankTransferId: string | null, now: Date) =>
      update(id, { xero_reversal_transfer_id: bankTransferId, reversal_attempt_at: null, state: 'reversed', last_error: null }, now),

    /**
     * Committed before the entry out is sent, with its kind and the clearing account it leaves (kept:
     * the report reads the accounts posted to); null once Xero answered that it did not take it.
     */
    noteAttempt: (id: string, kind: WithdrawalEntryKind, at: Date | null, now: Date, account?: string, claim?: Claim) =>
      update(id, { entry_kind: kind, transfer_attempt_at: at, ...(account ? { clearing_account: account } : {}) }, now, claim),
    /**
     * The entry out is in Xero, with what it carried into the bank; with the fee in the same write when it holds it (a Receive Money
     * with the fee's lines). Stored by a run stalled past its lease after the one that took over found the same entry and booked it
     * back: reversed stays (put back to recorded, every listing would queue it again).
     */
    recorded: (id: string, entryId: string, now: Date, out: { amount: number; feeEntryId?: string }) => {
      const fee = out.feeEntryId ? { xero_fee_entry_id: out.feeEntryId, fee_attempt_at: null } : {};
      const entry = { xero_bank_transfer_id: entryId, transfer_attempt_at: null, transfer_amount: out.amount };
      return update(id, { ...entry, ...fee, state: sql<WithdrawalState>`case when state = 'reversed' then state else 'recorded' end`, last_error: null }, now);
    },
    /**
     * No settlement bank account for its currency or destination yet: `reason` is shown to the
     * merchant, and the job ends (done) in the same commit. Only while `job` still holds its claim: a
     * worker stalled past its lease may have read the accounts before a save that resumed the row
     * and queued its job again; its late write would put the row back to waiting with nobody left to
     * resume it. Nor once an account for its currency or its destination is saved. The merchant's row
     * is share-locked first, so a save in progress (saveAndResume holds the row until it commits) is
     * waited for and its account read; a save after this commit finds the row waiting and the job
     * done, and queues it again (had the job still been running then, nothing would have queued it).
     * 'claimLost', or 'accountSaved' (the claim still held: the job is to run again).
     */
    async waiting(id: string, reason: string, now: Date, job: Claim): Promise<'waiting' | 'claimLost' | 'accountSaved'> {
      return db.transaction().execute(async (trx) => {
        await trx
          .selectFrom('merchants')
          .select('id')
          .where('id', '=', (eb) => eb.selectFrom('withdrawals').select('merchant_id').where('id', '=', id))
          .forShare()
          .execute();
        // Then the withdrawal's row, before its job's as a note locks them (requeueOrRunAgain): no deadlock.
        await trx.selectFrom('withdrawals').select('id').where('id', '=', id).forNoKeyUpdate().execute();
        // Then the job's row, while this claim holds it, until the commit that ends it.
        const claimed = await trx
          .selectFrom('jobs')
          .select('id')
          .where('id', '=', job.id)
          .where('state', '=', 'running')
          .where('claim_no', '=', job.claimNo)
          .forUpdate()
          .executeTakeFirst();
        if (!claimed) return 'claimLost';
        // A statement of its own: read committed takes its snapshot after the locks were granted,
        // so it sees the accounts a save committed meanwhile (a subquery of a locking one would not).
        const r = await trx
          .updateTable('withdrawals')
          .set({ state: 'waiting', last_error: reason, updated_at: now })
          .where('id', '=', id)
          .where(noAccountFor)
          .executeTakeFirst();
        if (r.numUpdatedRows === 0n) return 'accountSaved';
        await finishClaim(trx, job, now);
        return 'waiting';
      });
    },
    needsReview: (id: string, reason: string, now: Date) => update(id, { state: 'needs_review', last_error: reason }, now),
    testMode: (id: string, now: Date) => update(id, { state: 'test_mode' }, now),
    noteError: (id: string, error: string, now: Date) => update(id, { last_error: error.slice(0, 1000) }, now),
  };
}

function isChoices(c: Record<string, string> | SettlementChoices): c is SettlementChoices {
  return Array.isArray((c as SettlementChoices).destinations);
}

/** The settlement bank account per currency. */
async function accountsIn(db: Db | Transaction<Database>, merchantId: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('settlement_accounts').select(['currency', 'account_id']).where('merchant_id', '=', merchantId).execute();
  return Object.fromEntries(rows.map((r) => [r.currency, r.account_id]));
}
