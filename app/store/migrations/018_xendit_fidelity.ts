import { sql, type Kysely } from 'kysely';

/**
 * merchants.xendit_fee_billing: how Xendit bills this merchant's fees. 'deducted' (Xendit's
 * default): kept from each payment, so each payment's fee is posted from its transaction.
 * 'invoiced': Xendit bills fees separately (e.g. a monthly invoice the merchant books as a bill),
 * so no per-payment fee is posted.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('merchants')
    .addColumn('xendit_fee_billing', 'text', (c) =>
      c
        .notNull()
        .defaultTo('deducted')
        .check(sql`xendit_fee_billing in ('deducted', 'invoiced')`),
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('xendit_fee_billing').execute();
}
