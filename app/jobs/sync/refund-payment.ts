/**
 * Which payment the gateway recorded a refund at Xendit takes money back from. Xendit may not name
 * the invoice (invoice_id is "To be deprecated", docs.xendit.co "Refund a payment request";
 * xendit-node's Refund model has no such field), so a refund is tied by what it carries, in turn:
 * its invoice_id; else its reference_id, which is our refund request's id when the admin's Refund
 * button asked for it; else its payment_id or payment_request_id, which the invoice gave as its
 * payment_id when the payment was recorded.
 */
import type { Stores } from '../../store/index.js';
import type { Payment } from '../../store/payments.js';
import type { XenditRefund } from '../../clients/xendit/types.js';

export type RefundTie =
  | { payment: Payment }
  /** It names an invoice of one of our checkouts whose payment is not recorded yet (its PAID callback late or lost). */
  | { payment: null; notOurs: false; paymentPending: true }
  /** It names an invoice the gateway did not make: a payment of some other integration. */
  | { payment: null; notOurs: true }
  /** It names no invoice and matches nothing we hold: it may still refund one of ours. */
  | { payment: null; notOurs: false };

export async function paymentOfRefund(
  stores: Pick<Stores, 'payments' | 'refundRequests' | 'checkouts'>,
  merchantId: string,
  r: Pick<XenditRefund, 'invoiceId' | 'referenceId' | 'paymentId' | 'paymentRequestId'>,
): Promise<RefundTie> {
  if (r.invoiceId) {
    const payment = await stores.payments.byXenditInvoice(merchantId, r.invoiceId);
    if (payment) return { payment };
    return (await stores.checkouts.madeXenditInvoice(merchantId, r.invoiceId))
      ? { payment: null, notOurs: false, paymentPending: true }
      : { payment: null, notOurs: true };
  }
  if (r.referenceId) {
    const request = await stores.refundRequests.byId(merchantId, r.referenceId);
    const payment = request && (await stores.payments.byId(request.paymentId));
    if (payment && payment.merchantId === merchantId) return { payment };
  }
  const ids = [r.paymentId, r.paymentRequestId].filter((id): id is string => Boolean(id));
  const payment = await stores.payments.byXenditPaymentId(merchantId, ids);
  return payment ? { payment } : { payment: null, notOurs: false };
}
