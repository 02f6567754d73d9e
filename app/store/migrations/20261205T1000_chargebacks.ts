import { sql, type Kysely } from 'kysely';

/**
 * A lost dispute (chargeback) takes money back like a refund and goes into Xero the same way, so it
 * is a refunds row of kind 'chargeback' (its Xendit dispute id in xendit_refund_id).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('refunds')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('refund'))
    .execute();
  await db.schema
    .alterTable('refunds')
    .addCheckConstraint('refunds_kind', sql`kind in ('refund', 'chargeback')`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('refunds').dropConstraint('refunds_kind').execute();
  await db.schema.alterTable('refunds').dropColumn('kind').execute();
}
