import { sql, type RawBuilder } from 'kysely';
import type { NewJobRow } from './jobs.js';

/** A NewJobRow's columns and their types: a row given to a SELECT is typed by casts, not by the column it lands in. */
const JOB_COLUMN_TYPES: Record<keyof NewJobRow, string> = {
  kind: 'text',
  merchant_id: 'uuid',
  payload: 'jsonb',
  dedupe_key: 'text',
  state: 'text',
  max_attempts: 'int',
  run_at: 'timestamptz',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
};

/**
 * An insert of `row` once per row `source` ("from … where …") yields, its dedupe key taken as by
 * insertJob: for a statement that queues a job only when its other parts (a CTE) say so.
 */
export function insertJobFrom(row: NewJobRow, source: RawBuilder<unknown>) {
  const cols = Object.keys(JOB_COLUMN_TYPES) as (keyof NewJobRow)[];
  return sql`insert into jobs (${sql.join(cols.map((c) => sql.ref(c)))})
    select ${sql.join(cols.map((c) => sql`${row[c]}::${sql.raw(JOB_COLUMN_TYPES[c])}`))} ${source}
    on conflict (dedupe_key) do nothing`;
}
