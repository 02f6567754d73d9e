import { sql, type Kysely } from 'kysely';

/**
 * Self-serve onboarding: a merchant exists from the moment its Xero connection is verified, before
 * its Xendit key and clearing account are known. Such a merchant is 'onboarding' (no /pay links
 * work) until the three are set; then it becomes 'active'.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropConstraint('merchants_status_check').execute();
  await db.schema
    .alterTable('merchants')
    .addCheckConstraint('merchants_status_check', sql`status in ('onboarding', 'active', 'disconnected', 'disabled')`)
    .execute();
  for (const column of ['xendit_secret_key_enc', 'callback_token_enc', 'clearing_account_id']) {
    await db.schema
      .alterTable('merchants')
      .alterColumn(column, (c) => c.dropNotNull())
      .execute();
  }
  await db.schema
    .alterTable('merchants')
    .addCheckConstraint(
      'merchants_active_complete',
      sql`status = 'onboarding' or (xendit_secret_key_enc is not null and callback_token_enc is not null and clearing_account_id is not null)`,
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropConstraint('merchants_active_complete').execute();
  for (const column of ['xendit_secret_key_enc', 'callback_token_enc', 'clearing_account_id']) {
    await db.schema
      .alterTable('merchants')
      .alterColumn(column, (c) => c.setNotNull())
      .execute();
  }
  await db.schema.alterTable('merchants').dropConstraint('merchants_status_check').execute();
  await db.schema
    .alterTable('merchants')
    .addCheckConstraint('merchants_status_check', sql`status in ('active', 'disconnected', 'disabled')`)
    .execute();
}
