/**
 * Writes made on behalf of one claim of a job (store/jobs.ts): they land only while that claim
 * still holds its job (running, no claim since), so a worker stalled past its lease writes nothing
 * over what the run that took the job over has written since. jobs.ts re-exports these.
 */
import { sql, type RawBuilder, type UpdateQueryBuilder, type UpdateResult } from 'kysely';
import type { Db } from './db.js';
import type { JobState } from './schema.js';
import { RETRY_COUNTED } from './job-rows.js';

/** One claim of a job: what its worker's writes are fenced on (jobs.claim_no, bumped by every claim and never set back). */
export interface Claim {
  id: number;
  claimNo: number;
}

/** True while `claim` still holds its job: for a write another store makes on a job's behalf. */
export function stillClaimed(claim: Claim) {
  return sql<boolean>`exists (select 1 from jobs where jobs.id = ${claim.id} and jobs.state = 'running' and jobs.claim_no = ${claim.claimNo})`;
}

/** Runs `update`, with `claim` only while it holds its job: whether a row was written. */
export async function fencedUpdate<DB, UT extends keyof DB, TB extends keyof DB>(
  update: UpdateQueryBuilder<DB, UT, TB, UpdateResult>,
  claim?: Claim,
): Promise<boolean> {
  const r = await (claim ? update.where(stillClaimed(claim)) : update).executeTakeFirst();
  return r.numUpdatedRows > 0n;
}

/** The two columns a row of a VALUES list carries its claim in (null, null: written on no job's behalf). */
export const claimColumns = (claim: Claim | undefined) => sql`${claim?.id ?? null}::bigint, ${claim?.claimNo ?? null}::int`;

/** stillClaimed for a row of a VALUES list whose claimColumns are `job` and `claimNo`; a row without one is written as before. */
export function rowStillClaimed(job: RawBuilder<unknown>, claimNo: RawBuilder<unknown>) {
  return sql<boolean>`(${job} is null or exists (select 1 from jobs where jobs.id = ${job} and jobs.state = 'running' and jobs.claim_no = ${claimNo}))`;
}

/**
 * What a claim's successful end sets: done; or, when a change it must act on came while it ran
 * (run_again: job-rows.ts requeueOrRunAgain), queued again as requeueJobs would have done had the
 * change come a moment later (due now, fresh attempts, the retry counted). One statement, fenced on
 * the claim by its caller: a stale claim's end writes nothing, so it cannot drop the mark either.
 */
export function doneOrAgain(now: Date) {
  return {
    state: sql<JobState>`case when run_again then 'queued' else 'done' end`,
    attempts: sql<number>`case when run_again then 0 else attempts end`,
    run_at: sql<Date>`case when run_again then ${now}::timestamptz else run_at end`,
    payload: sql<string>`case when run_again then ${RETRY_COUNTED} else payload end`,
    run_again: false,
    locked_until: null,
    last_error: null,
    updated_at: now,
  };
}

/**
 * The job ends done (or queued again: doneOrAgain) under this claim, in the caller's transaction: for a handler whose last write
 * and its job's end must be one commit (a withdrawal set waiting: settlements.ts). The runner's
 * finish then finds it ended by this same claim (jobs.ts `finish`). False when the claim was lost.
 */
export async function finishClaim(db: Db, claim: Claim, now: Date): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set(doneOrAgain(now))
    .where('id', '=', claim.id)
    .where('state', '=', 'running')
    .where('claim_no', '=', claim.claimNo)
    .executeTakeFirst();
  return r.numUpdatedRows > 0n;
}
