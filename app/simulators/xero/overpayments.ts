/**
 * Overpayments: money received beyond an invoice, made as a RECEIVE-OVERPAYMENT bank transaction
 * and then refunded or allocated (developer.xero.com/documentation/api/accounting/overpayments).
 *
 * - The overpayment has its own id: xero_accounting.yaml BankTransaction.OverpaymentID ("returned on
 *   BankTransactions with a Type of SPEND-OVERPAYMENT or RECEIVE-OVERPAYMENT"), distinct from the
 *   BankTransactionID, so a caller that refunds by the bank transaction's id is refused here as by Xero.
 * - No Reference, on it or on its bank transaction (bank-transactions.ts takesReference).
 * - GET /Overpayments/{id} answers its RemainingCredit and Status AUTHORISED | PAID | VOIDED
 *   (schema Overpayment).
 * - A refund is a payment with `Overpayment` instead of `Invoice` (PUT /Payments; Xero API release
 *   notes 2.91: "Refunds of Prepayments and Overpayments can be created via the Payments endpoint"),
 *   PaymentType AROVERPAYMENTPAYMENT, at most its RemainingCredit, like any payment on a document.
 */
import { dayStart, money, msDate } from './decimals.js';
import { addRefundPayment, refundPaymentsOf, refundPaymentTerms } from './refund-payments.js';
import type { SimBankTransaction, SimOrganisation, SimRefundPayment } from './state.js';

/** The overpayment's own id; saved states from before it was kept use the bank transaction's. */
export const overpaymentIdOf = (t: SimBankTransaction): string => t.overpaymentId ?? t.bankTransactionId;

export function findOverpayment(o: SimOrganisation, overpaymentId: string): SimBankTransaction | undefined {
  return [...o.bankTransactions.values()].find((t) => t.type === 'RECEIVE-OVERPAYMENT' && overpaymentIdOf(t) === overpaymentId);
}

/** What is left to refund or allocate, in hundredths. */
export function remainingCredit(o: SimOrganisation, t: SimBankTransaction): bigint {
  if (t.status !== 'AUTHORISED') return 0n;
  const id = overpaymentIdOf(t);
  const refunded = refundPaymentsOf(o)
    .filter((p) => p.paymentType === 'AROVERPAYMENTPAYMENT' && p.documentId === id)
    .reduce((s, p) => s + p.amount, 0n);
  return t.total - refunded - (t.allocated ?? 0n);
}

export function overpaymentJson(o: SimOrganisation, t: SimBankTransaction): Record<string, unknown> {
  const remaining = remainingCredit(o, t);
  return {
    OverpaymentID: overpaymentIdOf(t),
    Type: 'RECEIVE-OVERPAYMENT',
    Contact: { ContactID: t.contact.contactId, Name: t.contact.name },
    Date: msDate(dayStart(t.date)),
    Status: t.status !== 'AUTHORISED' ? 'VOIDED' : remaining === 0n ? 'PAID' : 'AUTHORISED',
    LineAmountTypes: 'NoTax',
    SubTotal: money(t.total),
    TotalTax: 0,
    Total: money(t.total),
    RemainingCredit: money(remaining),
    CurrencyCode: t.currencyCode,
    CurrencyRate: 1,
    UpdatedDateUTC: msDate(t.updatedAt),
    HasAttachments: false,
  };
}

/** PUT /Payments with `Overpayment`: validated like a refund of a credit note (credit-notes.ts refundCreditNote). */
export function refundOverpayment(o: SimOrganisation, raw: Record<string, unknown>, errors: string[], at: Date): { save: () => SimRefundPayment } | undefined {
  const ref = (raw.Overpayment ?? {}) as Record<string, unknown>;
  const over = findOverpayment(o, String(ref.OverpaymentID ?? ''));
  if (!over) errors.push('Overpayment could not be found');
  else if (over.status !== 'AUTHORISED' || remainingCredit(o, over) === 0n) errors.push('Overpayment not of valid status for modification');
  const terms = refundPaymentTerms(o, raw, errors, at, over && { remaining: remainingCredit(o, over), currencyCode: over.currencyCode });
  if (errors.length || !over || !terms) return undefined;
  return {
    save: () => {
      over.updatedAt = at;
      return addRefundPayment(o, { paymentType: 'AROVERPAYMENTPAYMENT', documentId: overpaymentIdOf(over), ...terms }, at);
    },
  };
}

/** As when the merchant voids the overpayment in Xero: its bank transaction is VOIDED with it. */
export function voidOverpayment(o: SimOrganisation, overpaymentId: string, at: Date): void {
  const over = findOverpayment(o, overpaymentId);
  if (!over) throw new Error(`no overpayment ${overpaymentId}`);
  over.status = 'VOIDED';
  over.updatedAt = at;
}

/**
 * As when the merchant allocates part of the credit to another of the contact's invoices in Xero
 * (PUT /Overpayments/{id}/Allocations): less is left to refund.
 */
export function allocateOverpayment(o: SimOrganisation, overpaymentId: string, amount: bigint, at: Date): void {
  const over = findOverpayment(o, overpaymentId);
  if (!over) throw new Error(`no overpayment ${overpaymentId}`);
  if (amount <= 0n || amount > remainingCredit(o, over)) throw new Error('allocation exceeds the remaining credit');
  over.allocated = (over.allocated ?? 0n) + amount;
  over.updatedAt = at;
}
