import { sql, type Kysely } from 'kysely';

/** When reconciliation last asked Xendit about a checkout, so a bounded batch rotates through all of them. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').addColumn('reconciled_at', 'timestamptz').execute();
  await sql`create index checkouts_to_reconcile on checkouts (coalesce(reconciled_at, created_at))
            where status in ('open', 'superseded')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index checkouts_to_reconcile`.execute(db);
  await db.schema.alterTable('checkouts').dropColumn('reconciled_at').execute();
}
