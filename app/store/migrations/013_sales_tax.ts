import { sql, type Kysely } from 'kysely';

/**
 * merchants.sales_tax_type: the Xero TaxType code (e.g. OUTPUT) put on the lines of the sales the
 * backend flow records, with LineAmountTypes Inclusive so the invoice total stays what the
 * customer paid. null: no tax (LineAmountTypes NoTax, TaxType NONE), the behaviour before.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').addColumn('sales_tax_type', 'text').execute();
  await sql`alter table merchants add constraint merchants_sales_tax_type_check check (sales_tax_type is null or length(sales_tax_type) between 1 and 50)`.execute(
    db,
  );
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('merchants').dropColumn('sales_tax_type').execute();
}
