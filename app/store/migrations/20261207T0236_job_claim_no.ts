import type { Kysely } from 'kysely';

/**
 * jobs.claim_no: how many times the job has been claimed, one more at every claim (store/jobs.ts
 * `claimed`) and never set back. A worker's verdict and its in-handler writes are fenced on the
 * claim_no its claim got: `attempts` goes back to 0 whenever a job is queued again (replay, Retry,
 * a settlement save, a waiting refund's payment recorded), so a worker stalled past its lease could
 * otherwise match the claim of a later run with the same attempt count and write over its verdict.
 * Rows already there start at 0, below any claim made from now on.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('jobs')
    .addColumn('claim_no', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('claim_no').execute();
}
