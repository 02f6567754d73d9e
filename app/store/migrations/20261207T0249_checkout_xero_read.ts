import type { Kysely } from 'kysely';

/**
 * checkouts.xero_read_at: when a pay click last read the checkout's invoice from Xero and found this
 * checkout's amount due (the time asked, before Xero answered). A repeat click within
 * PAY_READ_REUSE_SECONDS of it is sent to the checkout without asking Xero again (pay-clicks.sql);
 * only a read sets it, so reused clicks never extend that window. Null: never read so, no reuse.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').addColumn('xero_read_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').dropColumn('xero_read_at').execute();
}
