/**
 * Payments that belong to no invoice: the refund of an overpayment, a prepayment or a credit note.
 *
 * Xero's Payment has `Invoice`, `CreditNote`, `Prepayment` and `Overpayment`, each optional, and
 * PaymentType AROVERPAYMENTPAYMENT / ARPREPAYMENTPAYMENT / ARCREDITPAYMENT (and the AP ones) for
 * those without an invoice (xero_accounting.yaml, schema Payment; developer.xero.com/documentation/
 * api/accounting/payments, "Refunding overpayments / prepayments"). A merchant who refunds a
 * customer's overpayment from the Xendit clearing account puts one there; GET /Payments lists it
 * under `Invoice` (refundPaymentJson). An AR refund is money leaving the bank account.
 */
import { randomUUID } from 'node:crypto';
import { isoDate, parseScaled, readDate } from './decimals.js';
import { lockDateError } from './lock-dates.js';
import type { RefundPaymentType, SimOrganisation, SimRefundPayment } from './state.js';

/**
 * What Xero checks of any payment that refunds a document (a credit note, an overpayment): an
 * account that takes payments, in the document's currency unless a CurrencyRate is given (the
 * rule of every payment, payments.ts validatePayment), a positive amount no more than the document
 * still holds (`doc`; undefined when the document itself was refused), a date outside the lock.
 */
export function refundPaymentTerms(
  o: SimOrganisation,
  raw: Record<string, unknown>,
  errors: string[],
  at: Date,
  doc: { remaining: bigint; currencyCode: string } | undefined,
): { accountId: string; amount: bigint; date: string; reference: string; reconciled: boolean } | undefined {
  const accRef = (raw.Account ?? {}) as Record<string, unknown>;
  const account = o.accounts.find((a) => a.accountId === accRef.AccountID || (accRef.Code !== undefined && a.code === accRef.Code));
  const amount = parseScaled(raw.Amount, 2);
  const date = raw.Date === undefined ? isoDate(at) : readDate(raw.Date);
  const locked = lockDateError(o, date);
  if (locked) errors.push(locked);
  if (!account) errors.push('Account could not be found');
  else if (account.type !== 'BANK' && !account.enablePaymentsToAccount)
    errors.push(`Account code '${account.code}' is not a bank account or an account with payments enabled`);
  // As on any payment (payments.ts): an archived account takes no new entries.
  else if (account.status !== 'ACTIVE') errors.push(`Account code '${account.code}' has been archived`);
  const accountCurrency = account?.currencyCode ?? o.baseCurrency;
  if (account && doc && accountCurrency !== doc.currencyCode && raw.CurrencyRate === undefined)
    errors.push(`The payment currency (${accountCurrency}) must match the document currency (${doc.currencyCode}), or a CurrencyRate must be supplied`);
  if (amount === undefined || amount <= 0n) errors.push('Payment amount must be a positive number with at most 2 decimal places');
  else if (doc !== undefined && amount > doc.remaining) errors.push('Payment amount exceeds the amount outstanding on this document');
  if (!date) errors.push('Payment date is not a valid date');
  if (errors.length || !account || amount === undefined || !date) return undefined;
  // IsReconciled as on any payment (xero_accounting.yaml Payment.IsReconciled); kept as asked (see payments.ts).
  return {
    accountId: account.accountId,
    amount,
    date,
    reference: typeof raw.Reference === 'string' ? raw.Reference : '',
    reconciled: raw.IsReconciled === true,
  };
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

/**
 * A refund payment as Xero answers it. The create (PUT /Payments) answers with the document under
 * its own key. GET /Payments lists a credit note's cash refund under `Invoice`, Type ACCRECCREDIT,
 * its InvoiceID the CreditNoteID, and no `CreditNote` (XeroAPI/xero-ruby#48; the getPayments example
 * in xero_accounting.yaml lists an ARCREDITPAYMENT with neither). An overpayment's refund is listed
 * under `Invoice` too, its InvoiceID the OverpaymentID, and no `Overpayment` (calcinai/xero-php#889,
 * Xero support: "the 'invoice id' is actually the object id"); the issue says "possibly
 * prepayments" as well, so a prepayment's is listed the same way (the stricter reading). The Type
 * Xero gives those is not stated: none here, so only PaymentType tells them from an invoice's payment.
 */
export function refundPaymentJson(
  p: SimRefundPayment,
  account: { accountId: string; code?: string; name: string },
  f: { msDate: (d: Date) => string; money: (h: bigint) => number; currencyCode: string; listed: boolean },
): Record<string, unknown> {
  const created =
    p.paymentType === 'AROVERPAYMENTPAYMENT'
      ? { Overpayment: { OverpaymentID: p.documentId, Type: 'RECEIVE-OVERPAYMENT', CurrencyCode: f.currencyCode } }
      : p.paymentType === 'ARPREPAYMENTPAYMENT'
        ? { Prepayment: { PrepaymentID: p.documentId, Type: 'RECEIVE-PREPAYMENT', CurrencyCode: f.currencyCode } }
        : { CreditNote: { CreditNoteID: p.documentId, Type: 'ACCRECCREDIT', CurrencyCode: f.currencyCode } };
  const listed = {
    Invoice: { ...(p.paymentType === 'ARCREDITPAYMENT' ? { Type: 'ACCRECCREDIT' } : {}), InvoiceID: p.documentId, CurrencyCode: f.currencyCode },
  };
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
    ...(f.listed ? listed : created),
    HasValidationErrors: false,
  };
}
