import type { Kysely } from 'kysely';

/**
 * run_again: what a job must act on changed while it was running (a withdrawal's fee or reversal
 * noted: job-rows.ts requeueOrRunAgain), and the run may have read it before the change. Its finish
 * queues it again instead of ending it done (jobs.ts); every claim clears it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('jobs')
    .addColumn('run_again', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('run_again').execute();
}
