import type { Kysely } from 'kysely';

/**
 * Created callback_accept (plpgsql) in databases made before functions became files. The function now
 * lives in app/store/ (callbacks, .sql) and migrate() installs it after the migrations, replacing
 * what this once created; so this migration no longer creates anything. Its name stays: it is
 * recorded in existing databases.
 */
export async function up(_db: Kysely<any>): Promise<void> {}

export async function down(_db: Kysely<any>): Promise<void> {}
