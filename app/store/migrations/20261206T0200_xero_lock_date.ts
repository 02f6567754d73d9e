import type { Kysely } from 'kysely';

/**
 * merchants.xero_lock_date: the later of the organisation's PeriodLockDate and EndOfYearLockDate
 * (YYYY-MM-DD) as last read from Xero. Xero refuses documents dated on or before it, so entries
 * that would fall there are dated the day after (jobs/sync/org-date.ts bookableDate).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('xero_lock_date', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('xero_lock_date').execute();
}
