/**
 * A refund of a payment part of which the gateway booked as a Xero overpayment (the customer paid
 * beyond what the invoice still owed; overpayment.ts) is paid first out of that overpayment: the
 * money paid beyond the sale was never revenue, so a credit note on the sales account would take
 * off sales that were never made and leave the customer's credit standing. Only what the
 * overpayment still holds in Xero (the merchant may have allocated or refunded it there) is
 * refunded on it; the rest of the refund goes the usual way (credit note and cash refund).
 *
 * The split is decided once, before anything is sent, and kept on the refund's row, so a retry
 * sends the same amounts; the refund payment is marked before it is sent and looked up by
 * Reference only when an earlier attempt's outcome is unknown (send-once.ts).
 */
import type { Merchant } from '../../store/merchants.js';
import type { Payment } from '../../store/payments.js';
import type { Refund } from '../../store/refunds.js';
import type { XeroOverpayment } from '../../clients/xero/types.js';
import { AmountError, toDecimal, toMinor } from '../../money.js';
import type { FeeReturnDeps } from './fee-return.js';
import { overpaymentReference } from './overpayment.js';
import { organisationDate } from './org-date.js';
import { sendOnce } from './send-once.js';
import { Unrecordable } from './record-failure.js';

/** Where refunded money leaves: the clearing account, and whether Xero can create the line reconciled. */
export type RefundOut = () => Promise<{ accountId: string; reconciled: boolean }>;

/**
 * The part of `row` refunded on the payment's overpayment (0 when it has none) and that refund
 * payment, once it exists in Xero.
 */
export async function refundOnOverpayment(
  deps: FeeReturnDeps,
  merchant: Merchant,
  payment: Payment,
  row: Refund,
  o: { reference: string; lookFirst: boolean; out: RefundOut },
): Promise<{ part: number; paymentId: string | null }> {
  if (row.overpaymentPart !== null && (row.overpaymentPart === 0 || row.xeroOverpaymentRefundId))
    return { part: row.overpaymentPart, paymentId: row.xeroOverpaymentRefundId };
  if (row.overpaymentPart === null && (!payment.overpaid || !payment.xeroOverpaymentId)) return { part: 0, paymentId: null };
  const over = await overpaymentOf(deps, merchant, payment);
  const part = row.overpaymentPart ?? (await decidePart(deps, payment, row, over));
  if (part === 0) return { part, paymentId: null };
  if (!over)
    throw new Unrecordable(
      `the Xero overpayment of Xendit invoice ${payment.xenditInvoiceId} is gone, so ${toDecimal(part, payment.currency)} could not be refunded on it`,
    );
  if (row.overpaymentRefundAttemptAt || o.lookFirst) {
    const found = (await deps.xero.findRefundPaymentsByReference(merchant.xero, o.reference)).find((p) => p.overpaymentId === over.overpaymentId);
    if (found) {
      await deps.stores.refunds.overpaymentRefunded(row.id, found.paymentId, deps.clock());
      return { part, paymentId: found.paymentId };
    }
  }
  const date = await organisationDate(deps, merchant, row.refundedAt, payment.currency);
  const { accountId, reconciled } = await o.out();
  const created = await sendOnce(
    (at) => deps.stores.refunds.noteOverpaymentRefundAttempt(row.id, at, deps.clock()),
    deps.clock(),
    () =>
      deps.xero.createOverpaymentRefund(
        merchant.xero,
        { overpaymentId: over.overpaymentId, accountId, date, amount: toDecimal(part, payment.currency), reference: o.reference, reconciled },
        `xendit-refund-overpayment-${row.id}`,
      ),
  );
  deps.crash?.('refund-overpayment-accepted');
  await deps.stores.refunds.overpaymentRefunded(row.id, created.paymentId, deps.clock());
  return { part, paymentId: created.paymentId };
}

/**
 * What the overpayment still holds, less what other refunds of the payment decided to take from it
 * and have not yet taken; never more than the refund, nor than was overpaid.
 */
async function decidePart(deps: FeeReturnDeps, payment: Payment, row: Refund, over: XeroOverpayment | null): Promise<number> {
  let held = 0;
  if (over && over.status === 'AUTHORISED' && over.currencyCode === payment.currency) {
    try {
      held = toMinor(over.remainingCredit, payment.currency);
    } catch (err) {
      if (!(err instanceof AmountError)) throw err;
      throw new Unrecordable(`the Xero overpayment's remaining credit (${over.remainingCredit}) is not an amount in ${payment.currency}`);
    }
  }
  const others = (await deps.stores.refunds.forPayment(payment.id)).filter((r) => r.id !== row.id && r.state !== 'test_mode');
  const pending = others.filter((r) => !r.xeroOverpaymentRefundId).reduce((s, r) => s + (r.overpaymentPart ?? 0), 0);
  const taken = others.reduce((s, r) => s + (r.overpaymentPart ?? 0), 0);
  const part = Math.max(0, Math.min(row.amount, held - pending, (payment.overpaid ?? 0) - taken));
  return deps.stores.refunds.decideOverpaymentPart(row.id, part, deps.clock());
}

/**
 * The overpayment the gateway made for the payment. Its bank transaction names it
 * (BankTransaction.OverpaymentID); should Xero leave that out, the two ids are taken to be one.
 */
async function overpaymentOf(deps: FeeReturnDeps, merchant: Merchant, payment: Payment): Promise<XeroOverpayment | null> {
  const txn = (await deps.xero.findBankTransactionsByReference(merchant.xero, overpaymentReference(payment.xenditInvoiceId))).find(
    (t) => t.bankTransactionId === payment.xeroOverpaymentId,
  );
  return deps.xero.getOverpayment(merchant.xero, txn?.overpaymentId ?? payment.xeroOverpaymentId!);
}
