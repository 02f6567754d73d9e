import { sql, type Kysely } from 'kysely';

/**
 * sql_functions: which text of each plpgsql function (app/store/*.sql) is installed, by sha256.
 * migrate() (app/store/db.ts) installs a function after the migrations whenever its file's hash
 * differs; with no row yet, every function is dropped and created from its file, so the bodies
 * the migrations 012, 014 and 015 created never stay in use.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
create table sql_functions (
  name text primary key,
  sha256 text not null,
  installed_at timestamptz not null default now()
)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table if exists sql_functions`.execute(db);
}
