import type { NewJobRow } from '../store/jobs.js';
import { JOB_SPECS, type JobKind, type JobPayload, type JobSpec } from './kinds.js';

export interface JobOptions {
  /** The merchant, when the payload does not name it (post-fee). */
  merchantId?: string;
  /** The interval a periodic run belongs to (its dedupe key). */
  slot?: Date;
  /** When it falls due, if not now (a Dispute Report's reads, spread out). */
  runAt?: Date;
}

/**
 * The one place a job row is made: the payload is checked against its kind's schema and the dedupe
 * key, merchant and attempts come from the kind. A store that must queue a job in the same
 * transaction as its own write takes the row this returns.
 */
export function jobRow<K extends JobKind>(kind: K, payload: JobPayload<K>, now: Date, opts: JobOptions = {}): NewJobRow {
  return specRow(JOB_SPECS[kind] as JobSpec<unknown>, payload, now, opts);
}

/** jobRow for a spec outside the registry (tests that run kinds of their own). */
export function specRow<P>(spec: JobSpec<P>, payload: unknown, now: Date, opts: JobOptions = {}): NewJobRow {
  const p = spec.payload.parse(payload);
  return {
    kind: spec.kind,
    merchant_id: opts.merchantId ?? spec.merchantId?.(p) ?? null,
    payload: JSON.stringify(p),
    dedupe_key: spec.dedupeKey?.(p, opts.slot) ?? null,
    state: 'queued',
    max_attempts: spec.maxAttempts,
    run_at: opts.runAt ?? now,
    created_at: now,
    updated_at: now,
  };
}

/** Queues a job; false when one with its dedupe key already exists. */
export function enqueue<K extends JobKind>(
  jobs: { insert(row: NewJobRow): Promise<boolean> },
  kind: K,
  payload: JobPayload<K>,
  now: Date,
  opts: JobOptions = {},
): Promise<boolean> {
  return jobs.insert(jobRow(kind, payload, now, opts));
}
