import type { Kysely } from 'kysely';

/**
 * report_runs: the reconciliation report a merchant has being prepared, whichever web process
 * prepares it (app/store/report-runs.ts). A row per merchant while a run holds it; `expires_at` is
 * the lease its holder renews while it runs, so a process that died cannot hold it for longer.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('report_runs')
    .addColumn('merchant_id', 'uuid', (c) => c.primaryKey().references('merchants.id').onDelete('cascade'))
    .addColumn('holder', 'uuid', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('report_runs').execute();
}
