import { sql, type Kysely } from 'kysely';

/**
 * Users that a payments security team would sign off:
 * - users.merchant_role: owner (keys, accounts, Xero connection, settings, users) or staff (reads
 *   payments and reports only); existing merchant users were all allowed everything: owners.
 * - users.disabled_at: a disabled user cannot sign in and their sessions are deleted at once.
 * - user_links: one-time invite and password-reset links (only their hash), expiring; an invited
 *   user has no password (password_hash '') until they set one.
 * - sessions.reauth_at: when the session's user last typed their password (sign-in, or again for a
 *   change of where money goes: the step-up).
 * - audit_log: who changed what for a merchant (no secret values).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('merchant_role', 'text', (c) =>
      c
        .notNull()
        .defaultTo('owner')
        .check(sql`merchant_role in ('owner', 'staff')`),
    )
    .addColumn('disabled_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('user_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('invite', 'reset')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('user_links_by_user').on('user_links').column('user_id').execute();
  await db.schema.alterTable('sessions').addColumn('reauth_at', 'timestamptz').execute();
  await sql`update sessions set reauth_at = created_at where user_id is not null`.execute(db);
  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.references('merchants.id').onDelete('cascade'))
    .addColumn('user_id', 'uuid')
    .addColumn('user_email', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_by_merchant').on('audit_log').columns(['merchant_id', 'at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await db.schema.alterTable('sessions').dropColumn('reauth_at').execute();
  await db.schema.dropTable('user_links').execute();
  await db.schema.alterTable('users').dropColumn('disabled_at').dropColumn('merchant_role').execute();
}
