import { sql, type Kysely } from 'kysely';

/**
 * Test money never reaches real books: a payment made with a Xendit test key is recorded only into
 * a Xero organisation marked as a test company; otherwise its row says 'test_mode' (kept, never
 * sent to Xero).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('merchants')
    .addColumn('xero_test_organisation', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await sql`alter table payments drop constraint if exists payments_sync_state_check`.execute(db);
  await sql`alter table payments add constraint payments_sync_state_check check (sync_state in ('pending', 'recorded', 'needs_review', 'test_mode'))`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table payments drop constraint if exists payments_sync_state_check`.execute(db);
  await sql`alter table payments add constraint payments_sync_state_check check (sync_state in ('pending', 'recorded', 'needs_review'))`.execute(db);
  await db.schema.alterTable('merchants').dropColumn('xero_test_organisation').execute();
}
