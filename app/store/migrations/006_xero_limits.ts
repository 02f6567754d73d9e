import type { Kysely } from 'kysely';

/**
 * Xero's rate limits, counted here so every web and worker process shares them:
 * - xero_calls: one row per organisation ('org:…') and per app ('app:…') with this minute's and
 *   this UTC day's call counts and a 'blocked until' set from a 429's Retry-After.
 * - xero_slots: one row per call in flight; a crashed process's slot lapses at lease_until.
 * - merchants.xero_day_limit: a smaller daily budget for merchants on smaller Xero plans.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('xero_calls')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('minute_start', 'timestamptz', (c) => c.notNull())
    .addColumn('minute_used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('day_start', 'timestamptz', (c) => c.notNull())
    .addColumn('day_used', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('blocked_until', 'timestamptz')
    .execute();
  await db.schema
    .createTable('xero_slots')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('xero_slots_by_key').on('xero_slots').columns(['key', 'lease_until']).execute();
  await db.schema.alterTable('merchants').addColumn('xero_day_limit', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('xero_day_limit').execute();
  await db.schema.dropTable('xero_slots').execute();
  await db.schema.dropTable('xero_calls').execute();
}
