import { sql, type Selectable, type Updateable } from 'kysely';
import type { Db } from './db.js';
import type { JobsTable, JobState } from './schema.js';
import { int8 } from './int8.js';

export interface Job {
  id: number;
  kind: string;
  merchantId: string | null;
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  runAt: Date;
  lastError: string | null;
  /** When it was queued (for a record-payment job: when its callback was stored). */
  createdAt?: Date;
}

/** With the runner's back-off, 15 attempts span about a day and a half: longer than Xendit retries callbacks. */
export const DEFAULT_MAX_ATTEMPTS = 15;

export interface NewJob {
  kind: string;
  merchantId?: string;
  payload: Record<string, unknown>;
  /** At most one job ever exists per key: duplicates of the same work are absorbed here. */
  dedupeKey?: string;
  maxAttempts?: number;
}

const toJob = (r: Selectable<JobsTable>): Job => ({
  id: int8(r.id),
  kind: r.kind,
  merchantId: r.merchant_id,
  payload: r.payload,
  state: r.state,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  runAt: r.run_at,
  lastError: r.last_error,
  createdAt: r.created_at,
});

/** The row a new job is inserted as; `payloadJson` when the caller already serialised it. */
export function newJobRow(job: NewJob, now: Date, payloadJson = JSON.stringify(job.payload)) {
  return {
    kind: job.kind,
    merchant_id: job.merchantId ?? null,
    payload: payloadJson,
    dedupe_key: job.dedupeKey ?? null,
    state: 'queued' as const,
    max_attempts: job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    run_at: now,
    created_at: now,
    updated_at: now,
  };
}

/** Takes a Db or a transaction, so a job can be enqueued in the same commit as the event behind it. */
export async function enqueueJob(db: Db, job: NewJob, now: Date): Promise<boolean> {
  const r = await db
    .insertInto('jobs')
    .values(newJobRow(job, now))
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

export function createJobStore(db: Db) {
  async function fenced(job: Pick<Job, 'id' | 'attempts'>, set: Updateable<JobsTable>): Promise<boolean> {
    const r = await db
      .updateTable('jobs')
      .set(set)
      .where('id', '=', job.id)
      .where('state', '=', 'running')
      .where('attempts', '=', job.attempts)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  return {
    /**
     * Claims the next runnable job: queued and due, or running with an expired lease (its worker died).
     * SKIP LOCKED lets any number of workers claim concurrently without taking the same job.
     */
    async claim(now: Date, leaseMs: number): Promise<Job | null> {
      const r = await db
        .updateTable('jobs')
        .set((eb) => ({
          state: 'running',
          attempts: eb('attempts', '+', 1),
          locked_until: new Date(now.getTime() + leaseMs),
          updated_at: now,
        }))
        .where('id', '=', (eb) =>
          eb
            .selectFrom('jobs')
            .select('id')
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
            .modifyEnd(sql`for update skip locked`),
        )
        .returningAll()
        .executeTakeFirst();
      return r ? toJob(r) : null;
    },

    /*
     * finish, retryAt and needsReview are fenced on the claim (running, same attempt): a worker
     * whose lease ran out while it was stuck must not overwrite what the worker that took the job
     * over has decided since. They return false when the claim was lost.
     */
    async finish(job: Pick<Job, 'id' | 'attempts'>, now: Date): Promise<boolean> {
      return fenced(job, { state: 'done', locked_until: null, last_error: null, updated_at: now });
    },

    async retryAt(job: Pick<Job, 'id' | 'attempts'>, runAt: Date, error: string, now: Date): Promise<boolean> {
      return fenced(job, { state: 'queued', run_at: runAt, locked_until: null, last_error: error, updated_at: now });
    },

    /** Back to the queue without spending the attempt (the merchant's Xero connection is gone). */
    async park(job: Pick<Job, 'id' | 'attempts'>, reason: string, now: Date): Promise<boolean> {
      return fenced(job, { state: 'queued', attempts: Math.max(0, job.attempts - 1), run_at: now, locked_until: null, last_error: reason, updated_at: now });
    },

    async needsReview(job: Pick<Job, 'id' | 'attempts'>, reason: string, now: Date): Promise<boolean> {
      return fenced(job, { state: 'needs_review', locked_until: null, last_error: reason, updated_at: now });
    },

    /**
     * The job could not start for want of Xero budget: back to queued until `until`, its attempt
     * given back. The merchant's other queued jobs wait as long (never brought forward).
     */
    async holdBack(job: Pick<Job, 'id' | 'attempts' | 'merchantId'>, until: Date, reason: string, now: Date): Promise<boolean> {
      const held = await fenced(job, { state: 'queued', run_at: until, attempts: job.attempts - 1, locked_until: null, last_error: reason, updated_at: now });
      if (held && job.merchantId) {
        await db
          .updateTable('jobs')
          .set({ run_at: until })
          .where('merchant_id', '=', job.merchantId)
          .where('state', '=', 'queued')
          .where('run_at', '<', until)
          .execute();
      }
      return held;
    },

    enqueue(job: NewJob, now: Date): Promise<boolean> {
      return enqueueJob(db, job, now);
    },

    /**
     * An operator asks for a finished or given-up job to run again now, with a fresh attempt count.
     * Queued or running jobs are left alone (false).
     */
    async replay(id: number, now: Date): Promise<boolean> {
      const r = await db
        .updateTable('jobs')
        .set({
          state: 'queued',
          attempts: 0,
          run_at: now,
          locked_until: null,
          last_error: null,
          updated_at: now,
          // As the admin's Retry does: record-payment uses the count for a fresh Xero Idempotency-Key
          // (Xero would replay its stored refusal for the old key).
          payload: sql`jsonb_set(payload, '{retry}', to_jsonb(coalesce((payload->>'retry')::int, 0) + 1))`,
        })
        .where('id', '=', id)
        .where('state', 'in', ['needs_review', 'done'])
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** Forgets finished jobs of a kind (e.g. past reconcile runs) last touched before `before`. */
    async pruneDone(kind: string, before: Date): Promise<number> {
      const r = await db.deleteFrom('jobs').where('kind', '=', kind).where('state', '=', 'done').where('updated_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
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
