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
 * - Prepayments (RECEIVE-PREPAYMENT, developer.xero.com/documentation/api/accounting/prepayments)
 *   are made here only as the merchant makes them in Xero (receiveCredit), and allocated as
 *   overpayments are; their own id is PrepaymentID.
 */
import { randomUUID } from 'node:crypto';
import { contactFor } from './contacts.js';
import { dayStart, isoDate, money, msDate } from './decimals.js';
import { allocateToInvoice } from './invoices.js';
import { addRefundPayment, refundPaymentsOf, refundPaymentTerms } from './refund-payments.js';
import type { SimBankTransaction, SimOrganisation, SimRefundPayment } from './state.js';

/** The overpayment's own id; saved states from before it was kept use the bank transaction's. */
export const overpaymentIdOf = (t: SimBankTransaction): string => t.overpaymentId ?? t.bankTransactionId;

export const prepaymentIdOf = (t: SimBankTransaction): string => t.prepaymentId ?? t.bankTransactionId;

export function findOverpayment(o: SimOrganisation, overpaymentId: string): SimBankTransaction | undefined {
  return [...o.bankTransactions.values()].find((t) => t.type === 'RECEIVE-OVERPAYMENT' && overpaymentIdOf(t) === overpaymentId);
}

export function findPrepayment(o: SimOrganisation, prepaymentId: string): SimBankTransaction | undefined {
  return [...o.bankTransactions.values()].find((t) => t.type === 'RECEIVE-PREPAYMENT' && prepaymentIdOf(t) === prepaymentId);
}

/** What is left to refund or allocate, in hundredths. */
export function remainingCredit(o: SimOrganisation, t: SimBankTransaction): bigint {
  if (t.status !== 'AUTHORISED') return 0n;
  const [id, paymentType] = t.type === 'RECEIVE-PREPAYMENT' ? [prepaymentIdOf(t), 'ARPREPAYMENTPAYMENT'] : [overpaymentIdOf(t), 'AROVERPAYMENTPAYMENT'];
  const refunded = refundPaymentsOf(o)
    .filter((p) => p.paymentType === paymentType && p.documentId === id)
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
 * As when the merchant allocates part of the credit to one of the contact's invoices in Xero
 * (PUT /Overpayments/{id}/Allocations, xero_accounting.yaml createOverpaymentAllocations): less is
 * left to refund, and the invoice as a credit note's allocation leaves it (invoices.ts allocateToInvoice).
 */
export function allocateOverpayment(o: SimOrganisation, overpaymentId: string, amount: bigint, invoiceId: string, at: Date): void {
  const over = findOverpayment(o, overpaymentId);
  if (!over) throw new Error(`no overpayment ${overpaymentId}`);
  allocateCredit(o, over, 'Overpayment', { overpaymentId, amount }, invoiceId, at);
}

/** PUT /Prepayments/{id}/Allocations (createPrepaymentAllocations), as allocateOverpayment. */
export function allocatePrepayment(o: SimOrganisation, prepaymentId: string, amount: bigint, invoiceId: string, at: Date): void {
  const pre = findPrepayment(o, prepaymentId);
  if (!pre) throw new Error(`no prepayment ${prepaymentId}`);
  allocateCredit(o, pre, 'Prepayment', { prepaymentId, amount }, invoiceId, at);
}

function allocateCredit(
  o: SimOrganisation,
  t: SimBankTransaction,
  what: string,
  credit: { overpaymentId?: string; prepaymentId?: string; amount: bigint },
  invoiceId: string,
  at: Date,
): void {
  const inv = o.invoices.get(invoiceId);
  if (!inv) throw new Error(`no invoice ${invoiceId}`);
  if (credit.amount <= 0n || credit.amount > remainingCredit(o, t)) throw new Error('allocation exceeds the remaining credit');
  allocateToInvoice(inv, { what, contactId: t.contact.contactId, currencyCode: t.currencyCode }, credit, at);
  t.allocated = (t.allocated ?? 0n) + credit.amount;
  t.updatedAt = at;
}

/**
 * As when the merchant records money received ahead of an invoice (Receive money → Prepayment) or
 * beyond one (→ Overpayment) in Xero, into a bank account other than Xendit's unless one is named.
 * A prepayment's line is coded to a sales account; an overpayment's carries none (bank-transactions.ts).
 */
export function receiveCredit(
  o: SimOrganisation,
  type: 'RECEIVE-OVERPAYMENT' | 'RECEIVE-PREPAYMENT',
  input: { contactName: string; amount: bigint; accountId?: string },
  at: Date,
): { bankTransactionId: string; overpaymentId?: string; prepaymentId?: string } {
  const banks = o.accounts.filter((a) => a.type === 'BANK' && a.status === 'ACTIVE');
  const bank = input.accountId ? banks.find((a) => a.accountId === input.accountId) : (banks.find((a) => a.name !== 'Xendit') ?? banks[0]);
  if (!bank) throw new Error('no active bank account to receive into');
  if (input.amount <= 0n) throw new Error('the amount must be positive');
  const id = randomUUID();
  const t: SimBankTransaction = {
    bankTransactionId: randomUUID(),
    type,
    ...(type === 'RECEIVE-OVERPAYMENT' ? { overpaymentId: id } : { prepaymentId: id }),
    accountId: bank.accountId,
    contact: contactFor(o, input.contactName),
    date: isoDate(at),
    reference: '',
    currencyCode: bank.currencyCode ?? o.baseCurrency,
    lineAmountTypes: 'NoTax',
    lineItems: [
      {
        lineItemId: randomUUID(),
        description: type === 'RECEIVE-OVERPAYMENT' ? 'Overpayment' : 'Prepayment',
        accountCode: type === 'RECEIVE-OVERPAYMENT' ? '' : (o.accounts.find((a) => a.type === 'REVENUE')?.code ?? '200'),
        lineAmount: input.amount,
      },
    ],
    total: input.amount,
    status: 'AUTHORISED',
    updatedAt: at,
  };
  o.bankTransactions.set(t.bankTransactionId, t);
  return { bankTransactionId: t.bankTransactionId, ...(t.overpaymentId ? { overpaymentId: id } : { prepaymentId: id }) };
}
