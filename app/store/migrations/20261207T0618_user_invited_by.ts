import type { Kysely } from 'kysely';

/**
 * Who invited a user (admin/users/service.ts): a second click of the invite form by the same
 * inviter, minutes later, gets a fresh link for the user the first click made instead of "e-mail
 * taken", which lost the link shown only once. Null for users made before, by setup or the CLI.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('invited_by', 'uuid', (c) => c.references('users.id').onDelete('set null'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('invited_by').execute();
}
