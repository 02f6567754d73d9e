import { sql } from 'kysely';
import type { Db } from './db.js';
import type { BudgetRow, MetricsSource, QueueRow } from '../metrics/index.js';

/** What /metrics reads at scrape time: a few grouped reads, never a row per payment or job. */
export function createMetricsStore(db: Db): MetricsSource {
  return {
    async queue(now: Date): Promise<QueueRow[]> {
      // Done jobs are history, not queue; so are jobs a person handled by hand (admin/review). A queued job is as old as it is overdue (a retry scheduled
      // for later is not late yet); a running or needs-review job as old as its last change.
      const { rows } = await sql<{
        kind: string;
        state: string;
        depth: string;
        oldest: number | null;
      }>`
        select kind, state, count(*) as depth,
          greatest(0, extract(epoch from (${now}::timestamptz - min(case when state = 'queued' then least(run_at, ${now}::timestamptz) else updated_at end))))::float8 as oldest
        from jobs where state not in ('done', 'handled') group by kind, state`.execute(db);
      return rows.map((r) => ({
        kind: r.kind,
        state: r.state,
        depth: Number(r.depth),
        oldestSeconds: Number(r.oldest ?? 0),
      }));
    },

    async needsReview(): Promise<number> {
      const row = await db
        .selectFrom('payments')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where((eb) => eb.or([eb('sync_state', '=', 'needs_review'), eb('fee_state', '=', 'needs_review')]))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async xeroBudget(): Promise<BudgetRow[]> {
      // Organisation rows only ('org:<clientId>:<tenantId>', app/store/xero-budget.ts): one per
      // connected organisation, so the label count stays that of the merchants.
      const rows = await db
        .selectFrom('xero_calls')
        .select(['key', 'minute_start', 'minute_used', 'day_start', 'day_used', 'day_learned'])
        .where('key', 'like', 'org:%')
        .execute();
      return rows.map((r) => {
        const [, clientId = '', tenantId = ''] = r.key.split(':');
        // A custom connection (client credentials) has no tenant id: its app's client id names it.
        return {
          organisation: tenantId || clientId,
          minuteStart: new Date(r.minute_start),
          minuteUsed: r.minute_used,
          dayStart: new Date(r.day_start),
          dayUsed: r.day_used,
          dayLearned: r.day_learned,
        };
      });
    },
  };
}
