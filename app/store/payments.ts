import type { Selectable } from 'kysely';
import type { Db } from './db.js';
import type { PaymentsTable, SyncState } from './schema.js';
import { int8 } from './int8.js';
import type { Currency } from '../money.js';

export interface Payment {
  id: string;
  merchantId: string;
  checkoutId: string | null;
  xenditInvoiceId: string;
  xeroInvoiceId: string;
  currency: Currency;
  amount: number; // minor units
  fee: number | null; // minor units
  paidAt: Date;
  reference: string;
  xeroPaymentId: string | null;
  syncState: SyncState;
  lastError: string | null;
}

export type NewPayment = Omit<Payment, 'xeroPaymentId' | 'syncState' | 'lastError'>;

const toPayment = (r: Selectable<PaymentsTable>): Payment => ({
  id: r.id,
  merchantId: r.merchant_id,
  checkoutId: r.checkout_id,
  xenditInvoiceId: r.xendit_invoice_id,
  xeroInvoiceId: r.xero_invoice_id,
  currency: r.currency as Currency,
  amount: int8(r.amount),
  fee: r.fee === null ? null : int8(r.fee),
  paidAt: r.paid_at,
  reference: r.reference,
  xeroPaymentId: r.xero_payment_id,
  syncState: r.sync_state,
  lastError: r.last_error,
});

export function createPaymentStore(db: Db) {
  return {
    /** One row per Xendit invoice: the first writer wins and everyone gets that row back. */
    async getOrCreate(p: NewPayment, now: Date): Promise<Payment> {
      await db
        .insertInto('payments')
        .values({
          id: p.id,
          merchant_id: p.merchantId,
          checkout_id: p.checkoutId,
          xendit_invoice_id: p.xenditInvoiceId,
          xero_invoice_id: p.xeroInvoiceId,
          currency: p.currency,
          amount: p.amount,
          fee: p.fee,
          paid_at: p.paidAt,
          reference: p.reference,
          sync_state: 'pending',
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.constraint('payments_once').doNothing())
        .execute();
      const row = await db
        .selectFrom('payments')
        .selectAll()
        .where('merchant_id', '=', p.merchantId)
        .where('xendit_invoice_id', '=', p.xenditInvoiceId)
        .executeTakeFirstOrThrow();
      return toPayment(row);
    },

    async markRecorded(id: string, xeroPaymentId: string, now: Date): Promise<void> {
      await db
        .updateTable('payments')
        .set({ xero_payment_id: xeroPaymentId, sync_state: 'recorded', last_error: null, updated_at: now })
        .where('id', '=', id)
        .execute();
    },

    async markNeedsReview(id: string, reason: string, now: Date): Promise<void> {
      await db.updateTable('payments').set({ sync_state: 'needs_review', last_error: reason, updated_at: now }).where('id', '=', id).execute();
    },

    async noteError(id: string, error: string, now: Date): Promise<void> {
      await db.updateTable('payments').set({ last_error: error, updated_at: now }).where('id', '=', id).execute();
    },

    async byXenditInvoice(merchantId: string, xenditInvoiceId: string): Promise<Payment | null> {
      const r = await db
        .selectFrom('payments')
        .selectAll()
        .where('merchant_id', '=', merchantId)
        .where('xendit_invoice_id', '=', xenditInvoiceId)
        .executeTakeFirst();
      return r ? toPayment(r) : null;
    },

    async list(merchantId?: string): Promise<Payment[]> {
      let q = db.selectFrom('payments').selectAll().orderBy('created_at', 'desc');
      if (merchantId) q = q.where('merchant_id', '=', merchantId);
      return (await q.execute()).map(toPayment);
    },
  };
}

export type PaymentStore = ReturnType<typeof createPaymentStore>;
