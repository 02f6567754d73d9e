import { sql, type Expression } from 'kysely';
import type { Db } from './db.js';
import type { FeeState } from './schema.js';
import { createPaymentFees } from './payment-fees.js';
import { claimColumns, MARKED_COLUMNS, requeueWaiting, rowStillClaimed, fencedUpdate, stillClaimed, type Claim, type NewJobRow } from './jobs.js';
import { insertJobFrom } from './job-insert.js';
import { fillPaymentId, insertPaymentsWaking } from './payment-id-waits.js';
import { newRow, toPayment, type FeeDecision, type InXero, type NewPayment, type Payment } from './payment-model.js';

export type { FeeDecision, InXero, NewPayment, Payment, XeroOverpaymentIds } from './payment-model.js';

/**
 * A payment is recorded again when a person presses Retry after part of it went into Xero (an
 * over-payment): its fee was decided, and may have been posted, on the first recording, and its
 * post-fee job's dedupe key outlives the job, so no new job would come to move a fee set back to
 * 'pending'. So only a payment with no fee state yet takes the one given: 'posted' and
 * 'not_needed' stay, and 'needs_review' stays in the review list for its own job's replay.
 */
const feeStateOnce = (current: Expression<unknown>, given: Expression<unknown> | FeeState) => sql<FeeState>`coalesce(${current}, ${given})`;

/** The fee state `fee` (a FeeDecision) comes to for the payments row being updated. */
const decidedFee = (fee: Expression<unknown> | FeeDecision) =>
  sql<FeeState>`case ${fee} when 'withholding' then (
      select case when m.withholding_account_code is not null and m.fee_posting <> 'off' then 'pending' else 'not_needed' end
      from merchants m where m.id = payments.merchant_id for share)
    else ${fee} end`;

export function createPaymentStore(db: Db) {
  return {
    ...createPaymentFees(db),

    /**
     * One row per Xendit invoice: the first writer wins and everyone gets that row back. One made
     * with its payment_id wakes the jobs waiting for that id (insertPaymentsWaking).
     */
    async getOrCreate(p: NewPayment, now: Date): Promise<Payment> {
      // The insert returns the new row: only a payment that already existed is read again (one
      // round trip fewer per payment on a backlog).
      const [created] = await insertPaymentsWaking(db, [newRow(p, now)]);
      if (created) return toPayment(created);
      const row = await db
        .selectFrom('payments')
        .selectAll()
        .where('merchant_id', '=', p.merchantId)
        .where('xendit_invoice_id', '=', p.xenditInvoiceId)
        .executeTakeFirstOrThrow();
      return toPayment(row);
    },

    /**
     * A payment without a Xendit payment_id takes the one its stored PAID/SETTLED callbacks name,
     * when they name exactly one (as callbacks.ts paidPaymentId), and the refund and chargeback
     * jobs that gave up for want of it run again, in one transaction. For the job that made the
     * payment: its callback may have been stored between its read of the callbacks and its insert,
     * too early to fill a payment that did not exist yet (callbacks.sql). Returns the id given, or null.
     */
    fillPaymentId: (p: Pick<Payment, 'id' | 'merchantId' | 'xenditInvoiceId'>, now: Date) => fillPaymentId(db, p, now),

    /**
     * The payment is in Xero. The fee job (`feeJob`, given when the fee may be pending) is queued in
     * the same transaction when the fee's state comes out pending, so a crash can never leave a
     * recorded payment whose fee nobody will post. The fee's state is set only the first time
     * (feeStateOnce), as FeeDecision says. With `claim` (a job's run: jobs/claimed-stores.ts), only
     * while it holds its job: a run stalled past its lease would put back ids and a state the run
     * that took over wrote since (an overpayment booked on a Retry, wiped), and queue its fee job.
     */
    async markInXero(p: Pick<Payment, 'id' | 'merchantId'>, x: InXero, now: Date, feeJob?: NewJobRow, claim?: Claim): Promise<void> {
      const marked = (qb: Db) =>
        qb
          .updateTable('payments')
          .set({
            xero_payment_id: x.xeroPaymentId,
            amount_recorded: x.amountRecorded ?? null,
            overpaid: x.overpayment?.amount ?? null,
            xero_overpayment_id: x.overpayment?.xeroOverpaymentId ?? null,
            xero_overpayment_txn_id: x.overpayment?.xeroOverpaymentTxnId ?? null,
            // Left set when no overpayment came of this run (refused, or in review): its outcome may still be unknown.
            ...(x.overpayment ? { overpayment_attempt_at: null } : {}),
            sync_state: x.reviewReason ? 'needs_review' : 'recorded',
            last_error: x.reviewReason ?? null,
            fee_state: feeStateOnce(sql.ref('fee_state'), decidedFee(sql`${x.fee}::text`)),
            xero_attempt_at: null,
            ...(x.feeMayExist ? { fee_attempt_at: now } : {}),
            updated_at: now,
          })
          .where('id', '=', p.id)
          .$if(claim !== undefined, (q) => q.where(stillClaimed(claim!)));
      // One statement (a data-modifying WITH) is as atomic as a transaction, in one round trip
      // instead of four (BEGIN, update, insert, COMMIT). Its refunds that gave up waiting for it
      // are queued again in it too (requeueWaiting).
      const fee = feeJob ? sql`, fee as (${insertJobFrom(feeJob, sql`from marked where marked.fee_state = 'pending'`)})` : sql``;
      await sql`with marked as (${marked(db).returning([...MARKED_COLUMNS, 'fee_state'])})${fee} ${requeueWaiting()}`.execute(db);
    },

    /*
     * The same writes for many payments in one statement (a group of jobs, app/jobs/xero-batch.ts
     * `together`): each row with its own values, joined from a VALUES list.
     */

    /** markInXero for payments recorded whole (no review, no overpayment): the fee jobs queued in the same transaction; each row fenced on its own `claim`. */
    async markAllInXero(rows: { id: string; xeroPaymentId: string; fee: FeeDecision; now: Date; feeJob?: NewJobRow; claim?: Claim }[]): Promise<void> {
      if (rows.length === 0) return;
      const values = sql.join(rows.map((r) => sql`(${r.id}::uuid, ${r.xeroPaymentId}::text, ${r.fee}::text, ${r.now}::timestamptz, ${claimColumns(r.claim)})`));
      // The payments' refunds that gave up waiting for them are queued again in the same statement,
      // which answers the ids it marked (all of them recorded).
      const update = (q: Db) =>
        sql<{ id: string }>`with marked as (update payments set xero_payment_id = v.xid, amount_recorded = null, overpaid = null, xero_overpayment_id = null,
              xero_overpayment_txn_id = null, overpayment_attempt_at = null,
              sync_state = 'recorded', last_error = null, fee_state = ${feeStateOnce(sql.ref('payments.fee_state'), decidedFee(sql.ref('v.fee')))},
              xero_attempt_at = null, updated_at = v.now
            from (values ${values}) as v(id, xid, fee, now, job, claim_no) where payments.id = v.id and ${rowStillClaimed(sql.ref('v.job'), sql.ref('v.claim_no'))}
            returning ${sql.join(MARKED_COLUMNS.map((c) => sql.ref(`payments.${c}`)))})
          ${requeueWaiting()}`.execute(q);
      const withJobs = rows.filter((r) => r.feeJob);
      if (withJobs.length === 0) return void (await update(db));
      await db.transaction().execute(async (trx) => {
        const marked = new Set((await update(trx)).rows.map((r) => r.id));
        // Only the fees of payments this marked that came out pending (FeeDecision) get their job.
        const ids = withJobs.map((r) => r.id).filter((id) => marked.has(id));
        if (ids.length === 0) return;
        const rows = await trx.selectFrom('payments').select('id').where('id', 'in', ids).where('fee_state', '=', 'pending').execute();
        const pending = new Set(rows.map((r) => r.id));
        const feeJobs = withJobs.flatMap((r) => (pending.has(r.id) ? [r.feeJob!] : []));
        if (feeJobs.length === 0) return;
        await trx
          .insertInto('jobs')
          .values(feeJobs)
          .onConflict((oc) => oc.column('dedupe_key').doNothing())
          .execute();
      });
    },

    /** noteXeroAttempt for many payments, each fenced on its own `claim`: whether each landed, in order. */
    async noteXeroAttempts(rows: { id: string; at: Date | null; account?: string; claim?: Claim }[]): Promise<boolean[]> {
      if (rows.length === 0) return [];
      const values = sql.join(rows.map((r) => sql`(${r.id}::uuid, ${r.at}::timestamptz, ${r.account ?? null}::text, ${claimColumns(r.claim)})`));
      const { rows: landed } = await sql<{
        id: string;
      }>`update payments set xero_attempt_at = v.at, clearing_account = coalesce(v.account, payments.clearing_account)
                from (values ${values}) as v(id, at, account, job, claim_no)
                where payments.id = v.id and ${rowStillClaimed(sql.ref('v.job'), sql.ref('v.claim_no'))} returning payments.id`.execute(db);
      const ids = new Set(landed.map((r) => r.id));
      return rows.map((r) => ids.has(r.id));
    },

    /** getOrCreate for many payments (a group of jobs), in the order asked: one insert, and one read of those that existed. */
    async getOrCreateAll(ps: NewPayment[], now: Date): Promise<Payment[]> {
      if (ps.length === 0) return [];
      const created = await insertPaymentsWaking(
        db,
        ps.map((p) => newRow(p, now)),
      );
      const key = (merchantId: string, xenditInvoiceId: string) => `${merchantId}\n${xenditInvoiceId}`;
      const found = new Map(created.map((r) => [key(r.merchant_id, r.xendit_invoice_id), toPayment(r)]));
      const missing = ps.filter((p) => !found.has(key(p.merchantId, p.xenditInvoiceId)));
      if (missing.length) {
        const rows = await db
          .selectFrom('payments')
          .selectAll()
          .where((eb) => eb.or(missing.map((p) => eb.and([eb('merchant_id', '=', p.merchantId), eb('xendit_invoice_id', '=', p.xenditInvoiceId)]))))
          .execute();
        for (const r of rows) found.set(key(r.merchant_id, r.xendit_invoice_id), toPayment(r));
      }
      return ps.map((p) => {
        const row = found.get(key(p.merchantId, p.xenditInvoiceId));
        if (!row) throw new Error(`payment for Xendit invoice ${p.xenditInvoiceId} neither created nor found`);
        return row;
      });
    },

    /** byId for many payments, in the order asked (null: no such payment). */
    async byIds(ids: string[]): Promise<(Payment | null)[]> {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('payments').selectAll().where('id', 'in', ids).execute();
      const byId = new Map(rows.map((r) => [r.id, toPayment(r)]));
      return ids.map((id) => byId.get(id) ?? null);
    },

    /**
     * Committed before a create is sent to Xero (`at`), cleared by `null` once Xero answered: the
     * next attempt looks the payment (or its fee) up by Reference only while one is set. `account`:
     * the clearing account the attempt sends it into, kept (the report reads the accounts posted to).
     * With `claim`, only while it holds its job (send-once.ts); false: not written.
     */
    async noteXeroAttempt(id: string, at: Date | null, account?: string, claim?: Claim): Promise<boolean> {
      return fencedUpdate(
        db
          .updateTable('payments')
          .set({ xero_attempt_at: at, ...(account ? { clearing_account: account } : {}) })
          .where('id', '=', id),
        claim,
      );
    },

    /** noteXeroAttempt for the payment's overpayment. */
    async noteOverpaymentAttempt(id: string, at: Date | null, claim?: Claim): Promise<boolean> {
      return fencedUpdate(db.updateTable('payments').set({ overpayment_attempt_at: at }).where('id', '=', id), claim);
    },

    /** The OverpaymentID of an overpayment kept before it was (migration 20261207T0039), once found in Xero. */
    async keepOverpaymentId(id: string, overpaymentId: string): Promise<void> {
      await db.updateTable('payments').set({ xero_overpayment_id: overpaymentId }).where('id', '=', id).where('xero_overpayment_id', 'is', null).execute();
    },

    /**
     * The clearing account the payment's money is in, when no create of the payment itself names it:
     * an overpayment made alone (nothing was due), or one made for a payment sent before the account was kept.
     */
    async keepClearingAccount(id: string, account: string): Promise<void> {
      await db.updateTable('payments').set({ clearing_account: account }).where('id', '=', id).execute();
    },

    async byId(id: string): Promise<Payment | null> {
      const r = await db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toPayment(r) : null;
    },

    async markNeedsReview(id: string, reason: string, now: Date): Promise<void> {
      await db.updateTable('payments').set({ sync_state: 'needs_review', last_error: reason, updated_at: now }).where('id', '=', id).execute();
    },

    /** Paid in Xendit test mode into an organisation that is not a test company: kept here, never sent to Xero. */
    async markTestMode(id: string, reason: string, now: Date): Promise<void> {
      await db
        .updateTable('payments')
        .set({ sync_state: 'test_mode', last_error: reason, updated_at: now })
        .where('id', '=', id)
        .where('sync_state', '=', 'pending')
        .execute();
    },

    async noteError(id: string, error: string, now: Date): Promise<void> {
      await db.updateTable('payments').set({ last_error: error, updated_at: now }).where('id', '=', id).execute();
    },

    /** The payment a checkout was paid with (one Xendit invoice per checkout, so at most one). */
    async byCheckout(checkoutId: string): Promise<Payment | null> {
      const r = await db.selectFrom('payments').selectAll().where('checkout_id', '=', checkoutId).orderBy('created_at').executeTakeFirst();
      return r ? toPayment(r) : null;
    },

    /** The payment whose Xendit payment_id is one of these (a refund's payment_id or payment_request_id). */
    async byXenditPaymentId(merchantId: string, ids: string[]): Promise<Payment | null> {
      if (!ids.length) return null;
      const r = await db.selectFrom('payments').selectAll().where('merchant_id', '=', merchantId).where('xendit_payment_id', 'in', ids).executeTakeFirst();
      return r ? toPayment(r) : null;
    },

    async byXenditInvoice(merchantId: string, xenditInvoiceId: string): Promise<Payment | null> {
      const r = await db
        .selectFrom('payments')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('xendit_invoice_id', '=', xenditInvoiceId)
        .executeTakeFirst();
      return r ? toPayment(r) : null;
    },

    /**
     * The merchant's payments whose Xendit invoice has this external id (Xendit's reference_id of an
     * invoice payment): of its checkouts, and of its backend-flow sales (the id read from Xendit when
     * the sale was recorded). Only this merchant's: another's on a shared account are never among them.
     */
    async byExternalId(merchantId: string, externalId: string): Promise<Payment[]> {
      const rows = await db
        .selectFrom('payments')
        .selectAll('payments')
        .where('payments.merchant_id', '=', merchantId)
        .where((eb) =>
          eb.or([
            eb(
              'payments.checkout_id',
              'in',
              eb.selectFrom('checkouts').select('checkouts.id').where('checkouts.merchant_id', '=', merchantId).where('checkouts.external_id', '=', externalId),
            ),
            eb.and([
              eb('payments.checkout_id', 'is', null),
              eb(
                'payments.xendit_invoice_id',
                'in',
                eb
                  .selectFrom('backend_sales')
                  .select('backend_sales.xendit_invoice_id')
                  .where('backend_sales.merchant_id', '=', merchantId)
                  .where('backend_sales.external_id', '=', externalId),
              ),
            ]),
          ]),
        )
        .execute();
      return rows.map(toPayment);
    },

    async list(merchantId?: string): Promise<Payment[]> {
      let q = db.selectFrom('payments').selectAll().orderBy('created_at', 'desc');
      if (merchantId) q = q.where('merchant_id', '=', merchantId);
      return (await q.execute()).map(toPayment);
    },
  };
}

export type PaymentStore = ReturnType<typeof createPaymentStore>;
