/**
 * Payments that refund a document rather than pay an invoice: the cash refund of a credit note and
 * the refund of an overpayment, both PUT /Payments with `CreditNote` or `Overpayment` instead of
 * `Invoice` (developer.xero.com/documentation/api/accounting/payments "Refunding credit notes";
 * xero_accounting.yaml Payment.CreditNote / Payment.Overpayment; Xero API release notes 2.91:
 * refunds of overpayments are created through the Payments endpoint).
 */
import type { Payment } from 'xero-node';
import { lookup, pageOf, whereEquals, type XeroCalls } from './call.js';
import { firstCreated, refusedIfInvalid, unexpected } from './errors.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { amount, optional, sdkAmount } from './mappers.js';
import type { XeroCredentials, XeroGateway, XeroRefundPayment } from './types.js';

type RefundTerms = { accountId: string; date: string; amount: string; reference: string; reconciled?: boolean };

export function refundPaymentCalls({
  call,
}: XeroCalls): Pick<XeroGateway, 'createCreditNoteRefund' | 'createOverpaymentRefund' | 'findRefundPaymentsByReference'> {
  const refund = async (creds: XeroCredentials, name: string, document: Payment, terms: RefundTerms, idempotencyKey: string) => {
    const body: Payment = {
      ...document,
      account: { accountID: terms.accountId },
      date: terms.date,
      amount: sdkAmount(terms.amount),
      reference: terms.reference,
      ...(terms.reconciled ? { isReconciled: true } : {}),
    };
    const res = await call(creds, name, (api) => api.createPayment(creds.tenantId, body, idempotencyKeyFor(idempotencyKey, name, body)), {
      purpose: 'payment-write',
      write: true,
    });
    const p = refusedIfInvalid(firstCreated(res.body.payments, 'createPayment answered without a payment'));
    if (!p.paymentID) throw unexpected('refund payment without PaymentID');
    return { paymentId: p.paymentID };
  };
  return {
    createCreditNoteRefund: (creds, r, key) => refund(creds, 'createCreditNoteRefund', { creditNote: { creditNoteID: r.creditNoteId } }, r, key),
    createOverpaymentRefund: (creds, r, key) => refund(creds, 'createOverpaymentRefund', { overpayment: { overpaymentID: r.overpaymentId } }, r, key),

    async findRefundPaymentsByReference(creds, reference) {
      const rows = await lookup(
        whereEquals('Reference', reference),
        (where, page) =>
          call(creds, 'findRefundPaymentsByReference', (api) => api.getPayments(creds.tenantId, undefined, where, undefined, page)).then((r) =>
            pageOf(r.body.payments, r.body.pagination),
          ),
        (p) => p.paymentID,
      );
      return rows.flatMap((p): XeroRefundPayment[] => {
        const kind = REFUND_KINDS[String(p.paymentType)];
        if (!kind || p.reference !== reference || !p.paymentID || String(p.status) === 'DELETED') return [];
        return [{ paymentId: p.paymentID, kind, amount: amount(p.amount, 'Amount'), ...optional('documentId', documentOf(p)) }];
      });
    },
  };
}

const REFUND_KINDS: Record<string, XeroRefundPayment['kind']> = { ARCREDITPAYMENT: 'credit note', AROVERPAYMENTPAYMENT: 'overpayment' };

/**
 * The credit note or overpayment a refund pays out, where Xero names it: under its own key in a
 * create's answer; in GET /Payments under `Invoice`, the InvoiceID holding the document's id (a
 * credit note's with Type ACCRECCREDIT: XeroAPI/xero-ruby#48; an overpayment's: calcinai/xero-php#889,
 * quoting Xero support), or nowhere (the getPayments example in xero_accounting.yaml). Only the
 * refund kinds (REFUND_KINDS) come here, so an InvoiceID on one is never an invoice's.
 */
function documentOf(p: Payment): string | undefined {
  if (p.creditNote?.creditNoteID) return p.creditNote.creditNoteID;
  if (p.overpayment?.overpaymentID) return p.overpayment.overpaymentID;
  return p.invoice?.invoiceID ?? undefined;
}
