import type { Kysely } from 'kysely';

/**
 * The clearing account each of the gateway's entries went to or left, committed with the attempt
 * mark before it is sent: payments.clearing_account (the payment, and its overpayment, into it),
 * refunds.clearing_account (the cash refund, and the overpayment's part, out of it),
 * withdrawals.clearing_account (the bank transfer, or the Receive Money coded to it, out of it).
 * With payments.fee_entry_account and fee_returns.entry_account, they tell the reconciliation report
 * which clearing accounts the gateway posted to in a range, so a merchant who changed clearing
 * account still has the old one read (report/accounts.ts). Rows from before this have none.
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['payments', 'refunds', 'withdrawals']) {
    await db.schema.alterTable(table).addColumn('clearing_account', 'text').execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['payments', 'refunds', 'withdrawals']) {
    await db.schema.alterTable(table).dropColumn('clearing_account').execute();
  }
}
