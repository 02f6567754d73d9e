import type { Kysely } from 'kysely';

/**
 * merchants.xero_lock_read_at: when the organisation (its time zone and lock dates) was last read.
 * Read again a day later, so a lock date the accountant moved either way is followed
 * (jobs/sync/org-date.ts organisationZone).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('xero_lock_read_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('xero_lock_read_at').execute();
}
