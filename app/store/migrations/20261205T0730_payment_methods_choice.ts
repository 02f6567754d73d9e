import { sql, type Kysely } from 'kysely';

/** The Xendit payment channels a merchant offers (Create invoice `payment_methods`); null: every channel. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('merchants')
    .addColumn('payment_methods', sql`text[]`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('payment_methods').execute();
}
