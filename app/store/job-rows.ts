/**
 * Queue writes that take a Db or a transaction (a job queued, or queued again, in the same commit
 * as what it is for), apart from the job store's own statements in jobs.ts.
 */
import { sql } from 'kysely';
import type { Db } from './db.js';
import type { JobState } from './schema.js';

/** A job row as app/jobs/enqueue.ts builds it (the payload already JSON). */
export interface NewJobRow {
  kind: string;
  merchant_id: string | null;
  payload: string;
  dedupe_key: string | null;
  state: 'queued';
  max_attempts: number;
  run_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** Takes a Db or a transaction, so a job can be queued in the same commit as the event behind it. False: its dedupe key was taken. */
export async function insertJob(db: Db, row: NewJobRow): Promise<boolean> {
  const r = await db
    .insertInto('jobs')
    .values(row)
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return (r.numInsertedOrUpdatedRows ?? 0n) > 0n;
}

/**
 * Back in the queue, due now, with fresh attempts: jobs `match` names that are in one of `states`.
 * The payload's retry count goes up: record-payment uses it for a fresh Xero Idempotency-Key (Xero
 * would replay its stored refusal for the old key). Takes a transaction too. Returns how many.
 */
export async function requeueJobs(
  db: Db,
  match: { id: number } | { dedupeKeys: string[] },
  states: JobState[],
  now: Date,
  opts: { clearError: boolean },
): Promise<number> {
  let q = db
    .updateTable('jobs')
    .set({
      state: 'queued',
      attempts: 0,
      run_at: now,
      locked_until: null,
      ...(opts.clearError ? { last_error: null } : {}),
      updated_at: now,
      payload: sql`jsonb_set(payload, '{retry}', to_jsonb(coalesce((payload->>'retry')::int, 0) + 1))`,
    })
    .where('state', 'in', states);
  q = 'id' in match ? q.where('id', '=', match.id) : q.where('dedupe_key', 'in', match.dedupeKeys);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}

/** The merchant's queued jobs that were put off (while their Xero connection was gone) are due now. */
export async function bringForward(db: Db, merchantId: string, now: Date): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ run_at: now, updated_at: now })
    .where('merchant_id', '=', merchantId)
    .where('state', '=', 'queued')
    .where('run_at', '>', now)
    .execute();
}
