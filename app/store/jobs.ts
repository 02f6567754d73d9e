import { sql, type ExpressionBuilder, type RawBuilder, type Selectable, type UpdateObject } from 'kysely';
import type { Db } from './db.js';
import type { Database, JobsTable, JobState } from './schema.js';
import { int8 } from './int8.js';
import { requeuePaymentIdCall, WAITING_KINDS } from './payment-id-waits.js';
import { insertJob, requeueJobs, requeueOrRunAgain, type NewJobRow } from './job-rows.js';
import { doneOrAgain, type Claim } from './claim-fence.js';

export { bringForward, insertJob, requeueJobs, requeueOrRunAgain, type NewJobRow } from './job-rows.js';
export { claimColumns, fencedUpdate, finishClaim, rowStillClaimed, stillClaimed, type Claim } from './claim-fence.js';

export interface Job {
  id: number;
  kind: string;
  merchantId: string | null;
  payload: Record<string, unknown>;
  state: JobState;
  /** The retry budget spent; back to 0 whenever the job is queued again (replay, requeueJobs). */
  attempts: number;
  /** Which claim of the job this is (claim, claimMore): never reused, unlike `attempts`. What every write on behalf of the claim is fenced on. */
  claimNo: number;
  maxAttempts: number;
  runAt: Date;
  lastError: string | null;
  /** When it was queued (for a record-payment job: when its callback was stored). */
  createdAt?: Date;
  /** Claimed from a worker that stopped while running its last attempt (claim): to review, not to run. */
  workerStopped?: true;
  /** The lease its claim set (claim, claimMore). */
  lockedUntil?: Date | null;
}

/** A claim whose lease its worker renews (renew); `attempts` only for the log. */
export type Lease = Pick<Job, 'id' | 'claimNo' | 'attempts'>;

const toJob = (r: Selectable<JobsTable>): Job => ({
  id: int8(r.id),
  kind: r.kind,
  merchantId: r.merchant_id,
  payload: r.payload,
  state: r.state,
  attempts: r.attempts,
  claimNo: r.claim_no,
  maxAttempts: r.max_attempts,
  runAt: r.run_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  lockedUntil: r.locked_until,
});

/**
 * Two-key advisory locks ((int4, int4)) never meet the one-key (bigint) migration lock; this class
 * names the waits for a payment among them (jobs-waiting.sql), as checkouts.ts names its claims.
 */
const WAIT_LOCK_CLASS = 0x77616974; // 'wait'

/** One call of jobs_requeue_waiting (jobs-waiting.sql): `jobId` null from the payment's side. */
function requeueCall(merchantId: RawBuilder<unknown>, xenditInvoiceId: RawBuilder<unknown>, at: RawBuilder<unknown>, jobId: number | null) {
  return sql<number>`jobs_requeue_waiting(${WAIT_LOCK_CLASS}::int, ${sql.val(WAITING_KINDS)}::text[], ${merchantId}, ${xenditInvoiceId}, ${at}, ${jobId}::bigint)`;
}

/**
 * The final statement of one whose CTE `marked` returns payments just marked (id, merchant_id,
 * xendit_invoice_id, sync_state, updated_at): the refund and chargeback jobs that gave up waiting
 * for one of them to reach Xero (in review, or done without booking; record-refund.ts `waitFor`)
 * are queued again, once (the mark is dropped), in the same commit that records the payment. Not
 * one whose refund row Xero refused or that is booked (any row state but pending). A job ending at
 * that moment is never missed: both sides lock the payment's key first (jobs-waiting.sql; the
 * job's side is `ended` below). It answers the ids of the recorded ones.
 */
export function requeueWaiting() {
  return sql<{
    id: string;
  }>`select marked.id, ${requeueCall(sql.ref('marked.merchant_id'), sql.ref('marked.xendit_invoice_id'), sql.ref('marked.updated_at'), null)}
    from marked where marked.sync_state = 'recorded'`;
}

/** What requeueWaiting needs the CTE `marked` to return. */
export const MARKED_COLUMNS = ['id', 'merchant_id', 'xendit_invoice_id', 'sync_state', 'updated_at'] as const;

/**
 * What claiming a job sets (claim and claimMore alike): running, one more attempt, a new claim, leased
 * until now + leaseMs. A mark to run again is spent: this run reads after the change that set it.
 */
function claimed(now: Date, leaseMs: number) {
  return (eb: ExpressionBuilder<Database, 'jobs'>) => ({
    state: 'running' as const,
    attempts: eb('attempts', '+', 1),
    claim_no: eb('claim_no', '+', 1),
    run_again: false,
    locked_until: new Date(now.getTime() + leaseMs),
    updated_at: now,
  });
}

/** Where a test may hold a waiting job's ending open (`ended`): after its parking write, and after the payment's key is locked. */
export type WaitingEndHook = (at: 'parked' | 'locked') => Promise<void>;

export function createJobStore(db: Db, opts: { waitingEnd?: WaitingEndHook } = {}) {
  /** The job's row while this claim holds it (running, no claim since). */
  const claimedRow = (q: Db, job: Claim, set: UpdateObject<Database, 'jobs'>) =>
    q.updateTable('jobs').set(set).where('id', '=', job.id).where('state', '=', 'running').where('claim_no', '=', job.claimNo);

  async function fenced(job: Claim, set: UpdateObject<Database, 'jobs'>): Promise<boolean> {
    return (await claimedRow(db, job, set).executeTakeFirst()).numUpdatedRows > 0n;
  }

  /**
   * fenced, for a job ending in review or done. One marked as waiting for a payment to reach Xero
   * (waitFor) ends in a transaction that then locks the payment's key and looks at the payment
   * afresh (jobs-waiting.sql): recorded meanwhile, the job is queued again instead, as the commit
   * that recorded it would have done had the job ended a moment earlier. Unmarked jobs: one
   * statement, as before. 'requeued', or false when the claim was lost.
   */
  async function ended(job: Claim, set: UpdateObject<Database, 'jobs'>): Promise<'ended' | 'requeued' | false> {
    const quick = await claimedRow(db, job, set)
      .where(sql<boolean>`not (payload ? 'waitsFor' or payload ? 'waitsForPaymentIds')`)
      .executeTakeFirst();
    if (quick.numUpdatedRows > 0n) return 'ended';
    return db.transaction().execute(async (trx) => {
      const row = await claimedRow(trx, job, set)
        .returning([
          'merchant_id',
          'updated_at',
          sql<string | null>`payload->>'waitsFor'`.as('waits_for'),
          sql<unknown>`payload->'waitsForPaymentIds'`.as('waits_for_payment_ids'),
        ])
        .executeTakeFirst();
      if (!row) return false;
      const paymentIds = Array.isArray(row.waits_for_payment_ids) ? row.waits_for_payment_ids.filter((id): id is string => typeof id === 'string') : [];
      if (!row.merchant_id || (!row.waits_for && !paymentIds.length)) return 'ended';
      await opts.waitingEnd?.('parked');
      let n = 0;
      if (row.waits_for) {
        const { rows } = await sql<{
          n: number;
        }>`select ${requeueCall(sql.val(row.merchant_id), sql.val(row.waits_for), sql.val(row.updated_at), job.id)} as n`.execute(trx);
        n += rows[0].n;
      }
      if (paymentIds.length && n === 0) {
        const { rows } = await sql<{
          n: number;
        }>`select ${requeuePaymentIdCall(sql.val(row.merchant_id), sql`${paymentIds}::text[]`, sql.val(row.updated_at), job.id)} as n`.execute(trx);
        n += rows[0].n;
      }
      await opts.waitingEnd?.('locked');
      return n > 0 ? 'requeued' : 'ended';
    });
  }

  return {
    /**
     * Claims the next runnable job: queued and due, or running with an expired lease (its worker died).
     * SKIP LOCKED lets any number of workers claim concurrently without taking the same job.
     *
     * An expired lease at its last attempt comes back `workerStopped`, its attempt count unchanged:
     * every attempt it was given has ended with its worker gone (killed, out of memory), and
     * running it again would only take the next worker down with it. The runner sends it to
     * review (under this claim's fence) instead of running it.
     */
    async claim(now: Date, leaseMs: number): Promise<Job | null> {
      const r = await db
        .updateTable('jobs')
        .from((eb) =>
          eb
            .selectFrom('jobs')
            .select(['id', sql<boolean>`state = 'running' and attempts >= max_attempts`.as('stopped')])
            .where((w) => w.or([w.and([w('state', '=', 'queued'), w('run_at', '<=', now)]), w.and([w('state', '=', 'running'), w('locked_until', '<', now)])]))
            // A merchant whose Xero connection is gone: their jobs wait, spending no attempts, until they reconnect.
            .where((w) =>
              w.not(
                w.exists(
                  w
                    .selectFrom('merchants')
                    .select('merchants.id')
                    .whereRef('merchants.id', '=', 'jobs.merchant_id')
                    .where('merchants.xero_disconnected_at', 'is not', null),
                ),
              ),
            )
            .orderBy('run_at')
            .limit(1)
            .modifyEnd(sql`for update skip locked`)
            .as('due'),
        )
        .set((eb) => ({ ...claimed(now, leaseMs)(eb), attempts: sql`case when due.stopped then jobs.attempts else jobs.attempts + 1 end` }))
        .whereRef('jobs.id', '=', 'due.id')
        .returningAll('jobs')
        .returning('due.stopped')
        .executeTakeFirst();
      return r ? { ...toJob(r), ...(r.stopped ? { workerStopped: true } : {}) } : null;
    },

    /**
     * Up to `max` more due jobs of the same kind and merchant as `first`, claimed like `claim`
     * (queued and due only: an expired lease is left to claim, which takes one at a time), so
     * their Xero calls can go as one batch.
     */
    async claimMore(first: Pick<Job, 'id' | 'kind' | 'merchantId'>, max: number, now: Date, leaseMs: number): Promise<Job[]> {
      if (max <= 0 || !first.merchantId) return [];
      const rows = await db
        .updateTable('jobs')
        .set(claimed(now, leaseMs))
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('jobs')
            .select('id')
            .where('kind', '=', first.kind)
            .where('merchant_id', '=', first.merchantId)
            .where('state', '=', 'queued')
            .where('run_at', '<=', now)
            .where('id', '!=', first.id)
            .orderBy('run_at')
            .limit(max)
            .modifyEnd(sql`for update skip locked`),
        )
        .returningAll()
        .execute();
      return rows.map(toJob);
    },

    /*
     * Every verdict is fenced on the claim (running, same claim_no): a worker whose lease ran out
     * while it was stuck must not overwrite what the worker that took the job over has decided
     * since, nor, once the job was queued again (which sets attempts back to 0), the verdict of a
     * later claim that happens to be at the same attempt. They return false when the claim was lost.
     */
    async finish(job: Claim, now: Date): Promise<boolean> {
      // Done, or queued again when what it acts on changed while it ran (doneOrAgain).
      if ((await ended(job, doneOrAgain(now))) !== false) return true;
      // Ended by this very claim in the commit of its handler's last write (finishClaim, queued again
      // by doneOrAgain too): no claim since, and nothing but this claim's end makes it so.
      const r = await db
        .selectFrom('jobs')
        .select('id')
        .where('id', '=', job.id)
        .where('state', 'in', ['done', 'queued'])
        .where('claim_no', '=', job.claimNo)
        .executeTakeFirst();
      return r !== undefined;
    },

    /**
     * finish for the jobs of a group, in one statement, each fenced on its own claim. Returns the
     * ids finished (a job missing lost its claim). The kinds that wait for a payment (`ended`) are
     * never batched.
     */
    async finishAll(jobs: Claim[], now: Date): Promise<Set<number>> {
      if (jobs.length === 0) return new Set();
      const rows = await db
        .updateTable('jobs')
        .set(doneOrAgain(now))
        .where('state', '=', 'running')
        .where((eb) => eb.or(jobs.map((j) => eb.and([eb('id', '=', j.id), eb('claim_no', '=', j.claimNo)]))))
        .returning('id')
        .execute();
      return new Set(rows.map((r) => int8(r.id)));
    },

    /**
     * Extends the leases of jobs being run, each only while its row is still this claim's (running,
     * same claim_no): any claim since, a take-over even at the last attempt that keeps the count,
     * took a new claim_no, so a lost job is never taken back. The ids renewed.
     */
    async renew(leases: Lease[], until: Date): Promise<Set<number>> {
      if (leases.length === 0) return new Set();
      const rows = await db
        .updateTable('jobs')
        .set({ locked_until: until })
        .where('state', '=', 'running')
        .where((eb) => eb.or(leases.map((l) => eb.and([eb('id', '=', l.id), eb('claim_no', '=', l.claimNo)]))))
        .returning('id')
        .execute();
      return new Set(rows.map((r) => int8(r.id)));
    },

    async retryAt(job: Claim, runAt: Date, error: string, now: Date): Promise<boolean> {
      return fenced(job, { state: 'queued', run_at: runAt, locked_until: null, last_error: error, updated_at: now });
    },

    /** Back to the queue without spending the attempt (the merchant's Xero connection is gone). */
    async park(job: Claim & Pick<Job, 'attempts'>, reason: string, now: Date): Promise<boolean> {
      return fenced(job, { state: 'queued', attempts: Math.max(0, job.attempts - 1), run_at: now, locked_until: null, last_error: reason, updated_at: now });
    },

    /** 'requeued': it waited for a payment that reached Xero meanwhile, and runs again instead (ended). */
    async needsReview(job: Claim, reason: string, now: Date): Promise<boolean | 'requeued'> {
      const r = await ended(job, { state: 'needs_review', locked_until: null, last_error: reason, updated_at: now });
      return r === 'requeued' ? r : r === 'ended';
    },

    /**
     * The job could not start for want of Xero budget: back to queued until `until`, its attempt
     * given back. The merchant's other queued jobs wait as long (never brought forward).
     */
    async holdBack(job: Claim & Pick<Job, 'attempts' | 'merchantId'>, until: Date, reason: string, now: Date): Promise<boolean> {
      const held = await fenced(job, { state: 'queued', run_at: until, attempts: job.attempts - 1, locked_until: null, last_error: reason, updated_at: now });
      if (held && job.merchantId) {
        // Rows another transaction holds are skipped: a group's members held back at once each move
        // the same rows, and in different orders they deadlocked (a skipped row is being claimed or moved).
        await sql`UPDATE jobs SET run_at = ${until} WHERE id IN (SELECT id FROM jobs WHERE merchant_id = ${job.merchantId}
          AND state = 'queued' AND run_at < ${until} ORDER BY id FOR UPDATE SKIP LOCKED)`.execute(db);
      }
      return held;
    },

    /**
     * This job (a refund's or a chargeback's) waits for the payment of this Xendit invoice to reach
     * Xero: should it give up first, the commit that records the payment queues it again
     * (requeueWaiting). Only while `job` still holds the claim (false otherwise).
     */
    waitFor(job: Claim, xenditInvoiceId: string): Promise<boolean> {
      return fenced(job, { payload: sql`payload || jsonb_build_object('waitsFor', ${xenditInvoiceId}::text)` });
    },

    /**
     * This job (a refund's or a chargeback's) names no invoice and its payment_id (or
     * payment_request_id) is none a payment holds yet: a payment recorded before its PAID callback
     * came has none until that callback does. Should it end, in review or done, the commit that
     * gives a payment one of these ids queues it again (requeueWaitingPaymentId).
     */
    async waitForPaymentIds(job: Claim, paymentIds: string[]): Promise<void> {
      if (paymentIds.length) await fenced(job, { payload: sql`payload || jsonb_build_object('waitsForPaymentIds', ${JSON.stringify(paymentIds)}::jsonb)` });
    },

    insert(row: NewJobRow): Promise<boolean> {
      return insertJob(db, row);
    },

    /**
     * An operator asks for a finished or given-up job to run again now, with a fresh attempt count;
     * `from`: only from these states (the admin's review page: needs_review). Queued or running jobs
     * are left alone (false).
     */
    async replay(id: number, now: Date, from: ('needs_review' | 'done')[] = ['needs_review', 'done']): Promise<boolean> {
      // As the admin's Retry does (requeueJobs counts the retry), but from a clean error too.
      return (await requeueJobs(db, { id }, from, now, { clearError: true })) > 0;
    },

    /** replay, of the job holding this dedupe key, only from one of these states. */
    async replayKey(dedupeKey: string, from: ('needs_review' | 'done')[], now: Date): Promise<boolean> {
      return (await requeueJobs(db, { dedupeKeys: [dedupeKey] }, from, now, { clearError: true })) > 0;
    },

    /** replayKey of a done job, for a change it must act on: one running now runs again once it ends (requeueOrRunAgain). */
    async replayOrRunAgain(dedupeKey: string, now: Date): Promise<boolean> {
      return db.transaction().execute(async (trx) => (await requeueOrRunAgain(trx, [dedupeKey], now, { clearError: true })) > 0);
    },

    /** Forgets done jobs of a kind (e.g. past reconcile runs) last touched before `before`; with `payloadKey`, only those whose payload has it. */
    async pruneDone(kind: string, before: Date, payloadKey?: string): Promise<number> {
      let q = db.deleteFrom('jobs').where('kind', '=', kind).where('state', '=', 'done').where('updated_at', '<', before);
      if (payloadKey) q = q.where(sql<boolean>`payload ? ${payloadKey}`);
      const r = await q.executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    /** How many of a merchant's jobs of a kind are waiting or running. */
    async unfinished(merchantId: string, kind: string): Promise<number> {
      const row = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('merchant_id', '=', merchantId)
        .where('kind', '=', kind)
        .where('state', 'in', ['queued', 'running'])
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** The one job that holds this dedupe key, if any. */
    async byDedupeKey(key: string): Promise<Job | null> {
      const r = await db.selectFrom('jobs').selectAll().where('dedupe_key', '=', key).executeTakeFirst();
      return r ? toJob(r) : null;
    },

    async byId(id: number): Promise<Job | null> {
      const r = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toJob(r) : null;
    },

    async list(filter: { state?: JobState } = {}): Promise<Job[]> {
      let q = db.selectFrom('jobs').selectAll().orderBy('id');
      if (filter.state) q = q.where('state', '=', filter.state);
      return (await q.execute()).map(toJob);
    },
  };
}

export type JobStore = ReturnType<typeof createJobStore>;
