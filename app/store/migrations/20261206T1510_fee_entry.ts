import { sql, type Kysely } from 'kysely';

/**
 * payments.fee_entry_kind ('spend' | 'journal') and fee_entry_account: how the last attempt sent
 * the fee (a Spend Money out of that clearing bank account, or a manual journal against that
 * clearing account), committed with fee_attempt_at (jobs/sync/post-fee.ts). A retry after an
 * unknown outcome looks where that attempt sent it, whatever the fee posting or the clearing
 * account is by then: looking where today's settings point made a second entry. Fees sent before
 * this have neither: a retry looks both ways on today's clearing account.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('payments')
    .addColumn('fee_entry_kind', 'text', (c) => c.check(sql`fee_entry_kind in ('spend', 'journal')`))
    .addColumn('fee_entry_account', 'text')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('payments').dropColumn('fee_entry_kind').dropColumn('fee_entry_account').execute();
}
