import { sql, type Kysely } from 'kysely';

/**
 * Paying part of an invoice (deposits), per merchant, off by default: partial_min_percent null is
 * off; otherwise customers choose an amount of at least this percent of what is due.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('merchants')
    .addColumn('partial_min_percent', 'integer', (c) => c.check(sql`partial_min_percent between 1 and 100`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('partial_min_percent').execute();
}
