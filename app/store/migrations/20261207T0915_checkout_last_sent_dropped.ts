import type { Kysely } from 'kysely';

/**
 * checkouts.last_sent_at (migration 20261207T0550) goes: nothing writes or reads it since a part
 * payment's hold runs from the checkout's creation (pay/part-hold.ts). down() puts the column back
 * empty (null: only the creation counts, as that migration read it); what it held is not kept.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').dropColumn('last_sent_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').addColumn('last_sent_at', 'timestamptz').execute();
}
