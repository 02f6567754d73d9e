/**
 * The jobs a person must look at (needs_review) as the admin's review page lists them, per merchant
 * (admin/review). The kinds are the caller's: this store names none. Queued again with jobs.replay,
 * or taken out of review as handled by hand (markHandled).
 */
import { sql } from 'kysely';
import type { Db } from './db.js';
import { int8 } from './int8.js';
import { insertAudit, type AuditEntry } from './audit.js';

export interface JobInReview {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  lastError: string | null;
  /** When it went to review (its last write). */
  stoppedAt: Date;
}

/** A person's mark that they did by hand what a job in review was for (markHandled). */
export interface HandledMark {
  jobId: number;
  merchantId: string;
  kinds: readonly string[];
  /** When the page showed the job stopping (its updated_at, to the millisecond): a job retried and stopped again since is another stop. */
  stoppedAt: Date;
  /** The payment the item belongs to, for its page's timeline. */
  paymentId: string | null;
  note: string;
  userId: string | null;
  userEmail: string;
  audit: AuditEntry;
  /** The row the job was about, handled with it (null: none, e.g. the job stopped before it made one). */
  row: HandledRow | null;
}

/**
 * The row a handled job was about, as its kind names it: it leaves 'needs_review' for 'handled' with
 * the job, so its own page and the metrics agree with the review page. A row not in review stays as it is.
 */
export type HandledRow =
  | { table: 'withdrawals' | 'other_movements'; xenditTransactionId: string }
  | { table: 'refunds'; xenditRefundId: string }
  | { table: 'fee_bills'; id: string }
  /** The payment's fee (post-fee). */
  | { table: 'payment_fee'; paymentId: string }
  /** A sale made outside Xero (record-backend-payment): the payment's own state. */
  | { table: 'payment_sale'; xenditInvoiceId: string };

/** A job handled by hand, as a payment's timeline shows it. */
export interface HandledJob {
  jobId: number;
  kind: string;
  reason: string | null;
  note: string;
  userEmail: string;
  handledAt: Date;
}

export function createReviewJobStore(db: Db) {
  const inReview = (kinds: readonly string[]) => db.selectFrom('jobs').where('state', '=', 'needs_review').where('kind', 'in', kinds);
  return {
    /** The merchant's jobs of these kinds in review, the latest to stop first, at most `limit`. */
    async list(merchantId: string, kinds: readonly string[], limit: number): Promise<JobInReview[]> {
      if (!kinds.length) return [];
      const rows = await inReview(kinds)
        .select(['id', 'kind', 'payload', 'last_error', 'updated_at'])
        .where('merchant_id', '=', merchantId)
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ id: int8(r.id), kind: r.kind, payload: r.payload, lastError: r.last_error, stoppedAt: r.updated_at }));
    },

    /** How many jobs of these kinds are in review, per merchant: of these merchants, or of all. Merchants with none are left out. */
    async counts(merchantIds: string[] | 'all', kinds: readonly string[]): Promise<Map<string, number>> {
      if (!kinds.length || (merchantIds !== 'all' && !merchantIds.length)) return new Map();
      let q = inReview(kinds)
        .select(['merchant_id', (eb) => eb.fn.countAll<string>().as('n')])
        .where('merchant_id', 'is not', null)
        .groupBy('merchant_id');
      if (merchantIds !== 'all') q = q.where('merchant_id', 'in', merchantIds);
      return new Map((await q.execute()).map((r) => [r.merchant_id!, Number(r.n)]));
    },

    /**
     * The job leaves review as 'handled', with who, when and the note, and the audit entry, in one
     * commit; only while it is still the stop the page showed (in review, of this merchant and these
     * kinds, not moved since): a compare-and-set, so a second mark, or one after a Retry, writes
     * nothing (false). No other state leads to 'handled', and nothing queues a handled job again
     * (every requeue names the states it takes: needs_review or done); a change Xendit makes later
     * puts it back in review (job-rows.ts reopenHandled), and the next mark replaces this one's note
     * (the audit log keeps both).
     */
    async markHandled(m: HandledMark, now: Date): Promise<boolean> {
      if (!m.kinds.length) return false;
      return db.transaction().execute(async (trx) => {
        const job = await trx
          .updateTable('jobs')
          .set({ state: 'handled', locked_until: null, updated_at: now })
          .where('id', '=', m.jobId)
          .where('merchant_id', '=', m.merchantId)
          .where('state', '=', 'needs_review')
          .where('kind', 'in', m.kinds)
          .where(sql<boolean>`date_trunc('milliseconds', updated_at) = ${m.stoppedAt}`)
          .returning(['kind', 'last_error'])
          .executeTakeFirst();
        if (!job) return false;
        await rowHandled(trx, m.merchantId, m.row, now);
        await trx
          .insertInto('review_handled')
          .values({
            job_id: m.jobId,
            merchant_id: m.merchantId,
            payment_id: m.paymentId,
            kind: job.kind,
            reason: job.last_error,
            note: m.note,
            user_id: m.userId,
            user_email: m.userEmail,
            handled_at: now,
          })
          .onConflict((oc) =>
            oc.column('job_id').doUpdateSet((eb) => ({
              reason: eb.ref('excluded.reason'),
              note: eb.ref('excluded.note'),
              user_id: eb.ref('excluded.user_id'),
              user_email: eb.ref('excluded.user_email'),
              handled_at: eb.ref('excluded.handled_at'),
            })),
          )
          .execute();
        await insertAudit(trx, m.audit, now);
        return true;
      });
    },

    /** The payment's items handled by hand, the earliest first. */
    async handledOfPayment(paymentId: string): Promise<HandledJob[]> {
      const rows = await db
        .selectFrom('review_handled')
        .select(['job_id', 'kind', 'reason', 'note', 'user_email', 'handled_at'])
        .where('payment_id', '=', paymentId)
        .orderBy('handled_at')
        .orderBy('job_id')
        .execute();
      return rows.map((r) => ({ jobId: int8(r.job_id), kind: r.kind, reason: r.reason, note: r.note, userEmail: r.user_email, handledAt: r.handled_at }));
    },
  };
}

/** The row leaves review with its job (HandledRow); in the same transaction. */
async function rowHandled(trx: Db, merchantId: string, row: HandledRow | null, now: Date): Promise<void> {
  if (!row) return;
  const set = { state: 'handled' as const, updated_at: now };
  switch (row.table) {
    case 'withdrawals':
    case 'other_movements':
      await trx
        .updateTable(row.table)
        .set(set)
        .where('merchant_id', '=', merchantId)
        .where('xendit_transaction_id', '=', row.xenditTransactionId)
        .where('state', '=', 'needs_review')
        .execute();
      return;
    case 'refunds':
      await trx
        .updateTable('refunds')
        .set(set)
        .where('merchant_id', '=', merchantId)
        .where('xendit_refund_id', '=', row.xenditRefundId)
        .where('state', '=', 'needs_review')
        .execute();
      return;
    case 'fee_bills':
      await trx.updateTable('fee_bills').set(set).where('merchant_id', '=', merchantId).where('id', '=', row.id).where('state', '=', 'needs_review').execute();
      return;
    case 'payment_fee':
      await trx
        .updateTable('payments')
        .set({ fee_state: 'handled', updated_at: now })
        .where('merchant_id', '=', merchantId)
        .where('id', '=', row.paymentId)
        .where('fee_state', '=', 'needs_review')
        .execute();
      return;
    case 'payment_sale':
      await trx
        .updateTable('payments')
        .set({ sync_state: 'handled', updated_at: now })
        .where('merchant_id', '=', merchantId)
        .where('xendit_invoice_id', '=', row.xenditInvoiceId)
        .where('sync_state', '=', 'needs_review')
        .execute();
      return;
  }
}

export type ReviewJobStore = ReturnType<typeof createReviewJobStore>;
