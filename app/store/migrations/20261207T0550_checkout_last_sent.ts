import type { Kysely } from 'kysely';

/**
 * checkouts.last_sent_at: when a pay click last sent a payer to the checkout (a merchant that takes
 * part payments). A click for another amount does not end an open part payment sent to within
 * PAY_PART_HOLD_MINUTES (pay/part-hold.ts). Null: only its creation counts (created_at).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').addColumn('last_sent_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').dropColumn('last_sent_at').execute();
}
