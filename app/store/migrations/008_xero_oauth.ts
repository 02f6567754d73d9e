import { sql, type Kysely } from 'kysely';

/**
 * Xero OAuth 2.0 (issue 4 "Connect to Xero", issue 5 "Tokens"):
 * - merchants.xero_connection may be 'oauth'; xero_disconnected_at is set when Xero refused our
 *   refresh token (invalid_grant) or the merchant disconnected: their jobs wait until they reconnect.
 * - xero_tokens: one encrypted token set per OAuth merchant. Refreshing takes this row's lock
 *   (SELECT … FOR UPDATE), so one process at a time refreshes an organisation's token.
 * - xero_oauth_states: the `state` of each authorisation request (stored as its hash), bound to the
 *   admin session, single use, short-lived; it carries the PKCE verifier and, while the user picks
 *   one of several organisations, the encrypted token set waiting for that choice.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table merchants drop constraint if exists merchants_xero_connection_check`.execute(db);
  await db.schema
    .alterTable('merchants')
    .addCheckConstraint('merchants_xero_connection_check', sql`xero_connection in ('custom', 'oauth')`)
    .execute();
  await db.schema.alterTable('merchants').addColumn('xero_disconnected_at', 'timestamptz').execute();
  await db.schema.alterTable('merchants').addColumn('xero_disconnect_reason', 'text').execute();

  await db.schema
    .createTable('xero_tokens')
    .addColumn('merchant_id', 'uuid', (c) => c.primaryKey().references('merchants.id').onDelete('cascade'))
    .addColumn('token_set_enc', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('xero_oauth_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('session_hash', 'text', (c) => c.notNull())
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('merchant_id', 'uuid', (c) => c.references('merchants.id').onDelete('cascade'))
    .addColumn('code_verifier_enc', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('pick_token_hash', 'text', (c) => c.unique())
    .addColumn('pending_token_set_enc', 'text')
    .addColumn('pending_tenants', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('xero_oauth_states_by_expiry').on('xero_oauth_states').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('xero_oauth_states').execute();
  await db.schema.dropTable('xero_tokens').execute();
  await db.schema.alterTable('merchants').dropColumn('xero_disconnect_reason').execute();
  await db.schema.alterTable('merchants').dropColumn('xero_disconnected_at').execute();
  await sql`alter table merchants drop constraint if exists merchants_xero_connection_check`.execute(db);
  await db.schema
    .alterTable('merchants')
    .addCheckConstraint('merchants_xero_connection_check', sql`xero_connection in ('custom')`)
    .execute();
}
