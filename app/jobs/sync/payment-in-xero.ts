import type { FeeDecision, Payment, XeroOverpaymentIds } from '../../store/payments.js';
import { clearingAccountFor, type Merchant } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import { XeroValidationRefusal } from '../../clients/xero/errors.js';
import { AmountError, toDecimal, toMinor, type Currency } from '../../money.js';
import { ClaimLost, NeedsReview, RetryLater } from '../runner.js';
import type { ClearingAccount, PaymentTarget, RecordPaymentDeps } from './payment-deps.js';
import { jobRow } from '../enqueue.js';
import { organisationBaseCurrency, organisationDate, refusedForNewLock } from './org-date.js';
import { foundEarlier, sendOnce } from './send-once.js';
import { OverpaymentUnrecordable, recordOverpayment } from './overpayment.js';
import { feeBillingWhenPaid } from './post-fee.js';

/** Reference on the Xero payment: how a retry finds what an earlier attempt already created. */
export function paymentReference(xenditInvoiceId: string): string {
  return `Xendit ${xenditInvoiceId}`;
}

/**
 * Puts `payment` on the Xero invoice exactly once, then marks it recorded and queues its fee in
 * one transaction. Shared by record-payment (checkouts) and record-backend-payment (invoices the
 * gateway did not create). Refusals become needs_review; anything else is thrown for a retry.
 */
export async function recordPaymentInXero(deps: RecordPaymentDeps, merchant: Merchant, target: PaymentTarget, payment: Payment, retry = 0): Promise<void> {
  const crash = deps.crash ?? (() => undefined);
  try {
    const fee = await feeToPost(deps, merchant, payment);
    const outcome = await withOverpayment(deps, merchant, target, payment, await recordOnce(deps, merchant, target, payment, retry));
    crash('after-xero-accepted');
    const now = deps.clock();
    const feeJob = fee !== 'not_needed' ? jobRow('post-fee', { paymentId: payment.id }, now, { merchantId: payment.merchantId }) : undefined;
    await deps.stores.payments.markInXero(payment, { ...outcome, fee }, now, feeJob);
    crash('after-store');
    if (outcome.reviewReason) {
      deps.logger.warn({ paymentId: payment.id, xeroPaymentId: outcome.xeroPaymentId, reason: outcome.reviewReason }, 'payment partly recorded in Xero');
      throw new NeedsReview(outcome.reviewReason);
    }
    deps.logger.info({ paymentId: payment.id, xeroPaymentId: outcome.xeroPaymentId }, 'payment recorded in Xero');
  } catch (err) {
    // Another run holds the job now (send-once.ts): the payment's row is that run's to write.
    if (err instanceof NeedsReview || err instanceof ClaimLost) throw err;
    if (err instanceof Unrecordable) return needsReview(deps, payment, err.message);
    if (await refusedForNewLock(deps, merchant, err)) throw new RetryLater(`Xero refused a date in a locked period: tried again dated after the lock date`, 1);
    if (err instanceof UpstreamError && err.kind === 'rejected') return needsReview(deps, payment, `Xero refused the payment: ${err.message}`);
    await deps.stores.payments.noteError(payment.id, err instanceof Error ? err.message : String(err), deps.clock());
    throw err;
  }
}

/** Whether a 'post-fee' job follows the payment: by how Xendit charged its fee when the customer paid (feeBillingWhenPaid), not today. */
async function feeToPost(deps: RecordPaymentDeps, merchant: Merchant, payment: Payment): Promise<FeeDecision> {
  if (merchant.feePosting === 'off') return 'not_needed';
  // Always post-fee while fees are deducted: the callback's fees_paid_amount (0 in Xendit's own
  // example, absent from xendit-node's model) cannot tell "no fee"; post-fee asks the transaction.
  // Billed monthly: only for the tax Xendit withholds still (post-fee.ts), if the merchant has its
  // account when the payment is marked recorded, not when this job loaded the merchant: an account
  // set meanwhile would otherwise leave the payment to neither this job nor the save's catch-up.
  return (await feeBillingWhenPaid(deps, merchant, payment)) === 'deducted' ? 'pending' : 'withholding';
}

/** Nothing can go into Xero without a person: the message says exactly why. */
class Unrecordable extends Error {}

interface Outcome {
  /** null only when nothing was due and the whole amount became an overpayment. */
  xeroPaymentId: string | null;
  amountRecorded?: number;
  reviewReason?: string;
  /** Collected at Xendit beyond what the invoice took. */
  over?: number;
  overpayment?: { amount: number } & XeroOverpaymentIds;
  /** Found in Xero only once Xero refused a create: made by a run this database does not know of, so its fee is looked up too. */
  feeMayExist?: boolean;
}

/**
 * The merchant opted in: what Xendit collected beyond the invoice becomes a Xero overpayment into
 * the clearing account the payment went into, so the account still reconciles. A refusal keeps the review reason.
 */
async function withOverpayment(deps: RecordPaymentDeps, merchant: Merchant, target: PaymentTarget, payment: Payment, outcome: Outcome): Promise<Outcome> {
  if (!outcome.over || !merchant.overpayments) return outcome;
  try {
    const ids = await recordOverpayment(deps, merchant, target, payment, outcome.over, outcome.xeroPaymentId === null);
    deps.logger.info({ paymentId: payment.id, ...ids, over: outcome.over }, 'over-payment recorded as a Xero overpayment');
    return { ...outcome, reviewReason: undefined, overpayment: { amount: outcome.over, ...ids } };
  } catch (err) {
    if (err instanceof UpstreamError && err.kind === 'rejected')
      return { ...outcome, reviewReason: `${outcome.reviewReason}; Xero refused it as an overpayment: ${err.message}` };
    if (err instanceof OverpaymentUnrecordable) return { ...outcome, reviewReason: `${outcome.reviewReason}; ${err.message}` };
    throw err;
  }
}

/**
 * Xero's Idempotency-Key lasts minutes, our Reference lasts forever. The database knows when an
 * earlier create may have reached Xero (sent and never answered: a crash, a lost response, a
 * timeout; or a part already recorded), and a retry (`retry`: queued again after review) may find
 * one a person recorded by hand: only then is the payment looked up by Reference first (foundEarlier).
 * Otherwise the whole amount goes to Xero at once and Xero judges it; what it refuses (more than
 * is due, an invoice no longer AUTHORISED, another currency) is then worked out with the invoice's
 * exact figures (recordWhatFits). Xero replays a stored answer, refusals included, for a repeated
 * key, so the follow-up create and a manual retry after the merchant fixed the cause get keys of their own.
 */
async function recordOnce(deps: RecordPaymentDeps, merchant: Merchant, checkout: PaymentTarget, payment: Payment, retry: number): Promise<Outcome> {
  const earlier = { sentAt: payment.xeroAttemptAt, lookFirst: Boolean(payment.xeroPaymentId) || retry > 0 };
  const found = await foundEarlier(deps.clock(), earlier, () => foundInXero(deps, merchant, checkout, payment), 'payment');
  if (found) return found;
  const clearing = await checkCurrencies(deps, merchant, checkout, payment, payment.currency);
  const key = retry ? `xendit-payment-${payment.id}-retry-${retry}` : `xendit-payment-${payment.id}`;
  try {
    return { xeroPaymentId: (await createOnce(deps, merchant, checkout, payment, payment.amount, key, clearing.bank)).paymentId };
  } catch (err) {
    if (!(err instanceof UpstreamError && err.kind === 'rejected')) throw err;
    // What Xero refused may be our own payment: made by an attempt this database lost track of (a
    // restored backup), or by a concurrent run since the lookup above. Then its fee may be in Xero too.
    const found = await foundInXero(deps, merchant, checkout, payment);
    if (found) return { ...found, feeMayExist: true };
    // Only a refusal with ValidationErrors says the amount was not taken; another (a 409) may come
    // while Xero still makes it, and the part that fits would then be a second payment.
    if (!(err instanceof XeroValidationRefusal)) throw err;
    return recordWhatFits(deps, merchant, checkout, payment, err, `${key}-fit`);
  }
}

/** What earlier attempts put on the invoice under the payment's Reference, as an outcome; null when nothing. */
async function foundInXero(deps: RecordPaymentDeps, merchant: Merchant, checkout: PaymentTarget, payment: Payment): Promise<Outcome | null> {
  const existing = await deps.xero.findPaymentsByReference(merchant.xero, checkout.xeroInvoiceId, payment.reference);
  if (existing.length === 0) return null;
  const money = (minor: number) => `${toDecimal(minor, payment.currency)} ${payment.currency}`;
  const inXero = existing.reduce((sum, p) => sum + minorOf(p.amount, payment.currency, 'a payment in Xero'), 0);
  if (inXero >= payment.amount) return { xeroPaymentId: existing[0].paymentId };
  return {
    xeroPaymentId: existing[0].paymentId,
    amountRecorded: inXero,
    over: payment.amount - inXero,
    reviewReason: `over-payment: paid ${money(payment.amount)} at Xendit, ${money(inXero)} recorded in Xero (${checkout.invoiceNumber}), ${money(payment.amount - inXero)} unrecorded`,
  };
}

/**
 * Xero refused the whole amount: the invoice is read and what Xero would take is decided with the
 * exact figures (status, currency, amount due). A refusal the figures do not explain goes to a
 * person in Xero's own words instead of being sent again.
 */
async function recordWhatFits(
  deps: RecordPaymentDeps,
  merchant: Merchant,
  checkout: PaymentTarget,
  payment: Payment,
  refusal: UpstreamError,
  key: string,
): Promise<Outcome> {
  const money = (minor: number) => `${toDecimal(minor, payment.currency)} ${payment.currency}`;
  const invoice = await deps.xero.getInvoice(merchant.xero, checkout.xeroInvoiceId);
  if (!invoice) throw new Unrecordable(`Xero invoice ${checkout.invoiceNumber} no longer exists`);
  if (invoice.status !== 'AUTHORISED' && invoice.status !== 'PAID') {
    throw new Unrecordable(`Xero invoice ${checkout.invoiceNumber} is ${invoice.status}: ${money(payment.amount)} paid at Xendit is unrecorded`);
  }
  const clearing = await checkCurrencies(deps, merchant, checkout, payment, invoice.currencyCode, { fresh: true });

  const due = minorOf(invoice.amountDue, payment.currency, `the amount due on ${checkout.invoiceNumber}`);
  const fits = Math.min(payment.amount, Math.max(due, 0));
  const over = payment.amount - fits;
  if (over === 0) throw refusal;
  const reason = `over-payment: paid ${money(payment.amount)} at Xendit, due was ${money(due)} in Xero (${checkout.invoiceNumber}), ${money(over)} unrecorded`;
  if (fits === 0) {
    if (merchant.overpayments) return { xeroPaymentId: null, amountRecorded: 0, over, reviewReason: reason };
    throw new Unrecordable(reason);
  }
  const created = await createOnce(deps, merchant, checkout, payment, fits, key, clearing.bank);
  return { xeroPaymentId: created.paymentId, amountRecorded: fits, over, reviewReason: reason };
}

/** One createPayment, marked before it is sent (see sendOnce). */
async function createOnce(
  deps: RecordPaymentDeps,
  merchant: Merchant,
  checkout: PaymentTarget,
  payment: Payment,
  amount: number,
  key: string,
  reconciled: boolean,
) {
  const date = await organisationDate(deps, merchant, payment.paidAt, payment.currency);
  const accountId = clearingAccountFor(merchant, payment.currency);
  return sendOnce(
    (at) => deps.stores.payments.noteXeroAttempt(payment.id, at, at ? accountId : undefined),
    deps.clock(),
    () =>
      deps.xero.createPayment(
        merchant.xero,
        {
          invoiceId: checkout.xeroInvoiceId,
          accountId,
          date,
          amount: toDecimal(amount, payment.currency),
          reference: payment.reference,
          reconciled,
        },
        key,
      ),
  );
}

/** Remembered for a clearing account Xero states no currency for (see checkCurrencies). */
const UNSTATED = '*';

/**
 * Xero takes a payment only into a bank account of the invoice's currency (without a rate we do
 * not have). Before the first create the payment's currency stands in for the invoice's, from the
 * cache when it can (a cold cache costs one account listing per merchant and clearing account);
 * `fresh` (after a refusal) asks Xero again.
 */
async function checkCurrencies(
  deps: RecordPaymentDeps,
  merchant: Merchant,
  checkout: Pick<PaymentTarget, 'invoiceNumber'>,
  payment: Pick<Payment, 'currency' | 'amount'>,
  invoiceCurrency: string,
  opts: { fresh?: boolean } = {},
): Promise<ClearingAccount> {
  if (invoiceCurrency !== payment.currency) {
    throw new Unrecordable(`Xero invoice ${checkout.invoiceNumber} is now in ${invoiceCurrency}, Xendit was paid in ${payment.currency}`);
  }
  const accountId = clearingAccountFor(merchant, payment.currency);
  const remembered = opts.fresh ? undefined : deps.bankAccounts?.accountOf(merchant.id, accountId);
  if (remembered && (remembered.currency === invoiceCurrency || remembered.currency === UNSTATED)) return remembered;
  const bankAccount = (await deps.xero.listBankAccounts(merchant.xero)).find((a) => a.accountId === accountId);
  const account = bankAccount ?? (await paymentsEnabledAccount(deps, merchant, accountId));
  if (!account) throw new Unrecordable(`the clearing account ${accountId} is not an active bank account in Xero (nor an account with payments enabled)`);
  if (account.currencyCode && account.currencyCode !== invoiceCurrency) {
    throw new Unrecordable(
      `currency mismatch: the clearing account ${account.name} is in ${account.currencyCode}, invoice ${checkout.invoiceNumber} is in ${invoiceCurrency}; ` +
        `configure a clearing account in ${invoiceCurrency} (merchants add --clearing-account ${invoiceCurrency}=ID) to record ${toDecimal(payment.amount, payment.currency)} ${payment.currency}`,
    );
  }
  // Xero may leave currencyCode out (the base currency; a non-bank account): remembered as such,
  // since Xero itself refuses a payment in another currency and the refusal checks again, fresh.
  const known = { currency: account.currencyCode ?? UNSTATED, bank: bankAccount !== undefined };
  deps.bankAccounts?.remember(merchant.id, accountId, known);
  return known;
}

/**
 * Why a payment of this money could not go into the merchant's clearing account (checkCurrencies),
 * or null: asked before a backend sale is made, so an unrecordable one goes to review before Xero
 * holds an AUTHORISED invoice (due the day it is dated: Xero's reminders would chase a customer who paid).
 */
export async function clearingProblem(
  deps: RecordPaymentDeps,
  merchant: Merchant,
  invoiceNumber: string,
  money: Pick<Payment, 'currency' | 'amount'>,
): Promise<string | null> {
  try {
    const account = await checkCurrencies(deps, merchant, { invoiceNumber }, money, money.currency);
    if (account.currency !== UNSTATED) return null;
    // An account Xero states no currency for (one with payments enabled, not a bank account) is in
    // the base currency: a sale in another would be made AUTHORISED, and its payment refused.
    const base = await organisationBaseCurrency(deps, merchant);
    if (base === money.currency) return null;
    return (
      `currency mismatch: the clearing account ${clearingAccountFor(merchant, money.currency)} is in the organisation's base currency ${base}, the sale is in ${money.currency}; ` +
      `configure a clearing account in ${money.currency} (merchants add --clearing-account ${money.currency}=ID)`
    );
  } catch (err) {
    if (err instanceof Unrecordable) return err.message;
    throw err;
  }
}

/** A non-bank clearing account (needed for manual-journal fees) takes payments when Xero has payments enabled on it. */
async function paymentsEnabledAccount(deps: RecordPaymentDeps, merchant: Merchant, accountId: string) {
  const account = await deps.xero.getAccount(merchant.xero, accountId);
  return account && account.status === 'ACTIVE' && account.enablePaymentsToAccount ? { ...account, currencyCode: undefined } : undefined;
}

function minorOf(decimal: string, currency: Currency, what: string): number {
  try {
    return toMinor(decimal, currency);
  } catch (err) {
    if (err instanceof AmountError) throw new Unrecordable(`${what} (${decimal} ${currency}) cannot be handled in ${currency}: ${err.message}`);
    throw err;
  }
}

export async function needsReview(deps: RecordPaymentDeps, payment: Payment, reason: string): Promise<never> {
  await deps.stores.payments.markNeedsReview(payment.id, reason, deps.clock());
  throw new NeedsReview(reason);
}
