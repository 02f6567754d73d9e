/** Refunds made at Xendit and their credit note and cash refund in Xero (migration 20261205T0910). */
import { sql, type Selectable, type Updateable } from 'kysely';
import type { Db } from './db.js';
import { MOVEMENT_STATUSES } from './merchant-model.js';
import { int8 } from './int8.js';
import { insertJob, fencedUpdate, type Claim, type NewJobRow } from './jobs.js';
import type { RefundKind, RefundState, RefundsTable } from './schema.js';
import type { Currency } from '../money.js';

/** The sale's Xero accounts archived since, whose credit note lines went to the merchant's sales account instead. */
export interface CreditAccountsMoved {
  archived: string[];
  salesAccountCode: string;
}

export interface Refund {
  id: string;
  merchantId: string;
  paymentId: string;
  /** The Xendit refund id, or for a chargeback the dispute id. */
  xenditRefundId: string;
  kind: RefundKind;
  currency: Currency;
  amount: number; // minor units
  reason: string | null;
  state: RefundState;
  xeroCreditNoteId: string | null;
  xeroRefundPaymentId: string | null;
  creditAttemptAt: Date | null;
  refundAttemptAt: Date | null;
  /** The part refunded on the payment's Xero overpayment: null until decided, then fixed. */
  overpaymentPart: number | null;
  xeroOverpaymentRefundId: string | null;
  overpaymentRefundAttemptAt: Date | null;
  /** Kept with the credit note's attempt (null before 20261207T0520, and when no line moved). */
  creditAccountsMoved: CreditAccountsMoved | null;
  /** The clearing account its cash refund was paid out of (null: not sent yet). */
  clearingAccount: string | null;
  /** A chargeback's fee, read from its CHARGEBACK transaction (null: not read yet); booked as xeroFeeTxnId. */
  chargebackFee: ChargebackFeeRead | null;
  feeAttemptAt: Date | null;
  xeroFeeTxnId: string | null;
  /** What xeroFeeTxnId is: a Spend Money, or a manual journal (a clearing account that is no bank account); null: none, or a Spend Money booked before this was kept. */
  feeEntryKind: FeeEntryKind | null;
  lastError: string | null;
  refundedAt: Date;
}

/** What Xendit charged on a chargeback (minor units): its fee with the VAT, the VAT, the taxes withheld; `txnId`, the transaction read. */
export interface ChargebackFeeRead {
  txnId: string;
  fee: number;
  feeTax: number;
  withheld: number;
  /** The transaction's amount (what left the balance, positive), and whether its net_amount says the fee came out of it (clients/xendit/chargebacks.ts); absent: read before these were kept. */
  amount?: number;
  inAmount?: boolean;
}

export type FeeEntryKind = 'spend' | 'journal';

const toRefund = (r: Selectable<RefundsTable>): Refund => ({
  id: r.id,
  merchantId: r.merchant_id,
  paymentId: r.payment_id,
  xenditRefundId: r.xendit_refund_id,
  kind: r.kind,
  currency: r.currency as Currency,
  amount: int8(r.amount),
  reason: r.reason,
  state: r.state,
  xeroCreditNoteId: r.xero_credit_note_id,
  xeroRefundPaymentId: r.xero_refund_payment_id,
  creditAttemptAt: r.credit_attempt_at,
  refundAttemptAt: r.refund_attempt_at,
  overpaymentPart: r.overpayment_part === null ? null : int8(r.overpayment_part),
  xeroOverpaymentRefundId: r.xero_overpayment_refund_id,
  overpaymentRefundAttemptAt: r.overpayment_refund_attempt_at,
  creditAccountsMoved:
    r.credit_archived_accounts?.length && r.credit_moved_to ? { archived: r.credit_archived_accounts, salesAccountCode: r.credit_moved_to } : null,
  clearingAccount: r.clearing_account,
  chargebackFee:
    r.chargeback_txn_id && r.fee !== null
      ? {
          txnId: r.chargeback_txn_id,
          fee: int8(r.fee),
          feeTax: int8(r.fee_tax ?? 0),
          withheld: int8(r.fee_withheld ?? 0),
          ...(r.chargeback_amount !== null && r.fee_in_amount !== null ? { amount: int8(r.chargeback_amount), inAmount: r.fee_in_amount } : {}),
        }
      : null,
  feeAttemptAt: r.fee_attempt_at,
  xeroFeeTxnId: r.xero_fee_txn_id,
  feeEntryKind: r.fee_entry_kind,
  lastError: r.last_error,
  refundedAt: r.refunded_at,
});

const TXN_ONCE_INDEX = 'refunds_chargeback_txn_once';

/** The write's outcome; false when the transaction it names is another chargeback row's (TXN_ONCE_INDEX). */
async function heldElsewhereIsFalse(write: Promise<boolean>): Promise<boolean> {
  try {
    return await write;
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    if (e.code === '23505' && e.constraint === TXN_ONCE_INDEX) return false;
    throw err;
  }
}

export function createRefundStore(db: Db) {
  /** With `claim`, only while it holds its job (claim-fence.ts); whether it was written. */
  const update = async (id: string, set: Updateable<RefundsTable>, now: Date, claim?: Claim) => {
    return fencedUpdate(
      db
        .updateTable('refunds')
        .set({ ...set, updated_at: now })
        .where('id', '=', id),
      claim,
    );
  };
  return {
    /** The refund's row, made on first sight (one per merchant and Xendit refund). */
    async getOrCreate(
      r: Pick<Refund, 'id' | 'merchantId' | 'paymentId' | 'xenditRefundId' | 'currency' | 'amount' | 'reason' | 'refundedAt'> & { kind?: RefundKind },
      now: Date,
    ): Promise<Refund> {
      await db
        .insertInto('refunds')
        .values({
          id: r.id,
          merchant_id: r.merchantId,
          payment_id: r.paymentId,
          xendit_refund_id: r.xenditRefundId,
          kind: r.kind ?? 'refund',
          currency: r.currency,
          amount: r.amount,
          reason: r.reason,
          refunded_at: r.refundedAt,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.columns(['merchant_id', 'xendit_refund_id']).doNothing())
        .execute();
      const row = await db
        .selectFrom('refunds')
        .selectAll()
        .where('merchant_id', '=', r.merchantId)
        .where('xendit_refund_id', '=', r.xenditRefundId)
        .executeTakeFirstOrThrow();
      return toRefund(row);
    },

    async byXenditId(merchantId: string, xenditRefundId: string): Promise<Refund | null> {
      return (await this.byXenditIds(merchantId, [xenditRefundId])).get(xenditRefundId) ?? null;
    },

    /** Those of these Xendit refund (or dispute) ids the merchant has, by id. */
    async byXenditIds(merchantId: string, xenditRefundIds: string[]): Promise<Map<string, Refund>> {
      if (!xenditRefundIds.length) return new Map();
      const rows = await db.selectFrom('refunds').selectAll().where('merchant_id', '=', merchantId).where('xendit_refund_id', 'in', xenditRefundIds).execute();
      return new Map(rows.map((r) => [r.xendit_refund_id, toRefund(r)]));
    },

    /** A merchant's chargebacks (lost disputes), the latest first. */
    async chargebacksOf(merchantId: string, limit: number): Promise<Refund[]> {
      const rows = await db
        .selectFrom('refunds')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('kind', '=', 'chargeback')
        .orderBy('refunded_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRefund);
    },

    async forPayment(paymentId: string): Promise<Refund[]> {
      const rows = await db.selectFrom('refunds').selectAll().where('payment_id', '=', paymentId).orderBy('refunded_at').execute();
      return rows.map(toRefund);
    },

    /**
     * Payments of merchants whose money is still listed (active or disabled) refunded in full (refunds recorded, chargebacks aside) whose fee
     * the gateway posted and for which no fee given back was found yet, their latest refund recorded
     * in [from, to), latest first: the ones whose fee Xendit may still mark given back
     * (jobs/sync/list-refunds.ts looks again once a day). Left out: a payment with a return-fee job
     * not done (waiting, running or in review: one look at a time, and a review is a person's), and
     * one already looked at on `look` (the job's dedupe key, jobs/kinds.ts), so that a run that
     * reaches its limit leaves the rest to the next run, not to the same payments again.
     */
    async refundedInFullWithoutFeeReturn(q: {
      from: Date;
      to: Date;
      look: string;
      limit: number;
    }): Promise<{ merchantId: string; paymentId: string; refundId: string }[]> {
      const latestRefund = sql<string>`(array_agg(r.id order by r.refunded_at desc))[1]`;
      const rows = await db
        .selectFrom('refunds as r')
        .innerJoin('payments as p', 'p.id', 'r.payment_id')
        .innerJoin('merchants as m', 'm.id', 'p.merchant_id')
        .where('m.status', 'in', [...MOVEMENT_STATUSES])
        .where('r.kind', '=', 'refund')
        .where('r.state', '=', 'recorded')
        .where('p.fee_state', '=', 'posted')
        .where('p.sync_state', '<>', 'test_mode')
        .where('r.payment_id', 'in', (eb) =>
          eb.selectFrom('refunds').select('payment_id').where('kind', '=', 'refund').where('state', '=', 'recorded').where('refunded_at', '>=', q.from),
        )
        .where((eb) => eb.not(eb.exists(eb.selectFrom('fee_returns as f').select('f.payment_id').whereRef('f.payment_id', '=', 'p.id'))))
        .where(
          sql<boolean>`p.id::text not in (select j.payload->>'paymentId' from jobs j where j.kind = 'return-fee' and j.state <> 'done' and j.payload->>'paymentId' is not null)`,
        )
        .groupBy(['p.id', 'p.merchant_id', 'p.amount'])
        .having((eb) => eb.fn.sum<string>('r.amount'), '>=', sql<string>`p.amount`)
        .having((eb) => eb.fn.max('r.refunded_at'), '>=', q.from)
        .having((eb) => eb.fn.max('r.refunded_at'), '<', q.to)
        .having(sql<boolean>`not exists (select 1 from jobs j where j.dedupe_key = 'return-fee:' || p.id || ':' || ${latestRefund} || ':' || ${q.look})`)
        .select(['p.merchant_id', 'p.id as payment_id', latestRefund.as('refund_id')])
        .orderBy(sql`max(r.refunded_at)`, 'desc')
        .limit(q.limit)
        .execute();
      return rows.map((r) => ({ merchantId: r.merchant_id, paymentId: r.payment_id, refundId: r.refund_id }));
    },

    /**
     * Committed before the create is sent, with the accounts its lines moved off (each attempt's
     * own lines); null once Xero answered that it did not take it, and then no line was moved.
     * With `claim`, only while it holds its job (send-once.ts).
     */
    noteCreditAttempt: (id: string, at: Date | null, now: Date, moved: CreditAccountsMoved | null = null, claim?: Claim) =>
      update(
        id,
        { credit_attempt_at: at, credit_archived_accounts: at && moved ? moved.archived : null, credit_moved_to: at && moved ? moved.salesAccountCode : null },
        now,
        claim,
      ),
    /** `account`: the clearing account the attempt pays it out of, kept (the report reads the accounts posted to). */
    noteRefundAttempt: (id: string, at: Date | null, now: Date, account?: string, claim?: Claim) =>
      update(id, { refund_attempt_at: at, ...(account ? { clearing_account: account } : {}) }, now, claim),
    /**
     * The row's overpayment part, decided once with the payment's row held (FOR UPDATE), so two
     * refunds of one payment decide one after the other; `choose` sees the payment's other refunds
     * as they then stand and may throw (nothing is written). A part already decided stands.
     */
    async decideOverpaymentPart(id: string, paymentId: string, choose: (others: Refund[]) => number, now: Date): Promise<number> {
      return db.transaction().execute(async (trx) => {
        await trx.selectFrom('payments').select('id').where('id', '=', paymentId).forUpdate().execute();
        const rows = (await trx.selectFrom('refunds').selectAll().where('payment_id', '=', paymentId).execute()).map(toRefund);
        const self = rows.find((r) => r.id === id);
        if (!self) throw new Error(`refund ${id} is not of payment ${paymentId}`);
        if (self.overpaymentPart !== null) return self.overpaymentPart;
        const part = choose(rows.filter((r) => r.id !== id));
        await trx.updateTable('refunds').set({ overpayment_part: part, updated_at: now }).where('id', '=', id).execute();
        return part;
      });
    },
    /** What was found booked under the refund's Reference is its split (a person's booking included). */
    overpaymentFound: (id: string, part: number, paymentId: string | null, now: Date) =>
      update(id, { overpayment_part: part, xero_overpayment_refund_id: paymentId, overpayment_refund_attempt_at: null }, now),
    /** Nothing was made on the overpayment: the part is decided again next time (its attempt's mark cleared: `claim` as below). */
    overpaymentRefundRefused: (id: string, now: Date, claim?: Claim) => update(id, { overpayment_part: null, overpayment_refund_attempt_at: null }, now, claim),
    noteOverpaymentRefundAttempt: (id: string, at: Date | null, now: Date, account?: string, claim?: Claim) =>
      update(id, { overpayment_refund_attempt_at: at, ...(account ? { clearing_account: account } : {}) }, now, claim),
    overpaymentRefunded: (id: string, paymentId: string, now: Date) =>
      update(id, { xero_overpayment_refund_id: paymentId, overpayment_refund_attempt_at: null }, now),
    creditNoted: (id: string, creditNoteId: string, now: Date) => update(id, { xero_credit_note_id: creditNoteId, credit_attempt_at: null }, now),
    /** Credit note and cash refund in Xero; `then`, a job queued in the same commit (the fee Xendit may have given back). */
    async recorded(id: string, refundPaymentId: string, now: Date, then?: NewJobRow): Promise<void> {
      const set = { xero_refund_payment_id: refundPaymentId, refund_attempt_at: null, state: 'recorded' as const, last_error: null, updated_at: now };
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('refunds').set(set).where('id', '=', id).execute();
        if (then) await insertJob(trx, then);
      });
    },
    needsReview: (id: string, reason: string, now: Date) => update(id, { state: 'needs_review', last_error: reason }, now),
    /**
     * A chargeback's fee as read from its transaction; kept, so a run again books the same figures (a
     * row read already stands). Not written (false) when another chargeback of the merchant holds that
     * transaction already (migration 20261207T2320_chargeback_txn_once).
     */
    noteChargebackFee: (id: string, f: ChargebackFeeRead, now: Date) =>
      heldElsewhereIsFalse(
        fencedUpdate(
          db
            .updateTable('refunds')
            .set({
              chargeback_txn_id: f.txnId,
              fee: f.fee,
              fee_tax: f.feeTax,
              fee_withheld: f.withheld,
              chargeback_amount: f.amount ?? null,
              fee_in_amount: f.inAmount ?? null,
              updated_at: now,
            })
            .where('id', '=', id)
            .where('fee', 'is', null),
        ),
      ),
    /** The fee's entry (Spend Money or manual journal): marked before it is sent (send-once.ts), null once Xero answered that it did not take it. */
    noteFeeAttempt: (id: string, at: Date | null, now: Date, claim?: Claim) => update(id, { fee_attempt_at: at }, now, claim),
    feeBooked: (id: string, entryId: string, kind: FeeEntryKind, now: Date) =>
      update(id, { xero_fee_txn_id: entryId, fee_entry_kind: kind, fee_attempt_at: null, last_error: null }, now),
    testMode: (id: string, now: Date) => update(id, { state: 'test_mode' }, now),
    noteError: (id: string, error: string, now: Date) => update(id, { last_error: error.slice(0, 1000) }, now),
  };
}
