import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import type { Checkout } from '../../store/checkouts.js';
import type { CheckoutStatus } from '../../store/schema.js';
import type { Payment } from '../../store/payments.js';
import { checkoutKey, clearingAccountFor, mayRecordInXero, type Merchant } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import type { XenditGateway, XenditInvoice } from '../../clients/xendit/types.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import { AmountError, toDecimal, toMinor, type Currency } from '../../money.js';
import { NeedsReview, RetryLater } from '../runner.js';
import type { CrashHook } from './crash-points.js';
import { InvoicePayload } from '../kinds.js';
import { jobRow } from '../enqueue.js';
import { organisationDate, refusedForNewLock } from './org-date.js';
import { sendOnce } from './send-once.js';
import { OverpaymentUnrecordable, recordOverpayment } from './overpayment.js';
import { feeBillingWhenPaid } from './post-fee.js';

export interface RecordPaymentDeps {
  stores: Stores;
  xero: XeroGateway;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  crash?: CrashHook;
  /** Clearing accounts already seen active in Xero, with their currency (createBankAccountCache). */
  bankAccounts?: BankAccountCache;
}

/**
 * A clearing account's currency, once Xero listed it as an active bank account, for `ttlMs`: a
 * backlog of payments then costs one account listing per merchant every few minutes instead of
 * one per payment. Xero fixes a bank account's currency when it is created; an account archived
 * since is refused by Xero itself, and the refusal runs the check again without the cache.
 */
export function createBankAccountCache(clock: Clock, ttlMs = 10 * 60_000) {
  const seen = new Map<string, ClearingAccount & { until: number }>();
  const key = (merchantId: string, accountId: string) => `${merchantId}:${accountId}`;
  return {
    accountOf(merchantId: string, accountId: string): ClearingAccount | undefined {
      const hit = seen.get(key(merchantId, accountId));
      return hit && hit.until > clock().getTime() ? hit : undefined;
    },
    remember(merchantId: string, accountId: string, account: ClearingAccount): void {
      if (seen.size >= 10_000) seen.clear();
      seen.set(key(merchantId, accountId), { ...account, until: clock().getTime() + ttlMs });
    },
  };
}
export type BankAccountCache = ReturnType<typeof createBankAccountCache>;
/** What a payment needs to know of its clearing account: its currency ('*': unstated) and whether it is a BANK account. */
interface ClearingAccount {
  currency: string;
  bank: boolean;
}

/** Reference on the Xero payment: how a retry finds what an earlier attempt already created. */
export function paymentReference(xenditInvoiceId: string): string {
  return `Xendit ${xenditInvoiceId}`;
}

/**
 * Xendit says an invoice was paid: record the payment in Xero exactly once. Amounts come from our
 * checkout and Xendit's own record of the invoice, never from the callback body.
 */
export function recordPaymentJob(deps: RecordPaymentDeps) {
  const crash = deps.crash ?? (() => undefined);
  return async (job: Job): Promise<void> => {
    crash('after-claim');
    const { merchantId, xenditInvoiceId, retry = 0 } = InvoicePayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);

    const { invoice: xInvoice, key } = await readInvoice(deps, merchant, xenditInvoiceId);
    crash('after-xendit-refetch');
    if (!xInvoice) throw new NeedsReview(await notFoundReason(deps, merchant, xenditInvoiceId));
    const checkout = await deps.stores.checkouts.forXenditInvoice(merchant.id, xInvoice.id, xInvoice.externalId);
    if (!checkout) throw new NeedsReview(`Xendit invoice ${xInvoice.id} was not created by this gateway`);

    if (xInvoice.status === 'EXPIRED') {
      await deps.stores.checkouts.transition(checkout.id, ['open', 'superseded'], 'expired', deps.clock());
      return;
    }
    if (xInvoice.status === 'PENDING') throw new RetryLater(`Xendit invoice ${xInvoice.id} is not paid yet`);

    const payment = await deps.stores.payments.getOrCreate(paymentFrom(merchant, checkout, xInvoice, deps.clock()), deps.clock());
    // Marked before the checkout reads as paid, so the customer's receipt never calls a test payment real.
    // Test or live by the key whose account holds the invoice, not the mode in use now.
    const testMode = payment.syncState === 'test_mode' || (payment.syncState !== 'recorded' && !mayRecordInXero({ ...merchant, xenditSecretKey: key }));
    if (testMode && payment.syncState !== 'test_mode') {
      await deps.stores.payments.markTestMode(payment.id, TEST_MODE_REASON, deps.clock());
      deps.logger.info({ merchantId, xenditInvoiceId: xInvoice.id }, 'test-mode payment kept out of Xero');
    }
    const from: CheckoutStatus[] = ['creating', 'open', 'expired', 'superseded'];
    if (checkout.xenditInvoiceId) await deps.stores.checkouts.transition(checkout.id, from, 'paid', deps.clock());
    // Kept 'creating' after its create's answer was lost, found by its external id: it learns which invoice was paid.
    else await deps.stores.checkouts.markPaidWith(checkout.id, { xenditInvoiceId: xInvoice.id, invoiceUrl: xInvoice.invoiceUrl }, deps.clock());
    if (payment.syncState === 'recorded' || testMode) return;

    const mismatch = amountMismatch(checkout, xInvoice);
    if (mismatch) return needsReview(deps, payment, mismatch);

    await recordPaymentInXero(deps, merchant, checkout, payment, retry);
  };
}

/**
 * The invoice as Xendit holds it: with the key of its checkout's mode (checkoutKey; the key in use
 * when no checkout has its id yet), else with the merchant's other stored key. A checkout made
 * before the merchant switched between test and live is in the other mode's account (paid before
 * it could be expired there: jobs/sync/retire-xendit-key.ts). `key`: the one that read it.
 */
async function readInvoice(deps: RecordPaymentDeps, merchant: Merchant, id: string): Promise<{ invoice: XenditInvoice | null; key: string }> {
  const made = await deps.stores.checkouts.forXenditInvoice(merchant.id, id, '');
  const key = checkoutKey(merchant, made).key || merchant.xenditSecretKey;
  const invoice = await deps.xendit.getInvoice(key, id);
  const other = [merchant.xenditKeys.test, merchant.xenditKeys.live, merchant.xenditSecretKey].find((k) => k && k !== key);
  if (invoice || !other) return { invoice, key };
  try {
    return { invoice: await deps.xendit.getInvoice(other, id), key: other };
  } catch (err) {
    // The other key refused (revoked): it cannot say, and the review must not wait on it.
    if (err instanceof UpstreamError && err.kind === 'unauthorized') return { invoice: null, key };
    throw err;
  }
}

/**
 * Neither stored key sees the invoice. When one of our checkouts holds it and was made with a key the
 * merchant has since replaced, the payment is in that key's account, which the gateway can no longer
 * read: a person records it, told which key (its last 4 characters, as the admin and audit log show).
 */
async function notFoundReason(deps: RecordPaymentDeps, merchant: Merchant, id: string): Promise<string> {
  const checkout = await deps.stores.checkouts.forXenditInvoice(merchant.id, id, '');
  const key = checkoutKey(merchant, checkout);
  if (!checkout?.xenditMode || !checkout.xenditKeyHint || !key.replaced) return `Xendit has no invoice ${id}`;
  return (
    `Xendit has no invoice ${id} under this merchant's keys: its checkout (invoice ${checkout.invoiceNumber}) was made with the ${key.mode} key ${key.hint}, ` +
    `since replaced, so the payment is in that key's Xendit account; check it there and record it in Xero by hand`
  );
}

export const TEST_MODE_REASON =
  'Paid with a Xendit test key: not recorded in Xero, because this Xero organisation is not marked as a test or demo company (merchant settings).';

/** The Xero invoice a payment goes on. */
export interface PaymentTarget {
  xeroInvoiceId: string;
  invoiceNumber: string;
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
    const feeJob = fee === 'pending' ? jobRow('post-fee', { paymentId: payment.id }, now, { merchantId: payment.merchantId }) : undefined;
    await deps.stores.payments.markInXero(payment, { ...outcome, fee }, now, feeJob);
    crash('after-store');
    if (outcome.reviewReason) {
      deps.logger.warn({ paymentId: payment.id, xeroPaymentId: outcome.xeroPaymentId, reason: outcome.reviewReason }, 'payment partly recorded in Xero');
      throw new NeedsReview(outcome.reviewReason);
    }
    deps.logger.info({ paymentId: payment.id, xeroPaymentId: outcome.xeroPaymentId }, 'payment recorded in Xero');
  } catch (err) {
    if (err instanceof NeedsReview) throw err;
    if (err instanceof Unrecordable) return needsReview(deps, payment, err.message);
    if (await refusedForNewLock(deps, merchant, err)) throw new RetryLater(`Xero refused a date in a locked period: tried again dated after the lock date`, 1);
    if (err instanceof UpstreamError && err.kind === 'rejected') return needsReview(deps, payment, `Xero refused the payment: ${err.message}`);
    await deps.stores.payments.noteError(payment.id, err instanceof Error ? err.message : String(err), deps.clock());
    throw err;
  }
}

/** Whether a 'post-fee' job follows the payment: by how Xendit charged its fee when the customer paid (feeBillingWhenPaid), not today. */
async function feeToPost(deps: RecordPaymentDeps, merchant: Merchant, payment: Payment): Promise<'pending' | 'not_needed'> {
  if (merchant.feePosting === 'off') return 'not_needed';
  // Always post-fee while fees are deducted: the callback's fees_paid_amount (0 in Xendit's own
  // example, absent from xendit-node's model) cannot tell "no fee"; post-fee asks the transaction.
  // Billed monthly: only for the tax Xendit withholds still (post-fee.ts), if the merchant has its account.
  return (await feeBillingWhenPaid(deps, merchant, payment)) === 'deducted' || merchant.withholdingAccountCode ? 'pending' : 'not_needed';
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
  overpayment?: { amount: number; xeroOverpaymentId: string };
  /** Found in Xero only once Xero refused a create: made by a run this database does not know of, so its fee is looked up too. */
  feeMayExist?: boolean;
}

/**
 * The merchant opted in: what Xendit collected beyond the invoice becomes a Xero overpayment into
 * the clearing account, so the account still reconciles. A refusal keeps the review reason.
 */
async function withOverpayment(deps: RecordPaymentDeps, merchant: Merchant, target: PaymentTarget, payment: Payment, outcome: Outcome): Promise<Outcome> {
  if (!outcome.over || !merchant.overpayments) return outcome;
  try {
    const xeroOverpaymentId = await recordOverpayment(deps, merchant, target, payment, outcome.over);
    deps.logger.info({ paymentId: payment.id, xeroOverpaymentId, over: outcome.over }, 'over-payment recorded as a Xero overpayment');
    return { ...outcome, reviewReason: undefined, overpayment: { amount: outcome.over, xeroOverpaymentId } };
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
 * timeout; or a part already recorded): only then is the payment looked up by Reference first.
 * Otherwise the whole amount goes to Xero at once and Xero judges it; what it refuses (more than
 * is due, an invoice no longer AUTHORISED, another currency) is then worked out with the invoice's
 * exact figures (recordWhatFits). Xero replays a stored answer, refusals included, for a repeated
 * key, so the follow-up create and a manual retry after the merchant fixed the cause get keys of their own.
 */
async function recordOnce(deps: RecordPaymentDeps, merchant: Merchant, checkout: PaymentTarget, payment: Payment, retry: number): Promise<Outcome> {
  if (payment.xeroAttemptAt || payment.xeroPaymentId) {
    const found = await foundInXero(deps, merchant, checkout, payment);
    if (found) return found;
  }
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
  return sendOnce(
    (at) => deps.stores.payments.noteXeroAttempt(payment.id, at),
    deps.clock(),
    () =>
      deps.xero.createPayment(
        merchant.xero,
        {
          invoiceId: checkout.xeroInvoiceId,
          accountId: clearingAccountFor(merchant, payment.currency),
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
  checkout: PaymentTarget,
  payment: Payment,
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

function paymentFrom(merchant: Merchant, checkout: Checkout, x: XenditInvoice, now: Date) {
  return {
    id: randomUUID(),
    merchantId: merchant.id,
    checkoutId: checkout.id,
    xenditInvoiceId: x.id,
    xeroInvoiceId: checkout.xeroInvoiceId,
    currency: checkout.currency,
    amount: checkout.amount,
    fee: x.feesPaidAmount ?? null,
    feeTax: x.feeTax ?? null,
    feeRaw: x.feesPaidRaw ?? null,
    paidAt: x.paidAt ? new Date(x.paidAt) : now,
    reference: paymentReference(x.id),
    paymentMethod: x.paymentMethod ?? null,
    paymentChannel: x.paymentChannel ?? null,
    xenditPaymentId: x.paymentId ?? null,
  };
}

function amountMismatch(checkout: Checkout, x: XenditInvoice): string | null {
  const paid = x.paidAmount ?? x.amount;
  if (x.currency !== checkout.currency || paid !== checkout.amount) {
    return `Xendit reports ${toDecimal(paid, x.currency)} ${x.currency} paid, the checkout was for ${toDecimal(checkout.amount, checkout.currency)} ${checkout.currency}`;
  }
  return null;
}

async function needsReview(deps: RecordPaymentDeps, payment: Payment, reason: string): Promise<never> {
  await deps.stores.payments.markNeedsReview(payment.id, reason, deps.clock());
  throw new NeedsReview(reason);
}

/**
 * The runner gave up on (or refused) a job recording a payment (the registry hooks it to those kinds): a payment still 'pending' would wait
 * forever, hidden from the needs-review list and its Retry button, so it is flagged with the reason.
 */
export function flagPaymentForReview(deps: Pick<RecordPaymentDeps, 'stores' | 'clock'>) {
  return async (job: Job, reason: string): Promise<void> => {
    const parsed = InvoicePayload.safeParse(job.payload);
    if (!parsed.success) return;
    const payment = await deps.stores.payments.byXenditInvoice(parsed.data.merchantId, parsed.data.xenditInvoiceId);
    if (payment?.syncState === 'pending') await deps.stores.payments.markNeedsReview(payment.id, reason, deps.clock());
  };
}
