/**
 * What a job waiting for review is, in the merchant's words: read from the row its kind keeps
 * (a withdrawal, a balance movement, a refund, a fee bill…), the job's payload only naming which.
 * A row not made yet (the job stopped before it could be) leaves the kind and Xendit's id.
 */
import type { Stores } from '../../store/index.js';
import type { JobInReview } from '../../store/review-jobs.js';
import type { PaymentRow } from '../../store/dashboard.js';
import type { Currency } from '../../money.js';
import { JOB_SPECS } from '../../jobs/kinds.js';

/** The kinds the review page lists: everything the worker books apart from a payment (its own page retries it). */
export const REVIEW_KINDS = [
  'record-withdrawal',
  'record-other-movement',
  'record-refund',
  'record-dispute',
  'record-fee-bill',
  'return-fee',
  'post-fee',
  'record-backend-payment',
] as const satisfies readonly (keyof typeof JOB_SPECS)[];
export type ReviewKind = (typeof REVIEW_KINDS)[number];

export const isReviewKind = (kind: string): kind is ReviewKind => (REVIEW_KINDS as readonly string[]).includes(kind);

/** The payment an item belongs to, for a link to its page. */
export interface PaymentLink {
  id: string;
  /** Its Xero invoice number (or id). */
  invoice: string;
  /** Waiting for review itself: retried on its page, which queues the refunds waiting for it too. */
  inReview: boolean;
}

/** An item as the page words it: `what` picks the sentence (admin:review_<what>), the rest fills it. */
export interface Described {
  what: 'withdrawal' | 'withdrawalBack' | 'movementIn' | 'movementOut' | 'refund' | 'chargeback' | 'feeBill' | 'feeReturn' | 'fee' | 'sale' | 'bare' | 'kind';
  /** Xendit's id of it (a fee bill: its month). */
  ref: string;
  amount: { minor: number; currency: Currency } | null;
  at: Date | null;
  /** A balance movement's type as Xendit names it (TRANSFER, TOPUP…). */
  type: string | null;
  payment: PaymentLink | null;
}

type Deps = { stores: Stores };

/** Only what the job names: its kind, and Xendit's id when known. */
const bare = (ref: string, payment: PaymentLink | null = null): Described => ({
  what: ref ? 'bare' : 'kind',
  ref,
  amount: null,
  at: null,
  type: null,
  payment,
});

const linkOf = (p: PaymentRow): PaymentLink => ({ id: p.id, invoice: p.invoiceNumber ?? p.xeroInvoiceId, inReview: p.syncState === 'needs_review' });

async function paymentOfInvoice(deps: Deps, merchantId: string, xenditInvoiceId: unknown): Promise<PaymentRow | null> {
  if (typeof xenditInvoiceId !== 'string') return null;
  const p = await deps.stores.payments.byXenditInvoice(merchantId, xenditInvoiceId);
  return p ? deps.stores.dashboard.payment(p.id, merchantId) : null;
}

/** A refund or a chargeback: its row once the job made it, else the payment it waits for (jobs.waitFor). */
async function moneyBack(deps: Deps, merchantId: string, job: JobInReview, xenditId: string): Promise<Described> {
  const r = await deps.stores.refunds.byXenditId(merchantId, xenditId);
  if (!r) {
    const waitsFor = await paymentOfInvoice(deps, merchantId, job.payload.waitsFor);
    return bare(xenditId, waitsFor && linkOf(waitsFor));
  }
  const payment = await deps.stores.dashboard.payment(r.paymentId, merchantId);
  return {
    what: r.kind === 'chargeback' ? 'chargeback' : 'refund',
    ref: xenditId,
    amount: { minor: r.amount, currency: r.currency },
    at: r.refundedAt,
    type: null,
    payment: payment && linkOf(payment),
  };
}

export async function describe(deps: Deps, merchantId: string, job: JobInReview & { kind: ReviewKind }): Promise<Described> {
  switch (job.kind) {
    case 'record-withdrawal': {
      const p = JOB_SPECS[job.kind].payload.safeParse(job.payload);
      if (!p.success) return bare('');
      const w = await deps.stores.settlements.byXenditId(merchantId, p.data.xenditTransactionId);
      if (!w) return bare(p.data.xenditTransactionId);
      // Out in Xero already: what waits is the money the bank sent back.
      const back = w.reversedAt !== null && w.xeroBankTransferId !== null;
      const amount = { minor: w.amount, currency: w.currency };
      return {
        what: back ? 'withdrawalBack' : 'withdrawal',
        ref: w.xenditTransactionId,
        amount,
        at: back ? w.reversedAt : w.withdrawnAt,
        type: null,
        payment: null,
      };
    }
    case 'record-other-movement': {
      const p = JOB_SPECS[job.kind].payload.safeParse(job.payload);
      if (!p.success) return bare('');
      const m = await deps.stores.otherMovements.byXenditId(merchantId, p.data.xenditTransactionId);
      if (!m) return bare(p.data.xenditTransactionId);
      const amount = { minor: Math.abs(m.amount), currency: m.currency };
      return { what: m.amount < 0 ? 'movementOut' : 'movementIn', ref: m.xenditTransactionId, amount, at: m.movedAt, type: m.type, payment: null };
    }
    case 'record-refund': {
      const p = JOB_SPECS[job.kind].payload.safeParse(job.payload);
      return p.success ? moneyBack(deps, merchantId, job, p.data.xenditRefundId) : bare('');
    }
    case 'record-dispute': {
      const p = JOB_SPECS[job.kind].payload.safeParse(job.payload);
      return p.success ? moneyBack(deps, merchantId, job, p.data.xenditDisputeId) : bare('');
    }
    case 'record-fee-bill': {
      const p = JOB_SPECS[job.kind].payload.safeParse(job.payload);
      if (!p.success) return bare('');
      const b = await deps.stores.feeBills.byId(p.data.feeBillId);
      if (!b || b.merchantId !== merchantId) return bare('');
      return { what: 'feeBill', ref: b.period, amount: { minor: b.fees + b.vat, currency: b.currency }, at: null, type: null, payment: null };
    }
    case 'return-fee': {
      const p = JOB_SPECS[job.kind].payload.safeParse(job.payload);
      const row = p.success ? await deps.stores.dashboard.payment(p.data.paymentId, merchantId) : null;
      if (!row) return bare('');
      const r = await deps.stores.feeReturns.byPayment(row.id);
      if (!r) return bare(row.xenditInvoiceId, linkOf(row));
      return {
        what: 'feeReturn',
        ref: row.xenditInvoiceId,
        amount: { minor: r.fee + r.tax, currency: row.currency },
        at: r.returnedAt,
        type: null,
        payment: linkOf(row),
      };
    }
    case 'post-fee': {
      const p = JOB_SPECS[job.kind].payload.safeParse(job.payload);
      const row = p.success ? await deps.stores.dashboard.payment(p.data.paymentId, merchantId) : null;
      if (!row) return bare('');
      if (row.fee === null) return bare(row.xenditInvoiceId, linkOf(row));
      return { what: 'fee', ref: row.xenditInvoiceId, amount: { minor: row.fee, currency: row.currency }, at: row.paidAt, type: null, payment: linkOf(row) };
    }
    case 'record-backend-payment': {
      // A sale made outside Xero: once its payment row exists, the payment's page shows it too.
      const p = JOB_SPECS[job.kind].payload.safeParse(job.payload);
      if (!p.success) return bare('');
      const row = await paymentOfInvoice(deps, merchantId, p.data.xenditInvoiceId);
      if (!row) return bare(p.data.xenditInvoiceId);
      return {
        what: 'sale',
        ref: row.xenditInvoiceId,
        amount: { minor: row.amount, currency: row.currency },
        at: row.paidAt,
        type: null,
        payment: linkOf(row),
      };
    }
  }
}
