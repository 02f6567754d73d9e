import { sql, type Kysely } from 'kysely';

/**
 * A withdrawal out of a clearing account that is not a bank account cannot be a Bank Transfer
 * (Xero transfers between BANK accounts only): it is a Receive Money into the settlement bank
 * account, coded to the clearing account, and a reversal a Spend Money back (jobs/sync/record-withdrawal.ts).
 * withdrawals.entry_kind: which of the two ('transfer' | 'receive') the last attempt sent, committed
 * with transfer_attempt_at, so a retry after an unknown outcome looks for that kind by Reference,
 * and a reversal goes back the way the money went. xero_bank_transfer_id and
 * xero_reversal_transfer_id then hold the BankTransactionIDs. Rows booked, or begun, before this
 * migration were transfers.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('withdrawals')
    .addColumn('entry_kind', 'text', (c) => c.check(sql`entry_kind in ('transfer', 'receive')`))
    .execute();
  await sql`update withdrawals set entry_kind = 'transfer' where xero_bank_transfer_id is not null or transfer_attempt_at is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('withdrawals').dropColumn('entry_kind').execute();
}
