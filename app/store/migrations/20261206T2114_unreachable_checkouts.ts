import { type Kysely } from 'kysely';

/**
 * checkouts.unreachable_since: when reconcile first found that no stored Xendit key reaches a
 * checkout (jobs/sync/checkout-key.ts), cleared by any other outcome of an ask. A superseded one so
 * marked stays superseded for good unless a key that reaches it is stored again, so reconcile asks
 * about it with back-off (store/checkouts.ts toReconcile) instead of in every rotation. Rows left
 * unmarked by older releases are marked on their next ask.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').addColumn('unreachable_since', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('checkouts').dropColumn('unreachable_since').execute();
}
