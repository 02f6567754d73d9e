import { z } from 'zod';
import type { Db } from '../../app/store/db.js';
import { insertJob } from '../../app/store/jobs.js';
import { specRow } from '../../app/jobs/enqueue.js';
import { DEFAULT_MAX_ATTEMPTS, JOB_SPECS, type JobKind } from '../../app/jobs/kinds.js';

export interface TestJob {
  kind: string;
  merchantId?: string;
  payload: Record<string, unknown>;
  /** None unless given: tests queue the same work twice on purpose. */
  dedupeKey?: string;
  maxAttempts?: number;
}

/**
 * Queues a job as the test says, bypassing the registry's dedupe key and merchant (a second run of
 * finished work, a kind of the test's own). A registered kind's payload is still checked.
 */
export function enqueueJob(db: Db, job: TestJob, now: Date): Promise<boolean> {
  const known = JOB_SPECS[job.kind as JobKind] as { payload: z.ZodType; maxAttempts: number } | undefined;
  const spec = {
    kind: job.kind,
    payload: known?.payload ?? z.record(z.string(), z.unknown()),
    dedupeKey: () => job.dedupeKey,
    maxAttempts: job.maxAttempts ?? known?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  };
  return insertJob(db, specRow(spec, job.payload, now, { merchantId: job.merchantId }));
}
