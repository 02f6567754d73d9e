/**
 * Which payment the gateway recorded a refund at Xendit takes money back from. Xendit may not name
 * the invoice (invoice_id is "To be deprecated", docs.xendit.co "Refund a payment request";
 * xendit-node's Refund model has no such field), so a refund is tied by what it carries, in turn:
 * its invoice_id; else its reference_id, which is our refund request's id when the admin's Refund
 * button asked for it; else its payment_id or payment_request_id, which the payment kept from its
 * invoice's PAID callback when it was recorded (record-payment.ts; a payment recorded without a
 * callback has none).
 *
 * A refund may come before its payment has a row: the PAID callback of a checkout late or lost, or
 * a backend-flow sale whose job has not reached Xero yet (retrying, or in review: the payment's
 * row is made only once the sale's Xero invoice exists). Such a refund waits for its payment;
 * taken for "not ours", it would be dropped, and its webhook does not come again.
 */
import type { Stores } from '../../store/index.js';
import type { Payment } from '../../store/payments.js';
import type { XenditRefund } from '../../clients/xendit/types.js';
import type { JobState } from '../../store/schema.js';
import { JOB_SPECS } from '../kinds.js';

export type RefundTie =
  | { payment: Payment }
  /**
   * It names an invoice whose payment the gateway is still recording: one of our checkouts', or a
   * backend-flow sale whose job is not done (`saleJob`: that job's state).
   */
  | { payment: null; notOurs: false; paymentPending: true; saleJob?: JobState; invoiceId: string }
  /** It names an invoice the gateway did not make: a payment of some other integration. */
  | { payment: null; notOurs: true; invoiceId: string }
  /** It names no invoice and matches nothing we hold: it may still refund one of ours. */
  | { payment: null; notOurs: false };

export async function paymentOfRefund(
  stores: Pick<Stores, 'payments' | 'refundRequests' | 'checkouts' | 'jobs'>,
  merchantId: string,
  r: Pick<XenditRefund, 'invoiceId' | 'referenceId' | 'paymentId' | 'paymentRequestId'>,
): Promise<RefundTie> {
  if (r.invoiceId) {
    const payment = await stores.payments.byXenditInvoice(merchantId, r.invoiceId);
    if (payment) return { payment };
    if (await stores.checkouts.madeXenditInvoice(merchantId, r.invoiceId))
      return { payment: null, notOurs: false, paymentPending: true, invoiceId: r.invoiceId };
    // A sale's job done without a payment kept it out of Xero (test mode): nothing to wait for.
    const sale = await stores.jobs.byDedupeKey(JOB_SPECS['record-backend-payment'].dedupeKey({ merchantId, xenditInvoiceId: r.invoiceId }));
    if (sale && sale.state !== 'done') return { payment: null, notOurs: false, paymentPending: true, saleJob: sale.state, invoiceId: r.invoiceId };
    return { payment: null, notOurs: true, invoiceId: r.invoiceId };
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
