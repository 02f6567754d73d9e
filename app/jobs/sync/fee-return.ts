/**
 * The fee Xendit gives back with a refund (some channels do: docs.xendit.co "Creating Refunds",
 * help.xendit.co per channel), carried into Xero so the clearing account follows the balance.
 *
 * Where Xendit shows a fee given back is not documented beyond one field: the payment's transaction
 * has a fee.status whose values include REVERSED and CANCELED (xendit-node FeeResponse; docs.xendit.co
 * Transactions API). A void (a payment cancelled before settlement: its transaction VOIDED) gives
 * fee and VAT back whatever fee.status says (help.xendit.co on e-wallet and QR voids). So, once a
 * refund of a payment whose fee the gateway posted is recorded, this job reads the payment's
 * transaction again; only when its fee.status says Xendit no longer keeps the fee, or it is
 * VOIDED, is the fee and VAT it shows (for a void showing none, what was posted) brought back, once per payment,
 * where the fee was posted (placeOf): a Receive Money from the fee account into the bank account
 * its Spend Money left, or a journal the other way round on the account its manual journal credited;
 * Reference `Xendit fee returned <invoice id>`.
 * A fee given back any other way (a part of it, another ledger line) is not booked; the balances
 * show the difference.
 */
import type { Job } from '../../store/jobs.js';
import { clearingAccountFor, mayRecordInXero, type Merchant } from '../../store/merchants.js';
import type { Payment } from '../../store/payments.js';
import { MarkMoved, type FeeReturn, type FeeReturnEntry } from '../../store/fee-returns.js';
import { UpstreamError } from '../../clients/types.js';
import { feeGivenBack } from '../../clients/xendit/transactions.js';
import { toDecimal } from '../../money.js';
import { NeedsReview, RetryLater } from '../runner.js';
import { ReturnFeePayload } from '../kinds.js';
import { organisationDate, refusedForNewLock } from './org-date.js';
import { foundEarlier, requeued, sendOnce } from './send-once.js';
import type { RecordPaymentDeps } from './payment-deps.js';
import { FEE_CONTACT_NAME, FeeUnpostable, feeBillingWhenPaid, feeLines, feeTaxQueryOf, journalClearingCode } from './post-fee.js';
import { paymentAtXendit, type PaymentAtXendit } from './checkout-key.js';

/** What booking after a payment takes (record-refund.ts takes the same). */
export type FeeReturnDeps = Omit<RecordPaymentDeps, 'bankAccounts'>;

/** Reference of the Receive Money (Narration of the manual journal): how a retry and the report find it. */
export function feeReturnReference(xenditInvoiceId: string): string {
  return `Xendit fee returned ${xenditInvoiceId}`;
}

/**
 * How long after a full refund the refund's job reads Xendit's transaction again, and how often (a
 * few attempts of the job's 15); later, list-refunds.ts looks once a day.
 */
export const RECHECK_FOR_MS = 12 * 3600_000;
const RECHECK_EVERY_SECONDS = 2 * 3600;

export function returnFeeJob(deps: FeeReturnDeps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, paymentId, refundId } = ReturnFeePayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    const payment = await deps.stores.payments.byId(paymentId);
    if (!merchant || !payment) throw new NeedsReview(`merchant ${merchantId} or payment ${paymentId} no longer exists`);
    // Test or live by the key whose account holds the payment, not the mode in use now (as record-payment judges).
    const at = await paymentAtXendit(deps, deps.xendit, merchant, payment);
    if (payment.syncState === 'test_mode' || !mayRecordInXero({ ...merchant, xenditSecretKey: at.key.key || merchant.xenditSecretKey })) return;
    const known = await deps.stores.feeReturns.byPayment(payment.id);
    if (known?.xeroEntryId) return;
    // Only a fee the gateway posted is given back in Xero, however fees are set up today.
    // A fee a person handled by hand (admin/review): what Xendit gives back of it is theirs to book too.
    if (payment.feeState === 'handled')
      throw new NeedsReview(`the fee of Xendit invoice ${payment.xenditInvoiceId} was handled by hand: give back its fee by hand too, or mark this as handled`);
    if (payment.feeState === 'needs_review')
      throw new NeedsReview(`the fee of Xendit invoice ${payment.xenditInvoiceId} needs review itself: once it is posted, replay this job`);
    if (payment.feeState !== 'posted') {
      if (payment.feeState === 'not_needed') return;
      throw new RetryLater(`the fee of Xendit invoice ${payment.xenditInvoiceId} is not in Xero yet`);
    }
    // Billed monthly: what post-fee posted is the tax withheld alone; the fee given back counts against the bill.
    if ((await feeBillingWhenPaid(deps, merchant, payment)) === 'invoiced') return;
    // Dated by the payment's latest refund, whichever refund's job finds it: when Xendit gives the
    // fee back with the refund of the rest, an earlier part refund's job may be the one to see it.
    const refunds = (await deps.stores.refunds.forPayment(payment.id)).filter((r) => r.kind === 'refund' && r.state === 'recorded');
    const latest = refunds.at(-1);
    if (!latest) throw new NeedsReview(`refund ${refundId} of payment ${payment.id} is not recorded`);
    const row = known ?? (await foundReturn(deps, merchant, payment, at, latest.refundedAt, latest.id));
    if (!row) {
      // Xendit may mark the fee given back after the refund (when is not documented): a payment
      // refunded in full, the case that gives the whole fee back, is looked at again for a while.
      const refunded = refunds.reduce((sum, r) => sum + r.amount, 0);
      if (refunded >= payment.amount && deps.clock().getTime() - latest.refundedAt.getTime() < RECHECK_FOR_MS)
        throw new RetryLater(`Xendit does not say yet whether it gave the fee of ${payment.xenditInvoiceId} back`, RECHECK_EVERY_SECONDS);
      return;
    }
    if (row.xeroEntryId) return; // booked by another look at the same payment meanwhile
    if (!merchant.feeAccountCode) throw new NeedsReview('Xendit gave the fee back, but no fee account is configured for this merchant');
    let entryId: string;
    try {
      entryId = await bookOnce(deps, merchant, payment, row, merchant.feeAccountCode, requeued(job));
    } catch (err) {
      if (err instanceof FeeUnpostable) throw new NeedsReview(err.message);
      // Read again next run: booked by the other job (done) or its send looked for first.
      if (err instanceof MarkMoved) throw new RetryLater(err.message, 1);
      if (await refusedForNewLock(deps, merchant, err))
        throw new RetryLater('Xero refused a date in a locked period: tried again dated after the lock date', 1);
      if (err instanceof UpstreamError && err.kind === 'rejected') throw new NeedsReview(`Xero refused the fee given back: ${err.message}`);
      throw err;
    }
    await deps.stores.feeReturns.booked(payment.id, entryId, deps.clock());
    deps.logger.info({ paymentId: payment.id, xeroEntryId: entryId, refundId }, 'fee Xendit gave back recorded in Xero');
  };
}

/** The row of a fee Xendit says it gave back, written before anything is sent; null when Xendit keeps the fee. */
async function foundReturn(
  deps: FeeReturnDeps,
  merchant: Merchant,
  payment: Payment,
  at: PaymentAtXendit,
  returnedAt: Date,
  refundId: string,
): Promise<FeeReturn | null> {
  let lookup;
  try {
    // Read where the payment is (its checkout's mode's key), whichever mode is in use now.
    if (!at.key.key) return null;
    const externalId = await at.externalId();
    if (externalId === null) return null;
    lookup = await deps.xendit.getFeeTax(at.key.key, feeTaxQueryOf(payment, externalId));
  } catch (err) {
    // A key without Transactions read: the refund is in Xero all the same; the balances show the rest.
    if (err instanceof UpstreamError && (err.kind === 'rejected' || err.kind === 'unauthorized')) {
      deps.logger.warn({ paymentId: payment.id, err: err.message }, 'could not read whether Xendit gave the fee back');
      return null;
    }
    throw err;
  }
  const posted = { fee: payment.fee ?? 0, tax: payment.feeTax ?? 0 };
  const back = feeGivenBack(lookup, posted);
  if (!back) return null;
  // What Xendit says it gave back; never more than the gateway took out of the clearing account for it.
  if (back.fee > posted.fee || back.tax > posted.tax) {
    const money = (f: { fee: number; tax: number }) => `${toDecimal(f.fee, payment.currency)} + VAT ${toDecimal(f.tax, payment.currency)} ${payment.currency}`;
    throw new NeedsReview(`Xendit says it gave back a fee of ${money(back)}, more than the ${money(posted)} posted: not booked`);
  }
  return deps.stores.feeReturns.getOrCreate(
    { paymentId: payment.id, merchantId: merchant.id, refundId, returnedAt, fee: back.fee, tax: back.tax },
    deps.clock(),
  );
}

/**
 * Where the fee goes back: where it was posted (payments.feeEntry), whatever fee posting and the
 * clearing account are today: a Spend Money out of a bank account comes back as a Receive Money into
 * it, a manual journal on an account as a journal back on it. Today's settings would bring it back
 * to another account than the one it left after a switch of clearing account or fee posting. A fee
 * posted before its entry was kept (migration 20261206T1510): today's clearing account for the
 * currency, a Receive Money when it is a bank account, otherwise a manual journal.
 */
async function placeOf(deps: FeeReturnDeps, merchant: Merchant, payment: Payment, row: FeeReturn): Promise<FeeReturnEntry> {
  const clearing = clearingAccountFor(merchant, payment.currency);
  // Kept from the first attempt: a retry after a lost answer looks where that attempt sent it (one
  // sent before the account was kept went to the clearing account of its day: today's is the best guess).
  if (row.entryKind) return { kind: row.entryKind, accountId: row.entryAccount ?? clearing };
  if (payment.feeEntry) return { kind: payment.feeEntry.kind === 'spend' ? 'receive' : 'journal', accountId: payment.feeEntry.accountId };
  const bank = (await deps.xero.listBankAccounts(merchant.xero)).some((a) => a.accountId === clearing);
  return { kind: bank ? 'receive' : 'journal', accountId: clearing };
}

/**
 * Back where the fee was posted (placeOf), once: a Receive Money or a manual journal; looked up by
 * Reference, where the attempt sent it, only after an unknown outcome or when the job was queued
 * again (`lookFirst`: it may have been booked by hand meanwhile).
 */
async function bookOnce(
  deps: FeeReturnDeps,
  merchant: Merchant,
  payment: Payment,
  row: FeeReturn,
  feeAccountCode: string,
  lookFirst: boolean,
): Promise<string> {
  const reference = feeReturnReference(payment.xenditInvoiceId);
  const place = await placeOf(deps, merchant, payment, row);
  const bank = place.kind === 'receive';
  // A journal is found by its Narration alone (one per payment): its lines name an account code,
  // which may have changed since, and one found on another account is ours all the same. An
  // attempt from before its account was kept is looked for on any account, as it was then.
  const sentTo = (t: { bankAccountId: string }) => t.bankAccountId === place.accountId || (row.entryKind !== null && row.entryAccount === null);
  const found = await foundEarlier(
    deps.clock(),
    { sentAt: row.attemptAt, lookFirst },
    async () =>
      bank
        ? (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find((t) => t.type === 'RECEIVE' && sentTo(t))?.bankTransactionId
        : (await deps.xero.findManualJournalsByNarration(merchant.xero, reference))[0]?.manualJournalId,
    'fee given back',
  );
  if (found) return found;
  const lines = feeLines(payment, { fee: row.fee, tax: row.tax, feeAccountCode }).map((l) => ({ ...l, description: `Returned: ${l.description}` }));
  const date = await organisationDate(deps, merchant, row.returnedAt, payment.currency);
  let seen = row.attemptAt;
  const mark = async (at: Date | null) => {
    const written = await deps.stores.feeReturns.noteAttempt(payment.id, place, at, deps.clock(), seen);
    if (written) seen = at;
    return written;
  };
  let id: string;
  if (bank) {
    const txn = { type: 'RECEIVE' as const, bankAccountId: place.accountId, contactName: FEE_CONTACT_NAME, date, reference, currencyCode: payment.currency };
    const created = await sendOnce(mark, deps.clock(), () =>
      deps.xero.createBankTransaction(merchant.xero, { ...txn, lineItems: lines, reconciled: true }, `xendit-fee-return-${payment.id}`),
    );
    id = created.bankTransactionId;
  } else {
    const total = row.fee + row.tax;
    const journal = [
      ...lines.map((l) => ({ ...l, amount: `-${l.amount}` })),
      {
        description: `Xendit fee and VAT given back for invoice ${payment.xenditInvoiceId}`,
        accountCode: await journalClearingCode(deps, merchant, payment, total, 'fee given back', place.accountId),
        amount: toDecimal(total, payment.currency),
      },
    ];
    const created = await sendOnce(mark, deps.clock(), () =>
      deps.xero.createManualJournal(merchant.xero, { narration: reference, date, lines: journal }, `xendit-fee-return-journal-${payment.id}`),
    );
    id = created.manualJournalId;
  }
  deps.crash?.('fee-return-accepted');
  return id;
}
