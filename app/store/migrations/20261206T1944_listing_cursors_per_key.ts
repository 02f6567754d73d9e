import { sql, type Kysely } from 'kysely';

/**
 * The scheduled listings (jobs/sync/list-paid.ts, list-refunds.ts, list-withdrawals.ts) read Xendit
 * with every stored key, test and live, not only the one in use: a merchant switching modes still
 * has money moving in the other mode's account. Each key's account has its own ids and its own
 * pace, so each listing keeps a cursor per key mode:
 * - paid_listing_cursors: the paid-invoice listing's window (was merchants.listing_paid_after,
 *   listing_window_end, listing_last_invoice_id);
 * - refund_list_cursors: the refund listing's after_id (was merchants.refund_list_after_id);
 * - withdrawal_list_cursors gets a mode column.
 * What was kept belongs to the mode in use when this runs (the only key the listings read until now).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const mode = (c: any) => c.notNull().check(sql`mode in ('test', 'live')`);
  await db.schema
    .createTable('paid_listing_cursors')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('mode', 'text', mode)
    .addColumn('paid_after', 'timestamptz', (c) => c.notNull())
    .addColumn('window_end', 'timestamptz')
    .addColumn('last_invoice_id', 'text')
    .addPrimaryKeyConstraint('paid_listing_cursors_pkey', ['merchant_id', 'mode'])
    .execute();
  await sql`insert into paid_listing_cursors (merchant_id, mode, paid_after, window_end, last_invoice_id)
    select id, mode, listing_paid_after, listing_window_end, listing_last_invoice_id from merchants where listing_paid_after is not null`.execute(db);
  await db.schema.alterTable('merchants').dropColumn('listing_paid_after').dropColumn('listing_window_end').dropColumn('listing_last_invoice_id').execute();

  await db.schema
    .createTable('refund_list_cursors')
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('mode', 'text', mode)
    .addColumn('after_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('refund_list_cursors_pkey', ['merchant_id', 'mode'])
    .execute();
  await sql`insert into refund_list_cursors (merchant_id, mode, after_id)
    select id, mode, refund_list_after_id from merchants where refund_list_after_id is not null`.execute(db);
  await db.schema.alterTable('merchants').dropColumn('refund_list_after_id').execute();

  await db.schema.alterTable('withdrawal_list_cursors').addColumn('mode', 'text').execute();
  await sql`update withdrawal_list_cursors w set mode = m.mode from merchants m where m.id = w.merchant_id`.execute(db);
  await sql`alter table withdrawal_list_cursors alter column mode set not null, add check (mode in ('test', 'live'))`.execute(db);
  await db.schema.alterTable('withdrawal_list_cursors').dropConstraint('withdrawal_list_cursors_pkey').execute();
  await db.schema
    .alterTable('withdrawal_list_cursors')
    .addPrimaryKeyConstraint('withdrawal_list_cursors_pkey', ['merchant_id', 'mode', 'currency', 'listing'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from withdrawal_list_cursors w using merchants m where m.id = w.merchant_id and w.mode <> m.mode`.execute(db);
  await db.schema.alterTable('withdrawal_list_cursors').dropConstraint('withdrawal_list_cursors_pkey').execute();
  await db.schema.alterTable('withdrawal_list_cursors').dropColumn('mode').execute();
  await db.schema
    .alterTable('withdrawal_list_cursors')
    .addPrimaryKeyConstraint('withdrawal_list_cursors_pkey', ['merchant_id', 'currency', 'listing'])
    .execute();

  await db.schema.alterTable('merchants').addColumn('refund_list_after_id', 'text').execute();
  await sql`update merchants m set refund_list_after_id = r.after_id from refund_list_cursors r where r.merchant_id = m.id and r.mode = m.mode`.execute(db);
  await db.schema.dropTable('refund_list_cursors').execute();

  await db.schema
    .alterTable('merchants')
    .addColumn('listing_paid_after', 'timestamptz')
    .addColumn('listing_window_end', 'timestamptz')
    .addColumn('listing_last_invoice_id', 'text')
    .execute();
  await sql`update merchants m set listing_paid_after = p.paid_after, listing_window_end = p.window_end, listing_last_invoice_id = p.last_invoice_id
    from paid_listing_cursors p where p.merchant_id = m.id and p.mode = m.mode`.execute(db);
  await db.schema.dropTable('paid_listing_cursors').execute();
}
