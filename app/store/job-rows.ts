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

/** The payload with one more retry counted (requeueJobs, and a finish that runs the job again: claim-fence.ts). */
export const RETRY_COUNTED = sql<string>`jsonb_set(payload, '{retry}', to_jsonb(coalesce((payload->>'retry')::int, 0) + 1))`;

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
      payload: RETRY_COUNTED,
    })
    .where('state', 'in', states);
  q = 'id' in match ? q.where('id', '=', match.id) : q.where('dedupe_key', 'in', match.dedupeKeys);
  return Number((await q.executeTakeFirst()).numUpdatedRows);
}

/**
 * requeueJobs of done jobs, for a change they must act on, in the transaction that makes it (after
 * its write to what changed: the lock order is that row, then the job). Each job is locked first,
 * so none is claimed or ends until this commits. One running then may have read what changed before
 * the change: it is marked to run again (run_again), and its finish queues it instead of ending it
 * (claim-fence.ts doneOrAgain). A queued one reads the change when it runs (one backing off after a
 * failure too, at its time); one in review is left to the person, whose Retry reads it; one handled
 * by hand goes back to review (reopenHandled). How many were queued, marked or reopened.
 */
export async function requeueOrRunAgain(trx: Db, dedupeKeys: string[], now: Date, opts: { clearError: boolean }): Promise<number> {
  if (!dedupeKeys.length) return 0;
  await trx.selectFrom('jobs').select('id').where('dedupe_key', 'in', dedupeKeys).orderBy('id').forNoKeyUpdate().execute();
  const queued = await requeueJobs(trx, { dedupeKeys }, ['done'], now, opts);
  const marked = await trx.updateTable('jobs').set({ run_again: true }).where('dedupe_key', 'in', dedupeKeys).where('state', '=', 'running').executeTakeFirst();
  return queued + Number(marked.numUpdatedRows) + (await reopenHandled(trx, dedupeKeys, now));
}

/**
 * Jobs a person marked handled by hand, back in review for a change Xendit made since (a reversal,
 * a fee learnt): the person did what the job stood for then, not this, and what they booked is not
 * known here, so nothing is sent for it; they are told, in the same commit, and decide (Retry, or
 * handle it by hand again). How many.
 */
async function reopenHandled(trx: Db, dedupeKeys: string[], now: Date): Promise<number> {
  const reopened = await trx
    .updateTable('jobs')
    .set({ state: 'needs_review', last_error: HANDLED_CHANGED, locked_until: null, updated_at: now })
    .where('dedupe_key', 'in', dedupeKeys)
    .where('state', '=', 'handled')
    .returning(['merchant_id', 'kind', 'payload'])
    .execute();
  for (const j of reopened) {
    // Its row left review with it (review-jobs.ts rowHandled): back with it. The changes that reopen
    // (a reversal, a fee learnt) are a withdrawal's or a balance movement's.
    const table = ROW_OF[j.kind];
    const txn = (j.payload as { xenditTransactionId?: unknown }).xenditTransactionId;
    if (table && typeof txn === 'string')
      await trx
        .updateTable(table)
        .set({ state: 'needs_review', last_error: HANDLED_CHANGED, updated_at: now })
        .where('merchant_id', '=', j.merchant_id)
        .where('xendit_transaction_id', '=', txn)
        .where('state', '=', 'handled')
        .execute();
    // The alert as raise.ts stores one (an encoded i18n message): this commit must not lose it.
    const message = JSON.stringify({ key: 'alerts:needsReview', params: { kind: j.kind, reason: HANDLED_CHANGED } });
    await trx
      .insertInto('alerts')
      .values({ merchant_id: j.merchant_id, kind: 'needsReview', message, except_user_id: null, dedupe_key: null, created_at: now, mailed_at: null })
      .execute();
  }
  return reopened.length;
}

const ROW_OF: Partial<Record<string, 'withdrawals' | 'other_movements'>> = { 'record-withdrawal': 'withdrawals', 'record-other-movement': 'other_movements' };

/** Why a job handled by hand is back in review (shown as the job's reason and in the alert). */
export const HANDLED_CHANGED =
  'Xendit changed this after it was marked handled by hand (for example it reversed the withdrawal or its fee became known): check what the books need now, then Retry, or handle it by hand again';

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
