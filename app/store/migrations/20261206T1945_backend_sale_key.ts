import { sql, type Kysely } from 'kysely';

/**
 * Which Xendit key's account holds a sale made outside the gateway (backend flow): its mode and the
 * key's last 4 characters, as checkouts keep theirs (migration 20261206T1600). The paid-invoice
 * listing reads with every stored key, so a sale may be found in the account of the key not in use;
 * its fee, refunds and fee given back are read there (checkoutKey), and its mode says test or live
 * money. Sales from before this column: null, read with the key in use, as before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('backend_sales')
    .addColumn('xendit_mode', 'text', (c) => c.check(sql`xendit_mode in ('test', 'live')`))
    .addColumn('xendit_key_hint', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('backend_sales').dropColumn('xendit_mode').dropColumn('xendit_key_hint').execute();
}
