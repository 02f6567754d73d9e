import { sql, type Kysely } from 'kysely';

/**
 * A remembered miss names the link as it was asked (its currency, amount and "try again" checkout),
 * not only the number: a real invoice's number clicked again with hints that are not its own is
 * then answered from memory too, as fast as an invented number, so the time an answer takes no
 * longer tells which numbers exist; and the invoice's own link is never answered from what another
 * link left. The rows are a cache of minutes: dropped, not carried over.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`delete from pay_misses`.execute(db);
  await db.schema.alterTable('pay_misses').dropConstraint('pay_misses_pk').execute();
  await db.schema
    .alterTable('pay_misses')
    .addColumn('link', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('pay_misses').addPrimaryKeyConstraint('pay_misses_pk', ['merchant_id', 'invoice_number', 'link']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from pay_misses`.execute(db);
  await db.schema.alterTable('pay_misses').dropConstraint('pay_misses_pk').execute();
  await db.schema.alterTable('pay_misses').dropColumn('link').execute();
  await db.schema.alterTable('pay_misses').addPrimaryKeyConstraint('pay_misses_pk', ['merchant_id', 'invoice_number']).execute();
}
