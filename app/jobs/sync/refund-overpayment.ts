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
import { overpaymentIdOf, overpaymentLineTag } from './overpayment.js';
import { organisationDate } from './org-date.js';
import { notWhileUnsettled, sendOnce } from './send-once.js';
import { Unrecordable } from './record-failure.js';
import { RetryLater } from '../runner.js';

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
  if (row.overpaymentPart === null && (!payment.overpaid || !(payment.xeroOverpaymentId || payment.xeroOverpaymentTxnId))) return { part: 0, paymentId: null };
  const booked = await bookedAlready(deps, merchant, payment, row, o);
  if (booked) return booked;

  const over = await overpaymentOf(deps, merchant, payment);
  if (!over || over.status === 'VOIDED' || over.currencyCode !== payment.currency) {
    await deps.stores.refunds.overpaymentRefundRefused(row.id, deps.clock());
    const why = !over ? 'could not be found in Xero (voided or deleted?)' : over.status === 'VOIDED' ? 'was voided in Xero' : `is in ${over.currencyCode}`;
    throw new Unrecordable(
      `the Xero overpayment of this payment (its line ends "${overpaymentLineTag(payment.xenditInvoiceId)}") ${why}: book the refund in Xero by hand with Reference "${o.reference}", then Retry`,
    );
  }
  const part = row.overpaymentPart ?? (await decidePart(deps, payment, row, over));
  if (part === 0) return { part, paymentId: null };
  const date = await organisationDate(deps, merchant, row.refundedAt, payment.currency);
  const { accountId, reconciled } = await o.out();
  const created = await sendOnce(
    // Refused (nothing made): the split is decided again next time, on what the overpayment then holds.
    (at) =>
      at
        ? deps.stores.refunds.noteOverpaymentRefundAttempt(row.id, at, deps.clock(), accountId)
        : deps.stores.refunds.overpaymentRefundRefused(row.id, deps.clock()),
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
 * After an attempt whose outcome is unknown, the refund on the overpayment may be in Xero; a job
 * run again (by a person, or by the listing) takes what was booked meanwhile under the Reference,
 * by hand or not, as the split: what sits on an overpayment is the part, the rest is on a credit
 * note. Undefined when nothing is there.
 */
async function bookedAlready(
  deps: FeeReturnDeps,
  merchant: Merchant,
  payment: Payment,
  row: Refund,
  o: { reference: string; lookFirst: boolean },
): Promise<{ part: number; paymentId: string | null } | undefined> {
  if (!row.overpaymentRefundAttemptAt && !o.lookFirst) return undefined;
  const found = await deps.xero.findRefundPaymentsByReference(merchant.xero, o.reference);
  const onOverpayment = found.filter((p) => p.kind === 'overpayment');
  if (!onOverpayment.length && !(o.lookFirst && found.length)) {
    notWhileUnsettled(deps.clock(), row.overpaymentRefundAttemptAt, 'refund of the overpayment');
    return undefined;
  }
  let part = 0;
  for (const p of onOverpayment) part += minorOf(p.amount, payment.currency, 'a refund payment of the overpayment');
  const paymentId = onOverpayment[0]?.paymentId ?? null;
  await deps.stores.refunds.overpaymentFound(row.id, part, paymentId, deps.clock());
  return { part, paymentId };
}

/**
 * What the overpayment still holds, less what other refunds of the payment decided to take from it
 * and have not yet taken; never more than the refund, nor than was overpaid. Decided with the
 * payment's row held, so two refunds of one payment decide one after the other.
 */
async function decidePart(deps: FeeReturnDeps, payment: Payment, row: Refund, over: XeroOverpayment): Promise<number> {
  const held =
    over.status === 'AUTHORISED' && over.remainingCredit !== undefined
      ? minorOf(over.remainingCredit, payment.currency, "the overpayment's remaining credit")
      : 0;
  return deps.stores.refunds.decideOverpaymentPart(
    row.id,
    payment.id,
    (others) => {
      const live = others.filter((r) => r.state !== 'test_mode');
      // Sent with no answer yet: Xero's RemainingCredit may or may not count it, so wait for it to settle.
      const unknown = live.find((r) => r.overpaymentRefundAttemptAt && !r.xeroOverpaymentRefundId);
      if (unknown) throw new RetryLater(`refund ${unknown.xenditRefundId} of the same payment is being paid out of the overpayment`, 60);
      const pending = live.filter((r) => !r.xeroOverpaymentRefundId).reduce((s, r) => s + (r.overpaymentPart ?? 0), 0);
      const taken = live.reduce((s, r) => s + (r.overpaymentPart ?? 0), 0);
      return Math.max(0, Math.min(row.amount, held - pending, (payment.overpaid ?? 0) - taken));
    },
    deps.clock(),
  );
}

function minorOf(decimal: string, currency: Payment['currency'], what: string): number {
  try {
    return toMinor(decimal, currency);
  } catch (err) {
    if (!(err instanceof AmountError)) throw err;
    throw new Unrecordable(`${what} (${decimal}) is not an amount in ${currency}`);
  }
}

/**
 * The overpayment the gateway made for the payment, by the OverpaymentID kept with it; a row from
 * before that was kept finds it among the contact's overpayments (overpaymentIdOf), never by a
 * Reference Xero may not keep on an overpayment.
 */
async function overpaymentOf(deps: FeeReturnDeps, merchant: Merchant, payment: Payment): Promise<XeroOverpayment | null> {
  const id = await overpaymentIdOf(deps, merchant, payment);
  return id ? deps.xero.getOverpayment(merchant.xero, id) : null;
}
