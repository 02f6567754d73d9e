import { sql, type Kysely } from 'kysely';

/**
 * Which Xendit key made a checkout: its mode (test/live) and the key's last 4 characters (as the
 * admin and the audit log name keys). A merchant may switch modes or replace a key while checkouts
 * are open; the receipt then judges test or live money by the checkout, record-payment reads the
 * invoice with the key of that mode, and a payment in an account whose key is gone names that key.
 * Checkouts made before this column take the merchant's mode of now (the best known); their key is
 * unknown (null).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('checkouts')
    .addColumn('xendit_mode', 'text', (c) => c.check(sql`xendit_mode in ('test', 'live')`))
    .addColumn('xendit_key_hint', 'text')
    .execute();
  await sql`update checkouts c set xendit_mode = m.mode from merchants m where m.id = c.merchant_id`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').dropColumn('xendit_mode').dropColumn('xendit_key_hint').execute();
}
