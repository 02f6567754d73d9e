import type { Kysely } from 'kysely';

/**
 * An open invoice's currency, amount due and total as last read from Xero: at /pay a click counts
 * as "known" only when its link carries them (the link Xero made for the invoice), never for the
 * number alone, so which bucket a click is counted in (and so a 429) tells a stranger nothing about
 * which numbers exist. Rows from before stay without them until the next read (numbers only, never
 * known).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('open_invoice_numbers').addColumn('currency', 'text').addColumn('amount_due', 'numeric').addColumn('total', 'numeric').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('open_invoice_numbers').dropColumn('currency').dropColumn('amount_due').dropColumn('total').execute();
}
