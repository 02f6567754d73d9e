/**
 * A refund made at Xendit (dashboard or API) of a payment the gateway recorded goes into Xero as a
 * customer credit note for the refunded amount and a cash refund of that credit note out of the
 * clearing account: the invoice stays paid (Xero cannot allocate a credit note to a PAID invoice),
 * the customer's account shows the credit and its refund, and the clearing account loses what
 * left Xendit's balance. Exactly once, like a payment: each create is marked before it is sent and
 * looked up by Reference (`Xendit refund <id>`) only when an earlier attempt's outcome is unknown
 * or the job ran before (ranBefore).
 * Of a payment the gateway booked partly as a Xero overpayment, what the overpayment still holds is
 * refunded on it first (refund-overpayment.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Stores } from '../../store/index.js';
import type { Claim, Job } from '../../store/jobs.js';
import type { Refund } from '../../store/refunds.js';
import type { Payment } from '../../store/payments.js';
import { DEFAULT_SALES_ACCOUNT_CODE } from '../../store/merchant-model.js';
import { clearingAccountFor, mayRecordInXero, type Merchant } from '../../store/merchants.js';
import type { XenditRefund } from '../../clients/xendit/types.js';
import type { XeroChart } from '../../clients/xero/types.js';
import { toDecimal } from '../../money.js';
import { NeedsReview, RetryLater } from '../runner.js';
import { RefundPayload } from '../kinds.js';
import { organisationBaseCurrency, organisationDate, refusedForNewLock } from './org-date.js';
import { foundEarlier, requeued, sendOnce } from './send-once.js';
import { recordFailure, Unrecordable } from './record-failure.js';
import { refundLines } from './refund-lines.js';
import { onActiveAccounts } from './refund-accounts.js';
import type { FeeReturnDeps } from './fee-return.js';
import { jobRow } from '../enqueue.js';
import { refundOnOverpayment, type RefundOut } from './refund-overpayment.js';
import { paymentOfRefund } from './refund-payment.js';
import { readWithPaymentKey } from './checkout-key.js';
import { failureText } from './refund-refusal.js';

/** What booking a refund takes: what the fee it may give back takes (fee-return.ts). */
export type RecordRefundDeps = FeeReturnDeps;

/** Reference on the credit note and on its cash refund. */
export function refundReference(xenditRefundId: string): string {
  return `Xendit refund ${xenditRefundId}`;
}

/** Reference on a lost dispute's credit note and cash refund. */
export function chargebackReference(xenditDisputeId: string): string {
  return `Xendit chargeback ${xenditDisputeId}`;
}

const referenceOf = (row: Pick<Refund, 'kind' | 'xenditRefundId'>) =>
  row.kind === 'chargeback' ? chargebackReference(row.xenditRefundId) : refundReference(row.xenditRefundId);

/** Xendit settles most refunds within minutes; some channels take days. */
const PENDING_RETRY_SECONDS = 600;

export function recordRefundJob(deps: RecordRefundDeps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, xenditRefundId } = RefundPayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);
    const known = await deps.stores.refunds.byXenditId(merchantId, xenditRefundId);
    if (known && (known.state === 'recorded' || known.state === 'test_mode')) return;

    // The webhook's body is only a hint: the refund is read from Xendit, where its payment is (when
    // the gateway asked for it or saw it before, that payment's key; else either stored key).
    const paymentId = known?.paymentId ?? (await deps.stores.refundRequests.byXenditRefundId(merchantId, xenditRefundId))?.paymentId;
    const { found: refund, key } = await readWithPaymentKey(deps, deps.xendit, merchant, paymentId, (k) => deps.xendit.getRefund(k, xenditRefundId));
    if (!refund) throw new NeedsReview(`Xendit has no refund ${xenditRefundId}`);
    await deps.stores.refundRequests.madeAtXendit(merchantId, refund, deps.clock());
    if (refund.status === 'PENDING') throw new RetryLater(`Xendit refund ${refund.id} is still PENDING`, PENDING_RETRY_SECONDS);
    if (refund.status !== 'SUCCEEDED') {
      // Nothing left the balance. A refund asked from the admin no longer holds its amount, and its
      // page says why (docs.xendit.co: POST /refunds answers PENDING; the end comes by webhook).
      const reason = failureText(refund);
      const request = await deps.stores.refundRequests.failedAtXendit(
        merchantId,
        { xenditRefundId, referenceId: refund.referenceId, failureCode: refund.failureCode },
        reason,
        deps.clock(),
      );
      deps.logger.info(
        { merchantId, xenditRefundId, status: refund.status, failureCode: refund.failureCode, refundRequest: request?.id },
        'refund did not go through at Xendit: nothing to record',
      );
      return;
    }
    const tie = await paymentOfRefund(deps.stores, merchantId, refund);
    if (!tie.payment && 'paymentPending' in tie) {
      // Refunded before its PAID callback was booked (the callback late, or found by the reconcile job
      // later), or before its backend-flow sale reached Xero. Retried like any job: a sale left in
      // review outlasts the attempts and puts this job in review too; the commit that records the
      // payment queues it again (jobs.waitFor).
      await deps.stores.jobs.waitFor(job, tie.invoiceId);
      if (tie.saleJob === 'handled') {
        // A person recorded the sale by hand (Mark as handled): no payment of ours to refund in Xero.
        throw new NeedsReview(
          `Xendit refund ${refund.id} of ${toDecimal(refund.amount, refund.currency)} ${refund.currency} is of backend-flow sale ${refund.invoiceId}, which was marked handled by hand: book the refund by hand too (a credit note on that invoice and its refund, Reference "${refundReference(refund.id)}"), then mark this handled`,
        );
      }
      if (tie.saleJob) {
        throw new RetryLater(
          `Xendit invoice ${refund.invoiceId} is a backend-flow sale not in Xero yet (its record-backend-payment job is ${tie.saleJob}); this refund waits for it`,
        );
      }
      throw new RetryLater(`Xendit invoice ${refund.invoiceId} was paid through the gateway; its payment is not recorded yet`);
    }
    if (!tie.payment && tie.notOurs) {
      // A backend-flow sale whose job is not even queued yet (its callback and the listing still to
      // come) looks the same: should its payment be recorded, this job runs again.
      await deps.stores.jobs.waitFor(job, tie.invoiceId);
      deps.logger.info({ merchantId, xenditRefundId, invoiceId: refund.invoiceId }, 'refund of a payment the gateway did not record: ignored');
      return;
    }
    if (!tie.payment) {
      // Money left the merchant's balance and may have gone back on a payment that is in Xero (one
      // recorded before payment ids were kept, say): a person decides, rather than Xero silently
      // keeping a sale the customer got back. The report lists it missing in Xero meanwhile. A
      // payment recorded before its PAID callback came learns its payment_id only with that
      // callback: then this job runs again (jobs.waitForPaymentIds).
      await deps.stores.jobs.waitForPaymentIds(
        job,
        [refund.paymentId, refund.paymentRequestId].filter((id): id is string => Boolean(id)),
      );
      deps.logger.warn(
        { merchantId, xenditRefundId, paymentId: refund.paymentId, paymentRequestId: refund.paymentRequestId, referenceId: refund.referenceId },
        'succeeded refund names no invoice and matches no payment the gateway recorded',
      );
      throw new NeedsReview(
        `Xendit refund ${refund.id} of ${toDecimal(refund.amount, refund.currency)} ${refund.currency} names no invoice and matches no payment the gateway recorded` +
          ` (payment_id ${refund.paymentId ?? refund.paymentRequestId ?? 'none'}). It may refund a payment taken outside this gateway (another integration on the same Xendit account): then there is nothing to book here. If it refunds a payment in this Xero organisation, book it by hand with Reference "${refundReference(refund.id)}"`,
      );
    }
    const payment = tie.payment;
    // A job run again (by a person, by the listing after it ended without booking, or its own retry
    // after waiting for the payment) may find the refund booked by hand meanwhile: it looks first.
    const lookFirst = ranBefore(job);
    await bookRefund(deps, merchant, payment, rowFrom(merchant, payment, refund, deps.clock()), { lookFirst, key, job });
  };
}

/**
 * Money that went back to the payer (a refund, a lost dispute) into Xero, once: its row, then the
 * credit note and its cash refund out of the clearing account, each marked before it is sent.
 * `key`: the Xendit key that read it, whose mode (not the one in use now) says whether it is test money.
 */
export async function bookRefund(
  deps: RecordRefundDeps,
  merchant: Merchant,
  payment: Payment,
  input: NewRefundRow,
  /** key: the one that found it (test or live by it); job: the claim booking it, marked as waiting should the payment not be in Xero yet. */
  opts: { lookFirst?: boolean; key: string; job?: Claim },
): Promise<void> {
  const { merchantId, xenditRefundId } = input;
  const row = await deps.stores.refunds.getOrCreate(input, deps.clock());
  if (row.state === 'recorded' || row.state === 'test_mode') return;
  if (payment.syncState === 'test_mode' || !mayRecordInXero({ ...merchant, xenditSecretKey: opts.key }))
    return void (await deps.stores.refunds.testMode(row.id, deps.clock()));
  if (payment.syncState !== 'recorded') {
    if (opts.job) await deps.stores.jobs.waitFor(opts.job, payment.xenditInvoiceId);
    throw new RetryLater(`the payment of Xendit invoice ${payment.xenditInvoiceId} is not in Xero yet`);
  }
  try {
    if (row.currency !== payment.currency) throw new Unrecordable(`Xendit took back ${row.currency}, the payment was in ${payment.currency}`);
    const refunded = (await deps.stores.refunds.forPayment(payment.id)).filter((r) => r.state !== 'test_mode').reduce((s, r) => s + r.amount, 0);
    if (refunded > payment.amount) {
      throw new Unrecordable(`refunds and chargebacks at Xendit (${money(refunded, payment)}) exceed the payment (${money(payment.amount, payment)})`);
    }
    const lookFirst = opts.lookFirst === true;
    // One read of the chart serves the credit note's accounts and the cash refund's clearing account.
    let read: Promise<XeroChart> | undefined;
    const chart = () => (read ??= deps.xero.readChart(merchant.xero));
    const out = refundOut(merchant, row.currency, chart);
    await refundAccountTakes(deps, merchant, row.currency, chart);
    const reference = referenceOf(row);
    // Money paid beyond the invoice goes back on its Xero overpayment first; the rest on a credit note.
    const overpayment = await refundOnOverpayment(deps, merchant, payment, row, { reference, lookFirst, out });
    const rest = row.amount - overpayment.part;
    let creditNoteId: string | null = null;
    let refundPaymentId = overpayment.paymentId;
    if (rest > 0) {
      creditNoteId = row.xeroCreditNoteId ?? (await creditNoteOnce(deps, merchant, payment, row, rest, { lookFirst, chart }));
      deps.crash?.('refund-credit-stored');
      refundPaymentId = await cashRefundOnce(deps, merchant, row, creditNoteId, rest, { lookFirst, out });
    }
    if (!refundPaymentId) throw new Error(`refund ${xenditRefundId}: nothing refunded in Xero`);
    deps.crash?.('refund-cash-accepted');
    // A refund may come with the payment's fee given back: looked at by a job of its own, queued in
    // the commit that records the refund, so that nothing about the fee holds the refund up.
    const now = deps.clock();
    const feeCheck = row.kind === 'refund' ? jobRow('return-fee', { merchantId, paymentId: payment.id, refundId: row.id }, now) : undefined;
    await deps.stores.refunds.recorded(row.id, refundPaymentId, now, feeCheck);
    deps.logger.info(
      {
        merchantId,
        xenditRefundId,
        kind: row.kind,
        creditNoteId,
        refundPaymentId,
        overpaymentRefundId: overpayment.paymentId,
        onOverpayment: overpayment.part,
      },
      'refund recorded in Xero',
    );
  } catch (err) {
    await recordFailure(err, 'refund', {
      needsReview: (reason) => deps.stores.refunds.needsReview(row.id, reason, deps.clock()),
      noteError: (message) => deps.stores.refunds.noteError(row.id, message, deps.clock()),
      newLockDate: (e) => refusedForNewLock(deps, merchant, e),
    });
  }
}

export type NewRefundRow = Parameters<Stores['refunds']['getOrCreate']>[0];

function money(minor: number, p: Pick<Payment, 'currency'>): string {
  return `${toDecimal(minor, p.currency)} ${p.currency}`;
}

function rowFrom(merchant: Merchant, payment: Payment, r: XenditRefund, now: Date): NewRefundRow {
  return {
    kind: 'refund',
    id: randomUUID(),
    merchantId: merchant.id,
    paymentId: payment.id,
    xenditRefundId: r.id,
    currency: r.currency,
    amount: r.amount,
    reason: r.reason ?? null,
    refundedAt: r.created ? new Date(r.created) : now,
  };
}

async function creditNoteOnce(
  deps: RecordRefundDeps,
  merchant: Merchant,
  payment: Payment,
  row: Refund,
  amount: number,
  o: { lookFirst: boolean; chart: () => Promise<XeroChart> },
): Promise<string> {
  const reference = referenceOf(row);
  const found = await foundEarlier(
    deps.clock(),
    { sentAt: row.creditAttemptAt, lookFirst: o.lookFirst },
    async () => (await deps.xero.findCreditNotesByReference(merchant.xero, reference))[0],
    'credit note',
  );
  if (found) {
    await deps.stores.refunds.creditNoted(row.id, found.creditNoteId, deps.clock());
    return found.creditNoteId;
  }
  const invoice = await deps.xero.getInvoice(merchant.xero, payment.xeroInvoiceId);
  if (!invoice?.contactId) throw new Unrecordable(`the Xero invoice of this payment (${payment.xeroInvoiceId}) or its contact is gone`);
  const date = await organisationDate(deps, merchant, row.refundedAt, payment.currency);
  const salesAccountCode = merchant.salesAccountCode ?? DEFAULT_SALES_ACCOUNT_CODE;
  const description =
    row.kind === 'chargeback'
      ? `Chargeback of ${invoice.invoiceNumber} (Xendit dispute ${row.xenditRefundId})`
      : `Refund of ${invoice.invoiceNumber} (Xendit refund ${row.xenditRefundId})`;
  // An account of the sale archived since is read before the attempt mark: a refusal here sends nothing.
  const { lines, moved } = await onActiveAccounts(
    deps,
    merchant,
    o.chart,
    refundLines(invoice, amount, payment.currency, { description, salesAccountCode }),
    salesAccountCode,
  );
  const created = await sendOnce(
    (at) => deps.stores.refunds.noteCreditAttempt(row.id, at, deps.clock(), moved),
    deps.clock(),
    () =>
      deps.xero.createCreditNote(
        merchant.xero,
        { contactId: invoice.contactId!, date, reference, currencyCode: payment.currency, ...lines },
        `xendit-refund-credit-${row.id}`,
      ),
  );
  deps.crash?.('refund-credit-accepted');
  await deps.stores.refunds.creditNoted(row.id, created.creditNoteId, deps.clock());
  return created.creditNoteId;
}

async function cashRefundOnce(
  deps: RecordRefundDeps,
  merchant: Merchant,
  row: Refund,
  creditNoteId: string,
  amount: number,
  o: { lookFirst: boolean; out: RefundOut },
): Promise<string> {
  const reference = referenceOf(row);
  // GET /Payments may not name the credit note: under this refund's Reference, any cash refund of
  // one that is not another credit note's is this one's.
  const found = await foundEarlier(
    deps.clock(),
    { sentAt: row.refundAttemptAt, lookFirst: o.lookFirst },
    async () =>
      (await deps.xero.findRefundPaymentsByReference(merchant.xero, reference)).find(
        (p) => p.kind === 'credit note' && (p.documentId === undefined || p.documentId === creditNoteId),
      ),
    'cash refund',
  );
  if (found) return found.paymentId;
  const date = await organisationDate(deps, merchant, row.refundedAt, row.currency);
  const { accountId, reconciled } = await o.out();
  const created = await sendOnce(
    (at) => deps.stores.refunds.noteRefundAttempt(row.id, at, deps.clock(), at ? accountId : undefined),
    deps.clock(),
    () =>
      deps.xero.createCreditNoteRefund(
        merchant.xero,
        { creditNoteId, accountId, date, amount: toDecimal(amount, row.currency), reference, reconciled },
        `xendit-refund-${row.id}`,
      ),
  );
  return created.paymentId;
}

/**
 * Refunded money leaves the clearing account, created reconciled only on a BANK account (the only
 * kind Xero reconciles); the chart is read once per refund, which is rare next to payments.
 */
function refundOut(merchant: Merchant, currency: Refund['currency'], chart: () => Promise<XeroChart>): RefundOut {
  return async () => {
    const accountId = clearingAccountFor(merchant, currency);
    return { accountId, reconciled: (await chart()).bankAccountIds.includes(accountId) };
  };
}

/**
 * Xero refuses a payment out of an account in another currency than the document's, a refund of
 * a credit note or an overpayment as any other: refused only once the credit note exists, the
 * refund would leave it standing in Xero. clearingAccountFor falls back to the default clearing
 * account, in another currency when none is set for this one: checked before anything is sent.
 */
async function refundAccountTakes(deps: RecordRefundDeps, merchant: Merchant, currency: string, chart: () => Promise<XeroChart>): Promise<void> {
  const accountId = clearingAccountFor(merchant, currency);
  const accounts = (await chart()).accountCurrencies;
  // An account Xero no longer lists as active is left to Xero's own refusal.
  if (!(accountId in accounts)) return;
  const accountCurrency = accounts[accountId] ?? (await organisationBaseCurrency(deps, merchant));
  if (accountCurrency === currency) return;
  throw new Unrecordable(
    `currency mismatch: this ${currency} refund would be paid out of the clearing account ${accountId}, which is in ${accountCurrency}, and Xero refuses that: ` +
      `nothing was made in Xero; configure a clearing account in ${currency} (merchants add --clearing-account ${currency}=ID), then Retry`,
  );
}

/**
 * Whether this job ran before (queued again: send-once.ts requeued; or its own retry, after waiting
 * for the payment): then it looks under the Reference before it books.
 */
export const ranBefore = (job: Job): boolean => requeued(job) || job.attempts > 1;
