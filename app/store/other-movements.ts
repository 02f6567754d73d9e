/**
 * Xendit's other balance movements booked in Xero (migration 20261206T2345): one row per movement
 * the listing found (jobs/sync/list-other-movements.ts), with its Spend or Receive Money on the
 * clearing account (jobs/sync/record-other-movement.ts), and, once Xendit lists it REVERSED, the
 * entries that book it (and a fee given back) back (migration 20261207T1143, jobs/sync/movement-reversal.ts).
 */
import { sql, type Selectable, type UpdateObject } from 'kysely';
import type { Db } from './db.js';
import { int8 } from './int8.js';
import { fencedUpdate, type Claim } from './claim-fence.js';
import type { NewJobRow } from './jobs.js';
import { keptFeeReadDue, noteFeeOn, requeueFor, type KeptFeeToRead } from './fee-notes.js';
import type { Database, OtherMovementState, OtherMovementsTable } from './schema.js';
import type { Currency } from '../money.js';

export interface OtherMovement {
  id: string;
  merchantId: string;
  xenditTransactionId: string;
  /** The Transactions API type (TRANSFER, TOPUP, DISBURSEMENT, …). */
  type: string;
  currency: Currency;
  /** Minor units; negative: out of the balance. */
  amount: number;
  movedAt: Date;
  state: OtherMovementState;
  xeroBankTransactionId: string | null;
  attemptAt: Date | null;
  lastError: string | null;
  /** The clearing account the entry went to, kept with its attempt mark. */
  clearingAccount: string | null;
  /** Xendit's fee and VAT on it (minor units; 0: none, or not COMPLETED when last read); `feeInAmount`: out of money out's amount, else on top. */
  fee: number;
  /** The VAT part of `fee`, booked on a line of its own (movement-fee.ts). */
  feeTax: number;
  feeInAmount: boolean;
  feeAttemptAt: Date | null;
  /** The fee's Spend Money out of the clearing account (jobs/sync/movement-fee.ts). */
  xeroFeeEntryId: string | null;
  /** What the movement's entry carried (minor units, a size), kept with its attempt mark; null: no attempt since it was kept. */
  entryAmount: number | null;
  /** Listed REVERSED by Xendit: the money is back in the balance. */
  reversedAt: Date | null;
  /** When its booked entries were sent to review for a person to undo (the release before this one did). */
  reversalToldAt: Date | null;
  /** The opposite entry that books it back once reversed (jobs/sync/movement-reversal.ts), and its attempt mark. */
  xeroReversalEntryId: string | null;
  reversalAttemptAt: Date | null;
  /** Reversed with its fee status REVERSED or CANCELED: Xendit gave its fee back (false: kept, or none). */
  feeReturned: boolean;
  /** When Xendit gave back a fee it kept at the reversal: the day its return is dated (null: with the reversal, reversedAt). */
  feeReturnedAt: Date | null;
  /** The fee given back, booked back into the clearing account, and its attempt mark. */
  xeroFeeReturnEntryId: string | null;
  feeReturnAttemptAt: Date | null;
}

const toMovement = (r: Selectable<OtherMovementsTable>): OtherMovement => ({
  id: r.id,
  merchantId: r.merchant_id,
  xenditTransactionId: r.xendit_transaction_id,
  type: r.type,
  currency: r.currency as Currency,
  amount: int8(r.amount),
  movedAt: r.moved_at,
  state: r.state,
  xeroBankTransactionId: r.xero_bank_transaction_id,
  attemptAt: r.attempt_at,
  lastError: r.last_error,
  clearingAccount: r.clearing_account,
  fee: int8(r.fee),
  feeTax: int8(r.fee_tax),
  feeInAmount: r.fee_in_amount,
  feeAttemptAt: r.fee_attempt_at,
  xeroFeeEntryId: r.xero_fee_entry_id,
  entryAmount: r.entry_amount === null ? null : int8(r.entry_amount),
  reversedAt: r.reversed_at,
  reversalToldAt: r.reversal_told_at,
  xeroReversalEntryId: r.xero_reversal_entry_id,
  reversalAttemptAt: r.reversal_attempt_at,
  feeReturned: r.fee_returned,
  feeReturnedAt: r.fee_returned_at,
  xeroFeeReturnEntryId: r.xero_fee_return_entry_id,
  feeReturnAttemptAt: r.fee_return_attempt_at,
});

/**
 * Recorded, but pending while it is reversed: it is settled only by booking it back, or by a person's
 * Retry (reversalRecorded, reversalSettled), so a book-back cut short never reads as settled in the
 * report (report/movements.ts reversedRow).
 */
const unlessReversed = sql<OtherMovementState>`case when reversed_at is null then 'recorded' else 'pending' end`;

/** Something of it sent to Xero, and Xendit may still change it (followedSpan; isFollowed says the same of a row). */
const followed = sql<boolean>`(xero_bank_transaction_id is not null or attempt_at is not null or xero_fee_entry_id is not null or fee_attempt_at is not null)
  and (reversed_at is null or fee_returned = false)`;

/** A row followedSpan counts: its reversal, and a fee learnt later, are the gateway's to book whatever the setting says now. */
export function isFollowed(m: OtherMovement): boolean {
  const sent = !!(m.xeroBankTransactionId || m.attemptAt || m.xeroFeeEntryId || m.feeAttemptAt);
  return sent && m.state !== 'off' && m.state !== 'test_mode' && (!m.reversedAt || !m.feeReturned);
}

export function createOtherMovementStore(db: Db) {
  /** With `claim`, only while it holds its job (claim-fence.ts); whether it was written. */
  const update = async (id: string, set: UpdateObject<Database, 'other_movements'>, now: Date, claim?: Claim) => {
    return fencedUpdate(
      db
        .updateTable('other_movements')
        .set({ ...set, updated_at: now })
        .where('id', '=', id),
      claim,
    );
  };
  return {
    /** The movement's row, made on first sight (one per merchant and Xendit transaction). */
    async getOrCreate(
      m: Pick<OtherMovement, 'id' | 'merchantId' | 'xenditTransactionId' | 'type' | 'currency' | 'amount' | 'movedAt'> &
        Partial<Pick<OtherMovement, 'fee' | 'feeTax' | 'feeInAmount'>>,
      now: Date,
    ) {
      await db
        .insertInto('other_movements')
        .values({
          id: m.id,
          merchant_id: m.merchantId,
          xendit_transaction_id: m.xenditTransactionId,
          type: m.type,
          currency: m.currency,
          amount: m.amount,
          moved_at: m.movedAt,
          fee: m.fee ?? 0,
          fee_tax: m.feeTax ?? 0,
          fee_in_amount: m.feeInAmount ?? false,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['merchant_id', 'xendit_transaction_id']).doNothing())
        .execute();
      return (await this.byXenditId(m.merchantId, m.xenditTransactionId))!;
    },

    async byXenditId(merchantId: string, xenditTransactionId: string): Promise<OtherMovement | null> {
      return (await this.byXenditIds(merchantId, [xenditTransactionId])).get(xenditTransactionId) ?? null;
    },

    /** Those of these Xendit ids the merchant has, by id. */
    async byXenditIds(merchantId: string, xenditTransactionIds: string[]): Promise<Map<string, OtherMovement>> {
      if (!xenditTransactionIds.length) return new Map();
      const rows = await db
        .selectFrom('other_movements')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('xendit_transaction_id', 'in', xenditTransactionIds)
        .execute();
      return new Map(rows.map((r) => [r.xendit_transaction_id, toMovement(r)]));
    },

    /**
     * Committed before the entry is sent, with the clearing account it goes to and what it carries;
     * null once Xero answered that it did not take it. `claim`: as send-once.ts says.
     */
    noteAttempt: (id: string, at: Date | null, now: Date, sent?: { account: string; amount: number }, claim?: Claim) =>
      update(id, { attempt_at: at, ...(sent ? { clearing_account: sent.account, entry_amount: sent.amount } : {}) }, now, claim),
    /**
     * Xendit's fee and its VAT part, once COMPLETED, as a withdrawal's (fee-notes.ts); a job running
     * is marked to run again (requeueOrRunAgain: it may have read the row before).
     */
    noteFee: noteFeeOn(db, 'other_movements'),
    /**
     * Xendit lists it REVERSED: noted once, with whether it gave its fee back (`feeBack`, when; noted for
     * good, also when learnt on a later listing, as a withdrawal's: withdrawal-fees.ts noteFeeReturned),
     * its job (`job`, or the finished one of that dedupe key) queued again in the same commit, as a
     * withdrawal's (settlements.ts noteReversed); false when there was nothing new to note.
     */
    async noteReversed(id: string, reversedAt: Date, feeBack: Date | null, job: NewJobRow, now: Date): Promise<boolean> {
      return db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('other_movements')
          .set((eb) => ({
            reversed_at: eb.fn.coalesce('reversed_at', eb.val(reversedAt)),
            // Given back after a reversal noted with the fee kept: when (fee_returned_at), the day its return is dated.
            ...(feeBack
              ? {
                  fee_returned: true,
                  fee_returned_at: sql<Date | null>`case when fee_returned then fee_returned_at when reversed_at is not null then ${feeBack}::timestamptz end`,
                }
              : {}),
            // Booked, now to be booked back: pending until its job has (the report counts it not in Xero meanwhile: report/movements.ts).
            state: sql<OtherMovementState>`case when state = 'recorded' and (xero_bank_transaction_id is not null or attempt_at is not null or xero_fee_entry_id is not null) then 'pending' else state end`,
            updated_at: now,
          }))
          .where('id', '=', id)
          .where((eb) => (feeBack ? eb.or([eb('reversed_at', 'is', null), eb('fee_returned', '=', false)]) : eb('reversed_at', 'is', null)))
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) return false;
        await requeueFor(trx, job, now);
        return true;
      });
    },
    /**
     * Off, sent back before it was booked (the release before booked nothing, the fee Xendit kept on it
     * neither), that fee (`kept`, as listed COMPLETED) unbooked: pending again, its job queued again in
     * the same commit to book that fee alone (movement-reversal.ts), once ever (fee_kept_noted_at), as
     * a withdrawal's (withdrawal-fees.ts noteFeeKept); false when noted before or nothing matched. A fee
     * still PENDING when it was marked off (stored 0) is written now, with its VAT.
     */
    noteFeeKept: async (id: string, kept: { fee: number; tax: number; inAmount: boolean }, job: NewJobRow, now: Date): Promise<boolean> => {
      if (kept.fee <= 0) return false;
      return db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('other_movements')
          .set({
            fee_kept_noted_at: now,
            state: 'pending',
            last_error: null,
            updated_at: now,
            fee: sql<number>`case when fee = 0 then ${kept.fee} else fee end`,
            fee_tax: sql<number>`case when fee = 0 then ${kept.tax} else fee_tax end`,
            fee_in_amount: sql<boolean>`case when fee = 0 then ${kept.inAmount} else fee_in_amount end`,
          })
          .where('id', '=', id)
          .where('state', '=', 'off')
          .where('reversed_at', 'is not', null)
          .where('fee_returned', '=', false)
          .where('xero_fee_entry_id', 'is', null)
          .where('fee_kept_noted_at', 'is', null)
          .executeTakeFirst();
        return Number(r.numUpdatedRows) > 0 && (await requeueFor(trx, job, now));
      });
    },
    /**
     * Up to `limit` of the merchant's rows sent back (REVERSED) and done with, marked off (nothing
     * booked) or recorded (booked and booked back: its fee may have been PENDING then), that moved
     * before `before` (no listing shows them any more), may still have a fee Xendit kept to book (none
     * booked or being sent, none given back, never queued for it) and are due a read by their id
     * (keptFeeReadDue), as a withdrawal's (withdrawal-fees.ts keptFeeToRead, state reversed, covers both;
     * jobs/sync/unlisted-rows.ts).
     */
    keptFeeToRead: async (merchantId: string, before: Date, limit: number, now: Date, maxReads: number): Promise<KeptFeeToRead[]> =>
      (
        await db
          .selectFrom('other_movements')
          .select(['id', 'xendit_transaction_id', 'kept_fee_reads'])
          .where('merchant_id', '=', merchantId)
          .where('state', 'in', ['off', 'recorded'])
          .where('reversed_at', 'is not', null)
          .where('moved_at', '<', before)
          .where('fee_returned', '=', false)
          .where('xero_fee_entry_id', 'is', null)
          .where('fee_attempt_at', 'is', null)
          .where('fee_kept_noted_at', 'is', null)
          .where(keptFeeReadDue(now, maxReads))
          // A row whose read failed was touched (keptFeeReadLater): it goes behind the rest.
          .orderBy('updated_at')
          .orderBy('moved_at')
          .orderBy('id')
          .limit(limit)
          .execute()
      ).map((r) => ({ id: r.id, xenditTransactionId: r.xendit_transaction_id, reads: r.kept_fee_reads })),
    /** Read again by its id (keptFeeToRead) for the `reads`th time: picked again after its wait only while fewer than the most reads. */
    keptFeeRead: (id: string, now: Date, reads: number) => update(id, { kept_fee_read_at: now, kept_fee_reads: reads }, now),
    /** Its read failed: picked again after the others (keptFeeToRead), so rows that keep failing hold none back. */
    keptFeeReadLater: (id: string, now: Date) => update(id, {}, now),
    /**
     * When the first and last of the merchant's movements the gateway still follows moved, whatever
     * the setting says now (jobs/sync/list-other-movements.ts followedFrom): something of it sent to
     * Xero (an entry or a fee, or an attempt whose outcome is unknown), and Xendit may still change it:
     * not sent back yet, or sent back with a fee it may give back later. Null: none.
     */
    async followedSpan(merchantId: string): Promise<{ first: Date; last: Date } | null> {
      const r = await db
        .selectFrom('other_movements')
        .select((eb) => [eb.fn.min('moved_at').as('first'), eb.fn.max('moved_at').as('last')])
        .where('merchant_id', '=', merchantId)
        .where('state', 'not in', ['off', 'test_mode'])
        .where(followed)
        .executeTakeFirst();
      return r?.first && r.last ? { first: new Date(r.first), last: new Date(r.last) } : null;
    },
    /** Its booked entries sent to review, once. */
    reversalTold: (id: string, reason: string, now: Date) => update(id, { reversal_told_at: now, state: 'needs_review', last_error: reason }, now),
    /** Committed before its entry back is sent; null once Xero answered that it did not take it. */
    noteReversalAttempt: (id: string, at: Date | null, now: Date, claim?: Claim) => update(id, { reversal_attempt_at: at }, now, claim),
    /**
     * Booked back: recorded, a row in review for it leaves it; pending while a create of its fee got
     * no answer (its job books that fee after: movement-reversal.ts), as it is not settled yet.
     */
    reversalRecorded: (id: string, entryId: string, now: Date) =>
      update(
        id,
        {
          xero_reversal_entry_id: entryId,
          reversal_attempt_at: null,
          state: sql<OtherMovementState>`case when fee_attempt_at is not null and xero_fee_entry_id is null then 'pending' else 'recorded' end`,
          last_error: null,
        },
        now,
      ),
    /** Committed before the Receive Money of the fee given back is sent; null once Xero answered that it did not take it. */
    noteFeeReturnAttempt: (id: string, at: Date | null, now: Date, claim?: Claim) => update(id, { fee_return_attempt_at: at }, now, claim),
    feeReturnRecorded: (id: string, entryId: string, now: Date) =>
      update(id, { xero_fee_return_entry_id: entryId, fee_return_attempt_at: null, state: 'recorded', last_error: null }, now),
    /** A person undid them and retried, or nothing was left to book back: recorded as it stands. */
    reversalSettled: (id: string, now: Date) => update(id, { state: 'recorded', last_error: null }, now),
    /** Committed before the fee's Spend Money is sent; null once Xero answered that it did not take it. */
    noteFeeAttempt: (id: string, at: Date | null, now: Date, claim?: Claim) => update(id, { fee_attempt_at: at }, now, claim),
    /** The fee booked: the row is recorded again (a fee that needed review, retried); one reversed stays pending until settled. */
    feeRecorded: (id: string, entryId: string, now: Date) =>
      update(id, { xero_fee_entry_id: entryId, fee_attempt_at: null, state: unlessReversed, last_error: null }, now),
    /** Its entry booked: recorded; one reversed stays pending until settled. */
    recorded: (id: string, bankTransactionId: string, now: Date) =>
      update(id, { xero_bank_transaction_id: bankTransactionId, attempt_at: null, state: unlessReversed, last_error: null }, now),
    needsReview: (id: string, reason: string, now: Date) => update(id, { state: 'needs_review', last_error: reason }, now),
    testMode: (id: string, now: Date) => update(id, { state: 'test_mode' }, now),
    /** The setting was turned off (or on again later) before it was booked: the merchant's to book. */
    off: (id: string, reason: string, now: Date) => update(id, { state: 'off', last_error: reason }, now),
    noteError: (id: string, error: string, now: Date) => update(id, { last_error: error.slice(0, 1000) }, now),

    /**
     * The merchants with movements of these types in Xero that no one was told of yet: one read for
     * every merchant, on an index that holds only those rows (none once everyone was told).
     */
    async merchantsWithBookedToTell(types: readonly string[]): Promise<Set<string>> {
      const rows = await db
        .selectFrom('other_movements')
        .select('merchant_id')
        .distinct()
        .where('state', '=', 'recorded')
        .where('type', 'in', [...types])
        .where('reserve_alerted_at', 'is', null)
        .execute();
      return new Set(rows.map((r) => r.merchant_id));
    },

    /**
     * The merchant's movements of these types in Xero that no one was told of yet, marked told in the
     * same statement: two runs side by side never both get one.
     */
    async claimBookedToTell(merchantId: string, types: readonly string[], now: Date): Promise<OtherMovement[]> {
      const rows = await db
        .updateTable('other_movements')
        .set({ reserve_alerted_at: now })
        .where('merchant_id', '=', merchantId)
        .where('state', '=', 'recorded')
        .where('type', 'in', [...types])
        .where('reserve_alerted_at', 'is', null)
        .returningAll()
        .execute();
      return rows.map(toMovement).sort((a, b) => a.movedAt.getTime() - b.movedAt.getTime());
    },
  };
}

export type OtherMovementStore = ReturnType<typeof createOtherMovementStore>;
