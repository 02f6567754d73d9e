import type { Kysely } from 'kysely';

/**
 * When the last complete pass over a merchant's open invoices began (jobs/sync/open-invoices.ts): a
 * complete pass forgets only the numbers not seen since then, so a number one pass missed (the rows
 * moved under it while it read) is kept until a second pass misses it too. The row now outlives its
 * pass: one with no rows read (last_read empty) starts the next.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('open_invoice_passes').addColumn('previous_started_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('open_invoice_passes').dropColumn('previous_started_at').execute();
}
