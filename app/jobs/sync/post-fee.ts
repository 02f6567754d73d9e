import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import { clearingAccountFor, paymentClearingAccount, type Merchant, type XenditFeeBilling } from '../../store/merchants.js';
import type { Payment } from '../../store/payments.js';
import type { FeeEntry } from '../../store/payment-fees.js';
import { UpstreamError } from '../../clients/types.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import { toDecimal, type Currency } from '../../money.js';
import { ClaimLost, NeedsReview, RetryLater } from '../runner.js';
import { organisationBaseCurrency, organisationDate, refusedForNewLock } from './org-date.js';
import { foundEarlier, requeued, sendOnce, type Earlier } from './send-once.js';
import { PostFeePayload } from '../kinds.js';
import { feeFromTransactionOrReview, feeNeedsReview, feeReference, NO_WITHHOLDING_ACCOUNT, unitOf } from './fee-read.js';

export { FEE_PENDING_WAIT_MS, feeReference, feeTaxQueryOf, LEDGER_LAG_MS } from './fee-read.js';

export interface PostFeeDeps {
  stores: Stores;
  xero: XeroGateway;
  /**
   * Asked for Xendit's fee and its VAT (the payment's transaction). Without it (tools, old tests)
   * the callback's fees_paid_amount is used and no VAT is posted.
   */
  xendit?: XenditGateway;
  clock: Clock;
  logger: Logger;
}

/** The contact Xero requires on a Spend Money transaction. */
export const FEE_CONTACT_NAME = 'Xendit';

/**
 * Xendit keeps its fee plus VAT on that fee and settles the rest: posting both from the clearing
 * account to the merchant's fee expense account leaves the clearing account at what Xendit pays
 * out. By default a Spend Money transaction; per merchant a manual journal (as Xendit's own
 * integration does), which Xero allows only when the clearing account is not a bank account.
 * Tax Xendit withheld goes on the same entry, to the withholding tax account (fee-read.ts).
 * Its own job, queued when the payment is recorded, so a fee problem never touches the payment.
 */
export function postFeeJob(deps: PostFeeDeps) {
  return async (job: Job): Promise<void> => {
    const { paymentId } = PostFeePayload.parse(job.payload);
    const payment = await deps.stores.payments.byId(paymentId);
    if (!payment) throw new NeedsReview(`payment ${paymentId} no longer exists`);
    if (payment.feeState === 'posted' || payment.feeState === 'not_needed') return;
    const merchant = await deps.stores.merchants.byId(payment.merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${payment.merchantId} no longer exists`);

    if (merchant.feePosting === 'off') return void (await deps.stores.payments.markFeeNotNeeded(payment.id, deps.clock()));
    // Fees invoiced separately were never taken from this payment, but tax Xendit withholds from
    // what it remits is (fee-read.ts): that alone is posted, under the fee's Reference.
    const billed = (await feeBillingWhenPaid(deps, merchant, payment)) === 'invoiced';
    let fee: number;
    let tax: number;
    let withheld = 0;
    if (billed) {
      fee = 0;
      tax = 0;
      if (payment.feeTax !== null) withheld = payment.feeWithheld ?? 0;
      else if (deps.xendit && merchant.xenditSecretKey) ({ withheld } = await feeFromTransactionOrReview(deps, deps.xendit, merchant, payment, true));
      if (withheld > 0 && !merchant.withholdingAccountCode) return feeNeedsReview(deps, payment, NO_WITHHOLDING_ACCOUNT);
    } else if (payment.feeTax !== null) {
      // Read from the transaction by an earlier attempt (and kept): a retry posts the same figures.
      fee = payment.fee ?? 0;
      tax = payment.feeTax;
      withheld = payment.feeWithheld ?? 0;
      if (withheld > 0 && !merchant.withholdingAccountCode) return feeNeedsReview(deps, payment, NO_WITHHOLDING_ACCOUNT);
    } else if (deps.xendit && merchant.xenditSecretKey) {
      // Never the callback's fees_paid_amount: 0 or absent there does not mean Xendit took no fee.
      ({ fee, tax, withheld } = await feeFromTransactionOrReview(deps, deps.xendit, merchant, payment));
    } else {
      if (payment.feeRaw !== null) {
        const unit = unitOf(payment.currency);
        return feeNeedsReview(
          deps,
          payment,
          `Xendit reported a fee of ${payment.feeRaw} ${payment.currency}, which does not fit ${payment.currency} (${unit}): not posted; post it by hand`,
        );
      }
      fee = payment.fee ?? 0;
      tax = 0;
    }
    if (fee + tax + withheld <= 0) return void (await deps.stores.payments.markFeeNotNeeded(payment.id, deps.clock()));
    // Tax withheld alone (a billed fee, or none) needs no fee account: its lines of 0 are left out.
    if (fee + tax > 0 && !merchant.feeAccountCode) return feeNeedsReview(deps, payment, 'no fee account is configured for this merchant');
    const withholding = withheld > 0 ? { amount: withheld, accountCode: merchant.withholdingAccountCode! } : undefined;

    try {
      const figures = { fee, tax, feeAccountCode: merchant.feeAccountCode ?? '', ...(withholding ? { withholding } : {}) };
      const txnId = await postOnce(deps, merchant, payment, figures, requeued(job));
      await deps.stores.payments.markFeePosted(payment.id, txnId, deps.clock());
      deps.logger.info({ paymentId: payment.id, xeroFeeTxnId: txnId, posting: merchant.feePosting }, 'fee posted in Xero');
    } catch (err) {
      if (err instanceof ClaimLost) throw err;
      if (err instanceof FeeUnpostable) return feeNeedsReview(deps, payment, err.message);
      if (await refusedForNewLock(deps, merchant, err))
        throw new RetryLater(`Xero refused a date in a locked period: tried again dated after the lock date`, 1);
      if (err instanceof UpstreamError && err.kind === 'rejected') return feeNeedsReview(deps, payment, `Xero refused the fee: ${err.message}`);
      await deps.stores.payments.noteFeeError(payment.id, err instanceof Error ? err.message : String(err), deps.clock());
      throw err;
    }
  };
}

/**
 * The runner gave up on (or refused) a fee's job (the registry hooks it to post-fee): a fee still
 * 'pending' would read as on its way, kept out of the needs-review count and making the fee
 * Xendit gives back wait for it; so it is flagged with the reason, for the job's replay.
 */
export function flagFeeForReview(deps: Pick<PostFeeDeps, 'stores' | 'clock'>) {
  return async (job: Job, reason: string): Promise<void> => {
    const parsed = PostFeePayload.safeParse(job.payload);
    if (!parsed.success) return;
    const payment = await deps.stores.payments.byId(parsed.data.paymentId);
    if (payment?.feeState === 'pending') await deps.stores.payments.markFeeNeedsReview(payment.id, reason, deps.clock());
  };
}

/**
 * How Xendit charged its fee on this payment: by the setting in force when the customer paid
 * (fee_billing_changes), as the report and the monthly fee bills judge it. Today's setting would
 * drop a fee taken from the payment (waiting here, then the merchant switched to monthly bills,
 * which do not include it) or post one the monthly bill also holds.
 */
export async function feeBillingWhenPaid(deps: Pick<PostFeeDeps, 'stores'>, merchant: Merchant, payment: Pick<Payment, 'paidAt'>): Promise<XenditFeeBilling> {
  return (await deps.stores.feeBills.billingAt(merchant))(payment.paidAt);
}

/** A reason a person must post the fee. */
export class FeeUnpostable extends Error {}

export interface FeeFigures {
  fee: number;
  tax: number;
  feeAccountCode: string;
  /** Tax Xendit withheld, booked on the fee's entry to its own account (never given back with the fee). */
  withholding?: { amount: number; accountCode: string };
}

/**
 * The fee line and, when Xendit charged VAT on its fee, a line of its own for that tax; then the
 * tax Xendit withheld, to the withholding tax account (no tax on it: the entry is NoTax).
 */
export function feeLines(payment: Payment, f: FeeFigures) {
  const lines = feeAndVatLines(payment.currency, `invoice ${payment.xenditInvoiceId}`, f);
  if (f.withholding)
    lines.push({
      description: `Tax withheld by Xendit, invoice ${payment.xenditInvoiceId}`,
      accountCode: f.withholding.accountCode,
      amount: toDecimal(f.withholding.amount, payment.currency),
    });
  return lines.filter((l) => l.amount !== toDecimal(0, payment.currency));
}

/** Xendit's fee on `what` (a payment's invoice, a withdrawal) to the fee account, and the VAT on it, when any, on a line of its own. */
export function feeAndVatLines(currency: Currency, what: string, f: Pick<FeeFigures, 'fee' | 'tax' | 'feeAccountCode'>) {
  const lines = [{ description: `Xendit fee, ${what}`, accountCode: f.feeAccountCode, amount: toDecimal(f.fee, currency) }];
  if (f.tax > 0) lines.push({ description: `VAT on Xendit fee, ${what}`, accountCode: f.feeAccountCode, amount: toDecimal(f.tax, currency) });
  return lines;
}

/**
 * What earlier attempts say of the fee in Xero: looked up by Reference first only when it may be
 * there. fee_attempt_at with its entry: a create sent, not answered. fee_attempt_at alone: one sent
 * before entries were kept, or a mark no create set (the withholding catch-up's, a payment found in
 * Xero after a refusal), to look first but not to wait on. xero_fee_txn_id: posted once, yet run
 * again (a fee an older release set back to pending when its payment was recorded again).
 * `again`: the job was queued again (requeued), and the fee may have been posted by hand meanwhile.
 */
function earlierFee(payment: Payment, again: boolean): Earlier {
  return {
    sentAt: payment.feeEntry ? payment.feeAttemptAt : null,
    lookFirst: Boolean(payment.feeAttemptAt || payment.xeroFeeTxnId) || again,
  };
}

/** The fee in Xero once: found where an earlier attempt may have sent it, else made as the settings say now. The normal path is the create alone (see earlierFee). */
async function postOnce(deps: PostFeeDeps, merchant: Merchant, payment: Payment, f: FeeFigures, again: boolean): Promise<string> {
  const found = await foundEarlier(deps.clock(), earlierFee(payment, again), () => feeFoundInXero(deps, merchant, payment), 'fee');
  if (found) return found;
  return merchant.feePosting === 'manual_journal' ? journalOnce(deps, merchant, payment, f) : spendOnce(deps, merchant, payment, f);
}

/**
 * The fee an earlier attempt put in Xero, looked for where that attempt sent it (payments.feeEntry,
 * committed with its attempt mark), whatever fee posting and the clearing account are now: looking
 * only where today's settings point made a second entry after a switch of either. An attempt made
 * before the entry was kept, or a mark set with no entry (the withholding catch-up's), is looked
 * for both ways and in any account: the create posts into the account the payment went into
 * (paymentClearingAccount), and an entry booked by hand or by an older release may be in another.
 */
async function feeFoundInXero(deps: PostFeeDeps, merchant: Merchant, payment: Payment): Promise<string | null> {
  const reference = feeReference(payment.xenditInvoiceId);
  const kinds: FeeEntry['kind'][] = merchant.feePosting === 'manual_journal' ? ['journal', 'spend'] : ['spend', 'journal'];
  const places: { kind: FeeEntry['kind']; accountId?: string }[] = payment.feeEntry ? [payment.feeEntry] : kinds.map((kind) => ({ kind }));
  for (const place of places) {
    if (place.kind === 'spend') {
      const ours = (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find(
        (t) => t.type === 'SPEND' && (place.accountId === undefined || t.bankAccountId === place.accountId),
      );
      if (ours) return ours.bankTransactionId;
    } else {
      const [journal] = await deps.xero.findManualJournalsByNarration(merchant.xero, reference);
      if (journal) return journal.manualJournalId;
    }
  }
  return null;
}

/** Spend Money out of the clearing bank account its payment went into: the fee may wait hours, and the merchant may switch accounts meanwhile. */
async function spendOnce(deps: PostFeeDeps, merchant: Merchant, payment: Payment, f: FeeFigures): Promise<string> {
  const reference = feeReference(payment.xenditInvoiceId);
  const clearing = paymentClearingAccount(merchant, payment);
  const entry: FeeEntry = { kind: 'spend', accountId: clearing };
  const date = await organisationDate(deps, merchant, payment.paidAt, payment.currency);
  const created = await sendOnce(
    (at) => deps.stores.payments.noteFeeAttempt(payment.id, entry, at),
    deps.clock(),
    () =>
      deps.xero.createBankTransaction(
        merchant.xero,
        {
          type: 'SPEND',
          bankAccountId: clearing,
          contactName: FEE_CONTACT_NAME,
          date,
          reference,
          currencyCode: payment.currency,
          lineItems: feeLines(payment, f),
          // Bank transactions live on BANK accounts only, and nothing will ever match this one from a feed.
          reconciled: true,
        },
        `xendit-fee-${payment.id}`,
      ),
  );
  return created.bankTransactionId;
}

/**
 * Debit the fee account, credit the clearing account. Xero refuses manual-journal lines on BANK
 * accounts, so the clearing account must be another type with payments enabled.
 */
async function journalOnce(deps: PostFeeDeps, merchant: Merchant, payment: Payment, f: FeeFigures): Promise<string> {
  const narration = feeReference(payment.xenditInvoiceId);
  const entry: FeeEntry = { kind: 'journal', accountId: paymentClearingAccount(merchant, payment) };
  const lines = feeLines(payment, f);
  const kept = f.fee + f.tax + (f.withholding?.amount ?? 0);
  lines.push({
    description: `${f.fee + f.tax > 0 ? `Xendit fee and VAT${f.withholding ? ' and tax withheld' : ''}` : 'Tax withheld by Xendit'} kept from invoice ${payment.xenditInvoiceId}`,
    accountCode: await journalClearingCode(deps, merchant, payment, kept, 'fee', entry.accountId),
    amount: `-${toDecimal(kept, payment.currency)}`,
  });
  const date = await organisationDate(deps, merchant, payment.paidAt, payment.currency);
  const created = await sendOnce(
    (at) => deps.stores.payments.noteFeeAttempt(payment.id, entry, at),
    deps.clock(),
    () => deps.xero.createManualJournal(merchant.xero, { narration, date, lines }, `xendit-fee-journal-${payment.id}`),
  );
  return created.manualJournalId;
}

/**
 * The clearing account's code for a manual journal line, or why Xero would refuse the journal
 * (`what`: the entry, for the message). `clearingId`: today's clearing account for the currency
 * unless given (a fee goes against its payment's account, a fee given back to the account its fee
 * was posted against).
 */
export async function journalClearingCode(
  deps: Pick<PostFeeDeps, 'xero' | 'stores'>,
  merchant: Merchant,
  payment: Payment,
  total: number,
  what: string,
  clearingId = clearingAccountFor(merchant, payment.currency),
): Promise<string> {
  const clearing = await deps.xero.getAccount(merchant.xero, clearingId);
  if (!clearing) throw new FeeUnpostable(`the clearing account ${clearingId} does not exist in Xero: ${what} not posted`);
  if (clearing.type === 'BANK') {
    throw new FeeUnpostable(
      `fee posting is manual_journal but the clearing account ${clearing.name} is a bank account, and Xero does not allow manual journals on bank accounts: ` +
        `${what} ${toDecimal(total, payment.currency)} ${payment.currency} not posted (use fee posting bank_transaction, or a non-bank clearing account with payments enabled)`,
    );
  }
  if (!clearing.code)
    throw new FeeUnpostable(`the clearing account ${clearing.name} has no account code, which a manual journal line needs: ${what} not posted`);
  // A ManualJournal has no CurrencyCode (xero_accounting.yaml ManualJournal): its lines are in the
  // organisation's base currency, so another currency's figures would be booked as base-currency amounts.
  const base = await organisationBaseCurrency(deps, merchant);
  if (base !== payment.currency) {
    throw new FeeUnpostable(
      `manual journals are in the organisation's base currency (${base}; Xero's ManualJournal has no currency) and this payment is in ${payment.currency}: ` +
        `${what} ${toDecimal(total, payment.currency)} ${payment.currency} not posted; post it by hand in ${base}`,
    );
  }
  return clearing.code;
}
