import { sql, type Kysely } from 'kysely';

/**
 * open_disputes: disputes Xendit told the gateway of (a webhook) that were still open when read,
 * looked at again once a day by the refunds listing until Xendit says WON or LOST, so that a lost
 * chargeback whose LOST webhook never came is still booked. Xendit has no listing of disputes
 * (docs.xendit.co "Manage Disputes via API": disputes reach you through webhooks, not polling;
 * one dispute can be read by id), so a dispute none of whose webhooks arrived stays unseen.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('open_disputes')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('xendit_dispute_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('ACTION_REQUIRED', 'UNDER_REVIEW')`))
    .addColumn('next_look_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('open_disputes_pk', ['merchant_id', 'xendit_dispute_id'])
    .execute();
  await db.schema.createIndex('open_disputes_due').on('open_disputes').column('next_look_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('open_disputes').execute();
}
