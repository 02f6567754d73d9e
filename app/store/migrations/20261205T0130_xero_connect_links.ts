import type { Kysely } from 'kysely';

/**
 * Connect links: Xero's Custom Connections exist only for organisations in AU, NZ, UK and US, so a
 * merchant elsewhere is onboarded by a one-time link that its own Xero user opens to complete
 * Connect to Xero (OAuth). Only the token's hash is kept; one successful connection uses it up.
 *
 * xero_oauth_states.user_id becomes optional: an authorisation request started from a connect link
 * has no admin user, only the link (connect_link_hash) and the browser's session.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('xero_connect_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('merchant_id', 'uuid', (c) => c.notNull().references('merchants.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('xero_connect_links_by_merchant').on('xero_connect_links').column('merchant_id').execute();
  await db.schema
    .alterTable('xero_oauth_states')
    .alterColumn('user_id', (c) => c.dropNotNull())
    .execute();
  await db.schema.alterTable('xero_oauth_states').addColumn('connect_link_hash', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('xero_oauth_states').dropColumn('connect_link_hash').execute();
  await db.schema.dropTable('xero_connect_links').execute();
}
