/** The merchant's open invoice numbers as last read from Xero (see migration 20261205T0720). */
import type { Db } from './db.js';

export function createOpenInvoiceStore(db: Db) {
  return {
    /** Numbers seen in this run (`runAt`); a complete run also forgets those it did not see (paid, voided). */
    async saw(merchantId: string, numbers: string[], runAt: Date): Promise<void> {
      const unique = [...new Set(numbers.map((n) => n.trim()).filter(Boolean))];
      if (unique.length === 0) return;
      await db
        .insertInto('open_invoice_numbers')
        .values(unique.map((invoice_number) => ({ merchant_id: merchantId, invoice_number, seen_at: runAt })))
        .onConflict((oc) => oc.columns(['merchant_id', 'invoice_number']).doUpdateSet({ seen_at: runAt }))
        .execute();
    },

    async forgetUnseen(merchantId: string, runAt: Date): Promise<number> {
      const r = await db.deleteFrom('open_invoice_numbers').where('merchant_id', '=', merchantId).where('seen_at', '<', runAt).executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async numbers(merchantId: string): Promise<string[]> {
      const rows = await db
        .selectFrom('open_invoice_numbers')
        .select('invoice_number')
        .where('merchant_id', '=', merchantId)
        .orderBy('invoice_number')
        .execute();
      return rows.map((r) => r.invoice_number);
    },
  };
}
