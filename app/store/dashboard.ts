import { sql } from 'kysely';
import type { Db } from './db.js';
import type { SyncState } from './schema.js';
import { int8 } from './int8.js';
import { requeueJobs } from './jobs.js';
import type { Currency } from '../money.js';

export interface PaymentRow {
  id: string;
  merchantId: string;
  merchantName: string;
  invoiceNumber: string | null;
  /** The Xero invoice's contact (pay link) or the payer Xendit knew (backend flow); null when unknown. */
  customerName: string | null;
  customerEmail: string | null;
  xeroInvoiceId: string;
  xenditInvoiceId: string;
  currency: Currency;
  amount: number;
  fee: number | null;
  paidAt: Date;
  syncState: SyncState;
  lastError: string | null;
  xeroPaymentId: string | null;
  reference: string;
  /** How the customer paid (Xendit's payment_method and payment_channel); null on older rows. */
  paymentMethod: string | null;
  paymentChannel: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface PaymentFilter {
  /** Omitted only for operators, who see every merchant. */
  merchantId?: string;
  state?: SyncState;
  /** paid_at >= paidFrom and < paidBefore. */
  paidFrom?: Date;
  paidBefore?: Date;
  /**
   * Words the user typed: part of the invoice number, customer name or e-mail; a whole Xendit or
   * Xero invoice id; or an amount, given here as minor units per currency (a number means
   * different minor units in IDR and PHP).
   */
  search?: { text: string; amounts: { currency: Currency; amount: number }[] };
  limit: number;
  offset: number;
}

/** Per currency, for the filtered payments: count, gross, Xendit fees and net, in minor units. */
export interface PaymentTotals {
  currency: Currency;
  count: number;
  gross: number;
  fees: number;
  net: number;
}

export interface TimelineCheckout {
  invoiceNumber: string;
  currency: Currency;
  amount: number;
  status: string;
  xenditInvoiceId: string | null;
  createdAt: Date;
}

export interface TimelineJob {
  state: string;
  attempts: number;
  runAt: Date;
  lastError: string | null;
  updatedAt: Date;
}

/** Read models for the admin dashboard (payments joined with their checkout and merchant). */
export function createDashboardStore(db: Db) {
  const base = () =>
    db
      .selectFrom('payments as p')
      .innerJoin('merchants as m', 'm.id', 'p.merchant_id')
      .leftJoin('checkouts as c', 'c.id', 'p.checkout_id')
      .leftJoin('backend_sales as bs', (j) => j.onRef('bs.merchant_id', '=', 'p.merchant_id').onRef('bs.xendit_invoice_id', '=', 'p.xendit_invoice_id'))
      .select((eb) => [
        eb.fn.coalesce('c.customer_name', 'bs.customer_name').as('customer_name'),
        eb.fn.coalesce('c.customer_email', 'bs.customer_email').as('customer_email'),
        // A sale made outside Xero has the number Xero gave the invoice the gateway created.
        eb.fn.coalesce('c.invoice_number', 'bs.xero_invoice_number').as('invoice_number'),
      ])
      .select([
        'p.id',
        'p.merchant_id',
        'm.name as merchant_name',
        'p.xero_invoice_id',
        'p.xendit_invoice_id',
        'p.currency',
        'p.amount',
        'p.fee',
        'p.paid_at',
        'p.sync_state',
        'p.last_error',
        'p.xero_payment_id',
        'p.reference',
        'p.payment_method',
        'p.payment_channel',
        'p.created_at',
        'p.updated_at',
      ]);
  type Raw = Awaited<ReturnType<ReturnType<typeof base>['executeTakeFirstOrThrow']>>;
  const toRow = (r: Raw): PaymentRow => ({
    id: r.id,
    merchantId: r.merchant_id,
    merchantName: r.merchant_name,
    invoiceNumber: r.invoice_number,
    customerName: r.customer_name,
    customerEmail: r.customer_email,
    xeroInvoiceId: r.xero_invoice_id,
    xenditInvoiceId: r.xendit_invoice_id,
    currency: r.currency as Currency,
    amount: int8(r.amount),
    fee: r.fee === null ? null : int8(r.fee),
    paidAt: r.paid_at,
    syncState: r.sync_state,
    lastError: r.last_error,
    xeroPaymentId: r.xero_payment_id,
    reference: r.reference,
    paymentMethod: r.payment_method,
    paymentChannel: r.payment_channel,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  const filtered = (f: Omit<PaymentFilter, 'limit' | 'offset'>) => {
    let q = base();
    if (f.merchantId) q = q.where('p.merchant_id', '=', f.merchantId);
    if (f.state) q = q.where('p.sync_state', '=', f.state);
    if (f.paidFrom) q = q.where('p.paid_at', '>=', f.paidFrom);
    if (f.paidBefore) q = q.where('p.paid_at', '<', f.paidBefore);
    const search = f.search;
    if (search) {
      const like = `%${search.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      q = q.where((eb) =>
        eb.or([
          eb('c.invoice_number', 'ilike', like),
          eb('bs.xero_invoice_number', 'ilike', like),
          eb('c.customer_name', 'ilike', like),
          eb('c.customer_email', 'ilike', like),
          eb('bs.customer_name', 'ilike', like),
          eb('bs.customer_email', 'ilike', like),
          eb('p.xendit_invoice_id', '=', search.text),
          eb('p.xero_invoice_id', '=', search.text),
          ...search.amounts.map((a) => eb.and([eb('p.currency', '=', a.currency), eb('p.amount', '=', a.amount)])),
        ]),
      );
    }
    return q;
  };

  return {
    /** Newest first; one extra row is read to know whether a next page exists. */
    async payments(f: PaymentFilter): Promise<{ rows: PaymentRow[]; hasMore: boolean }> {
      const raw = await filtered(f)
        .orderBy('p.paid_at', 'desc')
        .orderBy('p.id', 'desc')
        .limit(f.limit + 1)
        .offset(f.offset)
        .execute();
      return { rows: raw.slice(0, f.limit).map(toRow), hasMore: raw.length > f.limit };
    },

    /** Every payment of the filter (newest first), at most `max`: the CSV export. */
    async allPayments(f: Omit<PaymentFilter, 'limit' | 'offset'>, max: number): Promise<PaymentRow[]> {
      return (await filtered(f).orderBy('p.paid_at', 'desc').orderBy('p.id', 'desc').limit(max).execute()).map(toRow);
    },

    async totals(f: Omit<PaymentFilter, 'limit' | 'offset'>): Promise<PaymentTotals[]> {
      const rows = await db
        .selectFrom(filtered(f).as('x'))
        .select((eb) => [
          'x.currency',
          eb.fn.countAll<string>().as('count'),
          eb.fn.sum<string>('x.amount').as('gross'),
          eb.fn.coalesce(eb.fn.sum<string>('x.fee'), sql<string>`0`).as('fees'),
        ])
        .groupBy('x.currency')
        .orderBy('x.currency')
        .execute();
      return rows.map((r) => {
        const gross = int8(r.gross);
        const fees = int8(r.fees);
        return { currency: r.currency as Currency, count: Number(r.count), gross, fees, net: gross - fees };
      });
    },

    /** Amount paid and number of payments per day of `timeZone` (default UTC) and currency (every sync state: the money moved at Xendit). */
    async paidPerDay(f: {
      merchantId?: string;
      paidFrom: Date;
      paidBefore: Date;
      /** An IANA zone name. */
      timeZone?: string;
    }): Promise<{ day: string; currency: Currency; amount: number; count: number }[]> {
      // A literal, so select and group by are the same expression; zone names are [A-Za-z0-9_/+-] only.
      const zone = f.timeZone && /^[A-Za-z0-9_/+-]{1,64}$/.test(f.timeZone) ? f.timeZone : 'UTC';
      const day = sql<string>`to_char(paid_at at time zone ${sql.lit(zone)}, 'YYYY-MM-DD')`;
      let q = db
        .selectFrom('payments')
        .select((eb) => [day.as('day'), 'currency', eb.fn.sum<number | string>('amount').as('amount'), eb.fn.countAll<number | string>().as('count')])
        .where('paid_at', '>=', f.paidFrom)
        .where('paid_at', '<', f.paidBefore);
      if (f.merchantId) q = q.where('merchant_id', '=', f.merchantId);
      const rows = await q.groupBy([day, 'currency']).orderBy('currency').orderBy(day).execute();
      return rows.map((r) => ({ day: r.day, currency: r.currency as Currency, amount: int8(r.amount), count: Number(r.count) }));
    },

    /** merchantId given: only that merchant's payment (anything else is "not found"). */
    async payment(id: string, merchantId?: string): Promise<PaymentRow | null> {
      let q = base().where('p.id', '=', id);
      if (merchantId) q = q.where('p.merchant_id', '=', merchantId);
      const r = await q.executeTakeFirst();
      return r ? toRow(r) : null;
    },

    /** The merchant's payments of these ids and of these Xendit invoices, in one read. */
    async paymentsOf(merchantId: string, by: { ids: string[]; xenditInvoiceIds: string[] }): Promise<PaymentRow[]> {
      if (!by.ids.length && !by.xenditInvoiceIds.length) return [];
      const rows = await base()
        .where('p.merchant_id', '=', merchantId)
        .where((eb) =>
          eb.or([
            ...(by.ids.length ? [eb('p.id', 'in', by.ids)] : []),
            ...(by.xenditInvoiceIds.length ? [eb('p.xendit_invoice_id', 'in', by.xenditInvoiceIds)] : []),
          ]),
        )
        .execute();
      return rows.map(toRow);
    },

    /**
     * The Xero invoice number and customer of each of these Xendit invoices, from the checkouts the
     * gateway opened and the sales it recorded from outside Xero (the reconciliation report's rows).
     */
    async labels(merchantId: string, xenditInvoiceIds: string[]): Promise<Map<string, { invoiceNumber: string | null; customer: string | null }>> {
      const out = new Map<string, { invoiceNumber: string | null; customer: string | null }>();
      if (xenditInvoiceIds.length === 0) return out;
      const sales = await db
        .selectFrom('backend_sales')
        .select(['xendit_invoice_id', 'xero_invoice_number', 'customer_name'])
        .where('merchant_id', '=', merchantId)
        .where('xendit_invoice_id', 'in', xenditInvoiceIds)
        .execute();
      for (const r of sales) out.set(r.xendit_invoice_id, { invoiceNumber: r.xero_invoice_number, customer: r.customer_name });
      const checkouts = await db
        .selectFrom('checkouts')
        .select(['xendit_invoice_id', 'invoice_number', 'customer_name'])
        .where('merchant_id', '=', merchantId)
        .where('xendit_invoice_id', 'in', xenditInvoiceIds)
        .execute();
      for (const r of checkouts) out.set(r.xendit_invoice_id!, { invoiceNumber: r.invoice_number, customer: r.customer_name });
      return out;
    },

    async timeline(
      p: PaymentRow,
      jobKeys: string[],
    ): Promise<{ checkout: TimelineCheckout | null; callbacks: { status: string; receivedAt: Date }[]; job: TimelineJob | null }> {
      const c = await db
        .selectFrom('payments')
        .innerJoin('checkouts', 'checkouts.id', 'payments.checkout_id')
        .select([
          'checkouts.invoice_number',
          'checkouts.currency',
          'checkouts.amount',
          'checkouts.status',
          'checkouts.xendit_invoice_id',
          'checkouts.created_at',
        ])
        .where('payments.id', '=', p.id)
        .executeTakeFirst();
      const callbacks = await db
        .selectFrom('callback_events')
        .select(['status', 'received_at'])
        .where('merchant_id', '=', p.merchantId)
        .where('xendit_invoice_id', '=', p.xenditInvoiceId)
        .orderBy('received_at')
        .orderBy('id')
        .execute();
      const j = await db
        .selectFrom('jobs')
        .select(['state', 'attempts', 'run_at', 'last_error', 'updated_at'])
        .where('dedupe_key', 'in', jobKeys)
        .executeTakeFirst();
      return {
        checkout: c
          ? {
              invoiceNumber: c.invoice_number,
              currency: c.currency as Currency,
              amount: int8(c.amount),
              status: c.status,
              xenditInvoiceId: c.xendit_invoice_id,
              createdAt: c.created_at,
            }
          : null,
        callbacks: callbacks.map((e) => ({ status: e.status, receivedAt: e.received_at })),
        job: j ? { state: j.state, attempts: j.attempts, runAt: j.run_at, lastError: j.last_error, updatedAt: j.updated_at } : null,
      };
    },

    /**
     * Puts a needs-review payment's recording job (queued under one of jobKeys) back in the queue, due now, with fresh
     * attempts. False when the payment is not in needs_review or has no such job.
     */
    async requeueRecordPayment(paymentId: string, jobKeys: string[], now: Date): Promise<boolean> {
      return db
        .transaction()
        .execute(async (trx) => {
          const p = await trx
            .updateTable('payments')
            .set({ sync_state: 'pending', updated_at: now })
            .where('id', '=', paymentId)
            .where('sync_state', '=', 'needs_review')
            .returning('id')
            .executeTakeFirst();
          if (!p) return false;
          if (!(await requeueJobs(trx, { dedupeKeys: jobKeys }, ['needs_review'], now, { clearError: false }))) throw new NothingToRetry();
          return true;
        })
        .catch((err) => {
          if (err instanceof NothingToRetry) return false;
          throw err;
        });
    },
  };
}

/** Rolls the payment's state change back when its job is not waiting for review. */
class NothingToRetry extends Error {}

export type DashboardStore = ReturnType<typeof createDashboardStore>;
