import type { ColumnType, Generated, JSONColumnType } from 'kysely';
import type { SerialId, Timestamp } from './columns.js';

/** The job queue, the rate limiter and the reconciliation reports being prepared. */

/** 'handled': taken out of review by a person who did by hand what it was for (review_handled); the gateway booked nothing. Terminal, like 'done'. */
export type JobState = 'queued' | 'running' | 'done' | 'needs_review' | 'handled';

export interface JobsTable {
  id: SerialId;
  kind: string;
  merchant_id: string | null;
  payload: JSONColumnType<Record<string, unknown>>;
  dedupe_key: string | null;
  state: JobState;
  /** The retry budget spent: back to 0 whenever the job is queued again. */
  attempts: Generated<number>;
  max_attempts: number;
  /** One more at every claim, never set back: what a claim's writes are fenced on (migration 20261207T0236). */
  claim_no: Generated<number>;
  /** Run again once the running claim finishes: what it acts on changed meanwhile (migration 20261207T0839). */
  run_again: Generated<boolean>;
  run_at: Timestamp;
  locked_until: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Who took a job out of review as handled by hand, when, and why (migration 20261208T0049). */
export interface ReviewHandledTable {
  job_id: ColumnType<number | string, number, never>;
  merchant_id: string;
  /** The payment the item belongs to, when it has one: its page's timeline shows the note. */
  payment_id: string | null;
  kind: string;
  /** Why the job had stopped, as it was when it was handled. */
  reason: string | null;
  note: string;
  user_id: string | null;
  user_email: string;
  handled_at: Timestamp;
}

export interface RateLimitsTable {
  key: string;
  window_start: Timestamp;
  hits: number;
}

/** A merchant's reconciliation report being prepared, and until when its holder's lease runs (migration 20261206T2049). */
export interface ReportRunsTable {
  merchant_id: string;
  holder: string;
  started_at: Timestamp;
  expires_at: Timestamp;
}
