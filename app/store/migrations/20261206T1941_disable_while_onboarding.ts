import { sql, type Kysely } from 'kysely';

/**
 * A merchant still onboarding (no Xendit key, callback token or clearing account yet) may be
 * disabled: an operator stopping a signup expects `merchants disable` to work, not a constraint
 * error. Disabled, it takes no payments (as while onboarding), its connect link no longer works and
 * finishing its setup does not make it active; `merchants enable` puts it back to onboarding.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropConstraint('merchants_active_complete').execute();
  await db.schema
    .alterTable('merchants')
    .addCheckConstraint(
      'merchants_active_complete',
      sql`status in ('onboarding', 'disabled') or (xendit_secret_key_enc is not null and callback_token_enc is not null and clearing_account_id is not null)`,
    )
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update merchants set status = 'onboarding'
    where status = 'disabled' and (xendit_secret_key_enc is null or callback_token_enc is null or clearing_account_id is null)`.execute(db);
  await db.schema.alterTable('merchants').dropConstraint('merchants_active_complete').execute();
  await db.schema
    .alterTable('merchants')
    .addCheckConstraint(
      'merchants_active_complete',
      sql`status = 'onboarding' or (xendit_secret_key_enc is not null and callback_token_enc is not null and clearing_account_id is not null)`,
    )
    .execute();
}
