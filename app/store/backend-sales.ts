import { sql } from 'kysely';
import type { Db } from './db.js';
import type { MadeWithKey } from './merchant-model.js';

/** What the backend flow has created in Xero so far for one Xendit invoice. */
export interface BackendSale {
  merchantId: string;
  xenditInvoiceId: string;
  xeroContactId: string | null;
  xeroInvoiceId: string | null;
  lastError: string | null;
  /** The key whose account holds the invoice (checkoutKey reads it there); null: from before this was kept. */
  xenditMode: MadeWithKey['xenditMode'];
  xenditKeyHint: string | null;
}

export function createBackendSaleStore(db: Db) {
  const get = async (merchantId: string, xenditInvoiceId: string): Promise<BackendSale | null> => {
    const r = await db
      .selectFrom('backend_sales')
      .selectAll()
      .where('merchant_id', '=', merchantId)
      .where('xendit_invoice_id', '=', xenditInvoiceId)
      .executeTakeFirst();
    return r
      ? {
          merchantId: r.merchant_id,
          xenditInvoiceId: r.xendit_invoice_id,
          xeroContactId: r.xero_contact_id,
          xeroInvoiceId: r.xero_invoice_id,
          lastError: r.last_error,
          xenditMode: r.xendit_mode ?? null,
          xenditKeyHint: r.xendit_key_hint ?? null,
        }
      : null;
  };
  const update = (merchantId: string, xenditInvoiceId: string) =>
    db.updateTable('backend_sales').where('merchant_id', '=', merchantId).where('xendit_invoice_id', '=', xenditInvoiceId);

  return {
    get,

    /**
     * One row per Xendit invoice: the first writer wins and everyone gets that row back. `made`: the
     * key that read the invoice, and the invoice's external id, each kept once (a row from before
     * it was kept learns it).
     */
    async getOrCreate(merchantId: string, xenditInvoiceId: string, now: Date, made?: MadeWithKey & { externalId?: string }): Promise<BackendSale> {
      const key = { xendit_mode: made?.xenditMode ?? null, xendit_key_hint: made?.xenditKeyHint ?? null, external_id: made?.externalId ?? null };
      await db
        .insertInto('backend_sales')
        .values({ merchant_id: merchantId, xendit_invoice_id: xenditInvoiceId, created_at: now, updated_at: now, ...key })
        .onConflict((oc) =>
          oc.columns(['merchant_id', 'xendit_invoice_id']).doUpdateSet({
            xendit_mode: sql`coalesce(backend_sales.xendit_mode, excluded.xendit_mode)`,
            xendit_key_hint: sql`coalesce(backend_sales.xendit_key_hint, excluded.xendit_key_hint)`,
            external_id: sql`coalesce(backend_sales.external_id, excluded.external_id)`,
          }),
        )
        .execute();
      return (await get(merchantId, xenditInvoiceId))!;
    },

    /** customer: the payer as Xendit knew them, shown in the admin's payments list. */
    async setContact(
      sale: Pick<BackendSale, 'merchantId' | 'xenditInvoiceId'>,
      xeroContactId: string,
      now: Date,
      customer?: { name: string; email?: string },
    ): Promise<void> {
      await update(sale.merchantId, sale.xenditInvoiceId)
        .set({ xero_contact_id: xeroContactId, updated_at: now, ...(customer ? { customer_name: customer.name, customer_email: customer.email ?? null } : {}) })
        .execute();
    },

    async setInvoice(sale: Pick<BackendSale, 'merchantId' | 'xenditInvoiceId'>, xeroInvoiceId: string, now: Date, invoiceNumber?: string): Promise<void> {
      await update(sale.merchantId, sale.xenditInvoiceId)
        .set({ xero_invoice_id: xeroInvoiceId, ...(invoiceNumber ? { xero_invoice_number: invoiceNumber } : {}), last_error: null, updated_at: now })
        .execute();
    },

    async noteError(sale: Pick<BackendSale, 'merchantId' | 'xenditInvoiceId'>, error: string, now: Date): Promise<void> {
      await update(sale.merchantId, sale.xenditInvoiceId).set({ last_error: error, updated_at: now }).execute();
    },
  };
}

export type BackendSaleStore = ReturnType<typeof createBackendSaleStore>;
