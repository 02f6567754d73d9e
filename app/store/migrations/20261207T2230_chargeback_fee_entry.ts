import { sql, type Kysely } from 'kysely';

/**
 * A chargeback's fee (migration 20261207T2003), on its refunds row:
 * - fee_entry_kind: what its entry in Xero is, a Spend Money ('spend') out of a clearing bank
 *   account or a manual journal ('journal') crediting one that is no bank account (Xero takes Spend
 *   Money on BANK accounts only); null: not booked, or booked before this migration (a Spend Money
 *   then). The admin's link to it depends on it.
 * - chargeback_amount, fee_in_amount: the CHARGEBACK transaction's amount, and whether its
 *   net_amount says the fee came out of that amount (amount − fee − tax withheld) rather than on top
 *   (null: not read, or read before this migration). Xendit documents neither way for a chargeback:
 *   a fee inside an amount that is what the chargeback booked left the clearing account with it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('refunds')
    .addColumn('fee_entry_kind', 'text', (c) => c.check(sql`fee_entry_kind in ('spend', 'journal')`))
    .addColumn('chargeback_amount', 'int8')
    .addColumn('fee_in_amount', 'boolean')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('refunds').dropColumn('fee_entry_kind').dropColumn('chargeback_amount').dropColumn('fee_in_amount').execute();
}
