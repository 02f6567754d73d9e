/**
 * The reconciliation report each merchant has being prepared, across every web process (migration
 * 20261206T2049): one row per merchant while a run holds it. The holder renews its lease while the
 * run goes on and deletes the row when it ends; a process that died leaves the row behind, and the
 * next run takes it over once the lease is past.
 */
import type { Db } from './db.js';

export function createReportRunStore(db: Db) {
  return {
    /**
     * The merchant's run for `holder` until `until`, unless another holder's lease is still running
     * at `now`. One statement: of two processes asking at once, exactly one gets it.
     */
    async take(merchantId: string, holder: string, now: Date, until: Date): Promise<boolean> {
      const row = await db
        .insertInto('report_runs')
        .values({ merchant_id: merchantId, holder, started_at: now, expires_at: until })
        .onConflict((oc) => oc.column('merchant_id').doUpdateSet({ holder, started_at: now, expires_at: until }).where('report_runs.expires_at', '<=', now))
        .returning('holder')
        .executeTakeFirst();
      return row !== undefined;
    },

    /** The lease runs on to `until`; false when `holder` no longer holds the run (its lease lapsed and another took it). */
    async renew(merchantId: string, holder: string, until: Date): Promise<boolean> {
      const r = await db
        .updateTable('report_runs')
        .set({ expires_at: until })
        .where('merchant_id', '=', merchantId)
        .where('holder', '=', holder)
        .executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },

    /** The run ended: the merchant's next report may start. Only the holder's own row goes. */
    async release(merchantId: string, holder: string): Promise<void> {
      await db.deleteFrom('report_runs').where('merchant_id', '=', merchantId).where('holder', '=', holder).execute();
    },
  };
}

export type ReportRunStore = ReturnType<typeof createReportRunStore>;
