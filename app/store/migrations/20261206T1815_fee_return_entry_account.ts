import type { Kysely } from 'kysely';

/**
 * fee_returns.entry_account: the account a fee given back was sent to (Receive Money into that bank
 * account, or a manual journal on it), committed with entry_kind and attempt_at before it is sent
 * (jobs/sync/fee-return.ts), as payments.fee_entry_account is for the fee. The fee goes back where
 * it was posted, not to today's clearing account; a retry after an unknown outcome looks there.
 * Attempts made before this have none: they went to the clearing account of their day, today's
 * is the best guess.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('fee_returns').addColumn('entry_account', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('fee_returns').dropColumn('entry_account').execute();
}
