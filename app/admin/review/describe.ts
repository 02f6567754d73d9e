/**
 * What a job waiting for review is, in the merchant's words: read from the row its kind keeps
 * (a withdrawal, a balance movement, a refund, a fee bill…), the job's payload only naming which.
 * A row not made yet (the job stopped before it could be) leaves the kind and Xendit's id.
 */
import type { z } from 'zod';
import type { Stores } from '../../store/index.js';
import type { HandledRow, JobInReview } from '../../store/review-jobs.js';
import type { PaymentRow } from '../../store/dashboard.js';
import type { Withdrawal } from '../../store/settlements.js';
import type { OtherMovement } from '../../store/other-movements.js';
import type { Refund } from '../../store/refunds.js';
import type { FeeBill } from '../../store/fee-bills.js';
import type { FeeReturn } from '../../store/fee-returns.js';
import type { Currency } from '../../money.js';
import { JOB_SPECS } from '../../jobs/kinds.js';
import { isUuid } from '../../security/uuid.js';

/** The kinds the review page lists: everything the worker books apart from a payment (its own page retries it). */
export const REVIEW_KINDS = [
  'record-withdrawal',
  'record-other-movement',
  'record-refund',
  'record-dispute',
  'match-chargeback',
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

/** The field of each kind's payload that names what the job books: Xendit's id, a fee bill's or a payment's. */
const NAMED_BY: { [K in ReviewKind]: keyof z.infer<(typeof JOB_SPECS)[K]['payload']> & string } = {
  'record-withdrawal': 'xenditTransactionId',
  'record-other-movement': 'xenditTransactionId',
  'record-refund': 'xenditRefundId',
  'record-dispute': 'xenditDisputeId',
  'match-chargeback': 'xenditTransactionId',
  'record-fee-bill': 'feeBillId',
  'return-fee': 'paymentId',
  'post-fee': 'paymentId',
  'record-backend-payment': 'xenditInvoiceId',
};

type ReviewJob = JobInReview & { kind: ReviewKind };

/** What the job's payload names (NAMED_BY), or null when the payload is not its kind's. */
function namedBy(job: ReviewJob): string | null {
  const p = (JOB_SPECS[job.kind].payload as z.ZodType<Record<string, unknown>>).safeParse(job.payload);
  const named = p.success ? p.data[NAMED_BY[job.kind]] : undefined;
  return typeof named === 'string' ? named : null;
}

/** The row a job of this kind was about, to leave review with it when it is marked as handled (review-jobs.ts HandledRow). */
export function handledRow(job: ReviewJob): HandledRow | null {
  const id = namedBy(job);
  if (id === null) return null;
  switch (job.kind) {
    case 'record-withdrawal':
      return { table: 'withdrawals', xenditTransactionId: id };
    case 'record-other-movement':
      return { table: 'other_movements', xenditTransactionId: id };
    case 'record-refund':
    case 'record-dispute':
      return { table: 'refunds', xenditRefundId: id };
    case 'record-fee-bill':
      return isUuid(id) ? { table: 'fee_bills', id } : null;
    case 'post-fee':
      return isUuid(id) ? { table: 'payment_fee', paymentId: id } : null;
    case 'record-backend-payment':
      return { table: 'payment_sale', xenditInvoiceId: id };
    // A fee given back waits on the payment's fee (fee-return.ts), and a chargeback's match keeps no row of its own.
    case 'return-fee':
    case 'match-chargeback':
      return null;
  }
}

/** The rows a page of jobs is described from, each table read once for all of them (readRows). */
export interface ReviewRows {
  withdrawals: Map<string, Withdrawal>;
  movements: Map<string, OtherMovement>;
  /** Refunds and chargebacks, by Xendit's id. */
  refunds: Map<string, Refund>;
  feeBills: Map<string, FeeBill>;
  /** By payment. */
  feeReturns: Map<string, FeeReturn>;
  payments: Map<string, PaymentRow>;
  paymentsOfInvoices: Map<string, PaymentRow>;
}

/** The rows these jobs name, of the merchant only: a handful of queries, however many jobs. */
export async function readRows(stores: Stores, merchantId: string, jobs: ReviewJob[]): Promise<ReviewRows> {
  const named = (...kinds: ReviewKind[]) => [
    ...new Set(jobs.flatMap((j) => (kinds.includes(j.kind) ? [namedBy(j)].filter((id): id is string => id !== null) : []))),
  ];
  // A uuid column refuses anything else with an error rather than "no row".
  const paymentIds = named('return-fee', 'post-fee').filter(isUuid);
  const [withdrawals, movements, refunds, feeBills, feeReturns] = await Promise.all([
    stores.settlements.byXenditIds(merchantId, named('record-withdrawal')),
    stores.otherMovements.byXenditIds(merchantId, named('record-other-movement')),
    stores.refunds.byXenditIds(merchantId, named('record-refund', 'record-dispute')),
    stores.feeBills.byIds(merchantId, named('record-fee-bill').filter(isUuid)),
    stores.feeReturns.byPayments(paymentIds),
  ]);
  // A refund or chargeback not made yet links the payment it waits for (jobs.waitFor).
  const waitsFor = jobs.flatMap((j) =>
    (j.kind === 'record-refund' || j.kind === 'record-dispute') && typeof j.payload.waitsFor === 'string' ? [j.payload.waitsFor] : [],
  );
  const payments = await stores.dashboard.paymentsOf(merchantId, {
    ids: [...new Set([...paymentIds, ...[...refunds.values()].map((r) => r.paymentId)])],
    xenditInvoiceIds: [...new Set([...named('record-backend-payment'), ...waitsFor])],
  });
  return {
    withdrawals,
    movements,
    refunds,
    feeBills,
    feeReturns,
    payments: new Map(payments.map((p) => [p.id, p])),
    paymentsOfInvoices: new Map(payments.map((p) => [p.xenditInvoiceId, p])),
  };
}

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

/** A refund or a chargeback: its row once the job made it, else the payment it waits for (jobs.waitFor). */
function moneyBack(rows: ReviewRows, job: ReviewJob, xenditId: string): Described {
  const r = rows.refunds.get(xenditId);
  if (!r) {
    const waitsFor = typeof job.payload.waitsFor === 'string' ? rows.paymentsOfInvoices.get(job.payload.waitsFor) : undefined;
    return bare(xenditId, waitsFor ? linkOf(waitsFor) : null);
  }
  const payment = rows.payments.get(r.paymentId);
  return {
    what: r.kind === 'chargeback' ? 'chargeback' : 'refund',
    ref: xenditId,
    amount: { minor: r.amount, currency: r.currency },
    at: r.refundedAt,
    type: null,
    payment: payment ? linkOf(payment) : null,
  };
}

export function describe(rows: ReviewRows, job: ReviewJob): Described {
  const id = namedBy(job);
  if (id === null) return bare('');
  switch (job.kind) {
    case 'record-withdrawal': {
      const w = rows.withdrawals.get(id);
      if (!w) return bare(id);
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
      const m = rows.movements.get(id);
      if (!m) return bare(id);
      const amount = { minor: Math.abs(m.amount), currency: m.currency };
      return { what: m.amount < 0 ? 'movementOut' : 'movementIn', ref: m.xenditTransactionId, amount, at: m.movedAt, type: m.type, payment: null };
    }
    case 'record-refund':
    case 'record-dispute':
      return moneyBack(rows, job, id);
    case 'match-chargeback':
      return bare(id);
    case 'record-fee-bill': {
      const b = rows.feeBills.get(id);
      if (!b) return bare('');
      return { what: 'feeBill', ref: b.period, amount: { minor: b.fees + b.vat, currency: b.currency }, at: null, type: null, payment: null };
    }
    case 'return-fee': {
      const row = rows.payments.get(id);
      if (!row) return bare('');
      const r = rows.feeReturns.get(row.id);
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
      const row = rows.payments.get(id);
      if (!row) return bare('');
      if (row.fee === null) return bare(row.xenditInvoiceId, linkOf(row));
      return { what: 'fee', ref: row.xenditInvoiceId, amount: { minor: row.fee, currency: row.currency }, at: row.paidAt, type: null, payment: linkOf(row) };
    }
    case 'record-backend-payment': {
      // A sale made outside Xero: once its payment row exists, the payment's page shows it too.
      const row = rows.paymentsOfInvoices.get(id);
      if (!row) return bare(id);
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
