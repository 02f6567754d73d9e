import type { Kysely } from 'kysely';

/**
 * - withdrawals.fee_returned_at, other_movements.fee_returned_at: when Xendit gave back a fee it
 *   kept at the reversal (its fee status REVERSED or CANCELED on a later listing or read by id),
 *   the day that money reached the balance. The entry booking the fee back is dated by it, and the
 *   report counts Xendit's side of it then. Null: given back with the reversal (dated reversed_at),
 *   or noted before this column (entries booked stay as they are).
 */
export async function up(db: Kysely<any>): Promise<void> {
  for (const table of ['withdrawals', 'other_movements']) await db.schema.alterTable(table).addColumn('fee_returned_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['withdrawals', 'other_movements']) await db.schema.alterTable(table).dropColumn('fee_returned_at').execute();
}
