/**
 * Disputes as the gateway last read them at Xendit (migration 20261207T2232_known_disputes): which
 * payment each took back, so that a CHARGEBACK transaction whose product_id is that payment's id
 * (undocumented which id Xendit puts there) is tied to its dispute (jobs/sync/chargeback-dispute.ts).
 */
import type { Db } from './db.js';
import { int8 } from './int8.js';

export interface KnownDispute {
  xenditDisputeId: string;
  xenditPaymentId: string | null;
  currency: string;
  /** What it took, or would take, back (minor units): amount.terminal, else amount.initial. */
  amount: number;
  status: string;
}

export function createKnownDisputeStore(db: Db) {
  const select = (merchantId: string) =>
    db.selectFrom('known_disputes').select(['xendit_dispute_id', 'xendit_payment_id', 'currency', 'amount', 'status']).where('merchant_id', '=', merchantId);
  const toKnown = (r: {
    xendit_dispute_id: string;
    xendit_payment_id: string | null;
    currency: string;
    amount: number | string;
    status: string;
  }): KnownDispute => ({
    xenditDisputeId: r.xendit_dispute_id,
    xenditPaymentId: r.xendit_payment_id,
    currency: r.currency,
    amount: int8(r.amount),
    status: r.status,
  });
  return {
    /** Read at Xendit just now: kept, or brought up to date. */
    async seen(merchantId: string, d: Omit<KnownDispute, 'xenditPaymentId'> & { xenditPaymentId?: string | null }, now: Date): Promise<void> {
      const set = { xendit_payment_id: d.xenditPaymentId ?? null, currency: d.currency, amount: d.amount, status: d.status, updated_at: now };
      await db
        .insertInto('known_disputes')
        .values({ merchant_id: merchantId, xendit_dispute_id: d.xenditDisputeId, ...set, created_at: now })
        .onConflict((oc) => oc.columns(['merchant_id', 'xendit_dispute_id']).doUpdateSet(set))
        .execute();
    },

    async byId(merchantId: string, xenditDisputeId: string): Promise<KnownDispute | null> {
      const r = await select(merchantId).where('xendit_dispute_id', '=', xenditDisputeId).executeTakeFirst();
      return r ? toKnown(r) : null;
    },

    /** The disputes of one payment (its Xendit payment_id), at most a few dozen. */
    async ofPayment(merchantId: string, xenditPaymentId: string): Promise<KnownDispute[]> {
      const rows = await select(merchantId).where('xendit_payment_id', '=', xenditPaymentId).orderBy('xendit_dispute_id').limit(50).execute();
      return rows.map(toKnown);
    },
  };
}

export type KnownDisputeStore = ReturnType<typeof createKnownDisputeStore>;
