/**
 * The fee Xendit gives back with a refund (some channels do: docs.xendit.co "Creating Refunds",
 * help.xendit.co per channel), carried into Xero so the clearing account follows the balance.
 *
 * Where Xendit shows a fee given back is not documented beyond one field: the payment's transaction
 * has a fee.status whose values include REVERSED and CANCELED (xendit-node FeeResponse; docs.xendit.co
 * Transactions API). So, when a refund of a payment whose fee the gateway posted is booked, the
 * payment's transaction is read again; only when its fee.status says Xendit no longer keeps the fee
 * is the fee (and its VAT) as posted brought back: a Receive Money into the clearing account from the
 * fee account (a manual journal for merchants who post fees that way), Reference
 * `Xendit fee returned <invoice id>`, once per payment. A fee given back any other way (a partial
 * give-back, another ledger line) is not booked; it shows as a difference of the balances.
 */
import type { Merchant } from '../../store/merchants.js';
import { clearingAccountFor } from '../../store/merchants.js';
import type { Payment } from '../../store/payments.js';
import type { Refund } from '../../store/refunds.js';
import type { FeeReturn } from '../../store/fee-returns.js';
import { UpstreamError } from '../../clients/types.js';
import { toDecimal } from '../../money.js';
import { RetryLater } from '../runner.js';
import { organisationDate } from './org-date.js';
import { sendOnce } from './send-once.js';
import { FEE_CONTACT_NAME, externalIdOf, feeLines, journalClearingCode } from './post-fee.js';
import type { Stores } from '../../store/index.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import type { Clock } from '../../clock.js';
import type { Logger } from 'pino';
import type { CrashHook } from './crash-points.js';

export interface FeeReturnDeps {
  stores: Stores;
  xero: XeroGateway;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  crash?: CrashHook;
}

/** Reference of the Receive Money (Narration of the manual journal): how a retry and the report find it. */
export function feeReturnReference(xenditInvoiceId: string): string {
  return `Xendit fee returned ${xenditInvoiceId}`;
}

/** Called while a refund of `payment` is booked, before the refund is marked recorded (a failure here retries the job). */
export async function returnFeeOnce(deps: FeeReturnDeps, merchant: Merchant, payment: Payment, refund: Refund): Promise<void> {
  // Fees billed monthly were never taken from the payment; fees not posted have nothing to reverse.
  if (merchant.feePosting === 'off' || merchant.xenditFeeBilling === 'invoiced' || !merchant.feeAccountCode) return;
  if (payment.feeState === 'pending') throw new RetryLater(`the fee of Xendit invoice ${payment.xenditInvoiceId} is not in Xero yet`);
  if (payment.feeState !== 'posted') return;
  const known = await deps.stores.feeReturns.byPayment(payment.id);
  if (known?.xeroEntryId) return;
  const row = known ?? (await foundReturn(deps, merchant, payment, refund));
  if (!row) return;
  const post = merchant.feePosting === 'manual_journal' ? journalBack : receiveBack;
  const entryId = await post(deps, merchant, payment, row, merchant.feeAccountCode);
  await deps.stores.feeReturns.booked(payment.id, entryId, deps.clock());
  deps.logger.info({ paymentId: payment.id, xeroEntryId: entryId, refundId: refund.id }, 'fee Xendit gave back recorded in Xero');
}

/** The row of a fee Xendit says it gave back, written before anything is sent; null when it keeps it. */
async function foundReturn(deps: FeeReturnDeps, merchant: Merchant, payment: Payment, refund: Refund): Promise<FeeReturn | null> {
  const fee = payment.fee ?? 0;
  const tax = payment.feeTax ?? 0;
  if (fee + tax <= 0) return null;
  let returned: boolean;
  try {
    const externalId = await externalIdOf(deps, deps.xendit, merchant.xenditSecretKey, payment);
    if (externalId === null) return null;
    const lookup = await deps.xendit.getFeeTax(merchant.xenditSecretKey, {
      id: payment.xenditInvoiceId,
      externalId,
      paidAmount: payment.amount,
      currency: payment.currency,
      paidAt: payment.paidAt,
    });
    returned = lookup.kind === 'found' && lookup.feeReturned === true;
  } catch (err) {
    // A key without Transactions read: the refund is booked all the same; the balances show the rest.
    if (err instanceof UpstreamError && (err.kind === 'rejected' || err.kind === 'unauthorized')) {
      deps.logger.warn({ paymentId: payment.id, err: err.message }, 'could not read whether Xendit gave the fee back');
      return null;
    }
    throw err;
  }
  if (!returned) return null;
  return deps.stores.feeReturns.getOrCreate(
    { paymentId: payment.id, merchantId: merchant.id, refundId: refund.id, returnedAt: refund.refundedAt, fee, tax },
    deps.clock(),
  );
}

/** Receive Money into the clearing account, the fee account's lines as the fee's Spend Money had them. */
async function receiveBack(deps: FeeReturnDeps, merchant: Merchant, payment: Payment, row: FeeReturn, feeAccountCode: string): Promise<string> {
  const reference = feeReturnReference(payment.xenditInvoiceId);
  const clearing = clearingAccountFor(merchant, payment.currency);
  if (row.attemptAt) {
    const found = (await deps.xero.findBankTransactionsByReference(merchant.xero, reference)).find((t) => t.bankAccountId === clearing);
    if (found) return found.bankTransactionId;
  }
  const date = await organisationDate(deps, merchant, row.returnedAt, payment.currency);
  const created = await sendOnce(
    (at) => deps.stores.feeReturns.noteAttempt(payment.id, at, deps.clock()),
    deps.clock(),
    () =>
      deps.xero.createBankTransaction(
        merchant.xero,
        {
          type: 'RECEIVE',
          bankAccountId: clearing,
          contactName: FEE_CONTACT_NAME,
          date,
          reference,
          currencyCode: payment.currency,
          lineItems: feeLines(payment, { fee: row.fee, tax: row.tax, feeAccountCode }).map((l) => ({ ...l, description: `Returned: ${l.description}` })),
          reconciled: true,
        },
        `xendit-fee-return-${payment.id}`,
      ),
  );
  deps.crash?.('fee-return-accepted');
  return created.bankTransactionId;
}

/** Debit the clearing account, credit the fee account: the fee's manual journal the other way round. */
async function journalBack(deps: FeeReturnDeps, merchant: Merchant, payment: Payment, row: FeeReturn, feeAccountCode: string): Promise<string> {
  const narration = feeReturnReference(payment.xenditInvoiceId);
  if (row.attemptAt) {
    const found = (await deps.xero.findManualJournalsByNarration(merchant.xero, narration))[0];
    if (found) return found.manualJournalId;
  }
  const total = row.fee + row.tax;
  const lines = feeLines(payment, { fee: row.fee, tax: row.tax, feeAccountCode }).map((l) => ({
    description: `Returned: ${l.description}`,
    accountCode: l.accountCode,
    amount: `-${l.amount}`,
  }));
  lines.push({
    description: `Xendit fee and VAT given back for invoice ${payment.xenditInvoiceId}`,
    accountCode: await journalClearingCode(deps, merchant, payment, total, 'fee given back'),
    amount: toDecimal(total, payment.currency),
  });
  const date = await organisationDate(deps, merchant, row.returnedAt, payment.currency);
  const created = await sendOnce(
    (at) => deps.stores.feeReturns.noteAttempt(payment.id, at, deps.clock()),
    deps.clock(),
    () => deps.xero.createManualJournal(merchant.xero, { narration, date, lines }, `xendit-fee-return-journal-${payment.id}`),
  );
  deps.crash?.('fee-return-accepted');
  return created.manualJournalId;
}
