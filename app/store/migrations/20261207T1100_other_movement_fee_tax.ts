import type { Kysely } from 'kysely';

/**
 * fee_tax: the VAT part of an other balance movement's `fee` (its transaction's fee.value_added_tax,
 * minor units), booked on a line of its own as a withdrawal fee's is (20261207T0902).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('other_movements')
    .addColumn('fee_tax', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('other_movements').dropColumn('fee_tax').execute();
}
