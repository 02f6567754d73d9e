/**
 * Payments that belong to no invoice: the refund of an overpayment, a prepayment or a credit note.
 *
 * Xero's Payment has `Invoice`, `CreditNote`, `Prepayment` and `Overpayment`, each optional, and
 * PaymentType AROVERPAYMENTPAYMENT / ARPREPAYMENTPAYMENT / ARCREDITPAYMENT (and the AP ones) for
 * those without an invoice (xero_accounting.yaml, schema Payment; developer.xero.com/documentation/
 * api/accounting/payments, "Refunding overpayments / prepayments"). A merchant who refunds a
 * customer's overpayment from the Xendit clearing account puts one there; GET /Payments lists it
 * with no Invoice. An AR refund is money leaving the bank account.
 */
import { randomUUID } from 'node:crypto';
import type { SimOrganisation } from './state.js';

export type RefundPaymentType = 'AROVERPAYMENTPAYMENT' | 'ARPREPAYMENTPAYMENT' | 'ARCREDITPAYMENT';

export interface SimRefundPayment {
  paymentId: string;
  paymentType: RefundPaymentType;
  /** The overpayment, prepayment or credit note refunded. */
  documentId: string;
  accountId: string;
  date: string; // YYYY-MM-DD
  amount: bigint; // hundredths, positive; the money leaves the account
  reference: string;
  status: 'AUTHORISED';
  reconciled?: boolean;
  updatedAt: Date;
}

/** Kept on the organisation, so the demo's saved state keeps them across a restart. */
export function refundPaymentsOf(org: Pick<SimOrganisation, 'refundPayments'>): SimRefundPayment[] {
  return org.refundPayments ?? [];
}

export function addRefundPayment(
  org: Pick<SimOrganisation, 'refundPayments'>,
  p: { paymentType: RefundPaymentType; accountId: string; date: string; amount: bigint; reference?: string; documentId?: string; reconciled?: boolean },
  at: Date,
): SimRefundPayment {
  const saved: SimRefundPayment = { paymentId: randomUUID(), documentId: randomUUID(), reference: '', ...p, status: 'AUTHORISED', updatedAt: at };
  org.refundPayments = [...refundPaymentsOf(org), saved];
  return saved;
}

/** What the refunds take out of one bank account, in hundredths (positive). */
export function refundedFrom(org: Pick<SimOrganisation, 'refundPayments'>, accountId: string, asOf?: string): bigint {
  return refundPaymentsOf(org)
    .filter((p) => p.accountId === accountId && (asOf === undefined || p.date <= asOf))
    .reduce((s, p) => s + p.amount, 0n);
}

/** As GET /Payments answers it: no Invoice, the refunded document under its own key. */
export function refundPaymentJson(
  p: SimRefundPayment,
  account: { accountId: string; code?: string; name: string },
  f: { msDate: (d: Date) => string; money: (h: bigint) => number; currencyCode: string },
): Record<string, unknown> {
  const document =
    p.paymentType === 'AROVERPAYMENTPAYMENT'
      ? { Overpayment: { OverpaymentID: p.documentId, Type: 'RECEIVE-OVERPAYMENT', CurrencyCode: f.currencyCode } }
      : p.paymentType === 'ARPREPAYMENTPAYMENT'
        ? { Prepayment: { PrepaymentID: p.documentId, Type: 'RECEIVE-PREPAYMENT', CurrencyCode: f.currencyCode } }
        : { CreditNote: { CreditNoteID: p.documentId, Type: 'ACCRECCREDIT', CurrencyCode: f.currencyCode } };
  return {
    PaymentID: p.paymentId,
    Date: f.msDate(new Date(`${p.date}T00:00:00Z`)),
    BankAmount: f.money(p.amount),
    Amount: f.money(p.amount),
    Reference: p.reference,
    CurrencyRate: 1,
    PaymentType: p.paymentType,
    Status: p.status,
    UpdatedDateUTC: f.msDate(p.updatedAt),
    HasAccount: true,
    IsReconciled: p.reconciled === true,
    Account: { AccountID: account.accountId, Code: account.code, Name: account.name },
    ...document,
    HasValidationErrors: false,
  };
}
