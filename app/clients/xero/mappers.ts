/**
 * Our types ⇄ xero-node's models. The SDK's typings declare numeric enums, but at runtime the
 * models hold Xero's strings ('AUTHORISED', 'ACCREC', 'BANK'), hence String(...) on every
 * enum-typed field read and `as unknown as` on every one written.
 */
import type { Account, BankTransaction, Contact, Invoice, LineItem, ManualJournal, Payment, TaxRate } from 'xero-node';
import { numberToDecimal, withoutTrailingZeros } from '../../money.js';
import { unexpected } from './errors.js';
import type {
  NewXeroBankAccount,
  NewXeroBankTransaction,
  NewXeroInvoice,
  NewXeroManualJournal,
  NewXeroPayment,
  XeroAccount,
  XeroAccountPayment,
  XeroBankAccount,
  XeroBankTransaction,
  XeroContact,
  XeroInvoice,
  XeroInvoiceStatus,
  XeroLineItem,
  XeroManualJournal,
  XeroOrganisation,
  XeroPayment,
  XeroTaxRate,
} from './types.js';

const INVOICE_STATUSES: readonly XeroInvoiceStatus[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'PAID', 'VOIDED', 'DELETED'];

export function mapInvoice(inv: Invoice): XeroInvoice {
  const type = String(inv.type);
  const status = String(inv.status) as XeroInvoiceStatus;
  if (!inv.invoiceID) throw unexpected('invoice without InvoiceID');
  if (type !== 'ACCREC' && type !== 'ACCPAY') throw unexpected(`invoice ${inv.invoiceID} has type ${type}`);
  if (!INVOICE_STATUSES.includes(status)) throw unexpected(`invoice ${inv.invoiceID} has status ${status}`);
  const email = inv.contact?.emailAddress?.trim();
  return {
    invoiceId: inv.invoiceID,
    invoiceNumber: inv.invoiceNumber ?? '',
    type,
    status,
    currencyCode: String(inv.currencyCode ?? ''),
    total: amount(inv.total, 'Total'),
    amountDue: amount(inv.amountDue, 'AmountDue'),
    amountPaid: amount(inv.amountPaid, 'AmountPaid'),
    contactName: inv.contact?.name ?? '',
    ...(inv.contact?.contactID ? { contactId: inv.contact.contactID } : {}),
    ...(email ? { contactEmail: email } : {}),
    ...(inv.lineAmountTypes !== undefined ? { lineAmountTypes: String(inv.lineAmountTypes) } : {}),
    lineItems: (inv.lineItems ?? []).map(mapLineItem),
  };
}

function mapLineItem(li: LineItem): XeroLineItem {
  return {
    description: li.description ?? '',
    quantity: amount(li.quantity ?? 0, 'Quantity'),
    unitAmount: amount(li.unitAmount ?? 0, 'UnitAmount'),
    lineAmount: amount(li.lineAmount ?? 0, 'LineAmount'),
    ...(li.accountCode ? { accountCode: li.accountCode } : {}),
    ...(li.taxType ? { taxType: String(li.taxType) } : {}),
    ...(li.taxAmount !== undefined && li.taxAmount !== null ? { taxAmount: amount(li.taxAmount, 'TaxAmount') } : {}),
  };
}

export function mapPayment(p: Payment, fallbackInvoiceId?: string): XeroPayment {
  const invoiceId = p.invoice?.invoiceID ?? fallbackInvoiceId;
  if (!p.paymentID || !invoiceId) throw unexpected('payment without PaymentID or Invoice');
  return { paymentId: p.paymentID, invoiceId, ...paymentFields(p) };
}

/** The PaymentTypes of a payment on an invoice (xero_accounting.yaml, Payment.PaymentType). */
const INVOICE_PAYMENT_TYPES = new Set(['ACCRECPAYMENT', 'ACCPAYPAYMENT']);

/**
 * False for a row GET /Payments lists under `Invoice` that pays no invoice: a credit note's refund
 * (Type ACCRECCREDIT, the InvoiceID its CreditNoteID: XeroAPI/xero-ruby#48) or an overpayment's (the
 * InvoiceID its OverpaymentID: calcinai/xero-php#889, quoting Xero support), and a prepayment's.
 * Told by PaymentType; a row without one (never seen) by the Invoice's Type, so a lookup of the
 * gateway's own payment still finds it.
 */
export function paysInvoice(p: Payment): boolean {
  const type = p.paymentType === undefined || p.paymentType === null ? '' : String(p.paymentType);
  if (type) return INVOICE_PAYMENT_TYPES.has(type);
  return !['ACCRECCREDIT', 'ACCPAYCREDIT'].includes(String(p.invoice?.type ?? ''));
}

/** Any payment Xero allows on an account, with or without an invoice (refunds have none). */
export function mapAccountPayment(p: Payment): XeroAccountPayment {
  if (!p.paymentID) throw unexpected('payment without PaymentID');
  // Only an invoice's payment names an invoice: a refund listed under `Invoice` names its document there.
  const invoiceId = paysInvoice(p) ? p.invoice?.invoiceID : undefined;
  return {
    paymentId: p.paymentID,
    ...optional('invoiceId', invoiceId),
    paymentType: String(p.paymentType ?? ''),
    ...paymentFields(p),
    ...(p.bankAmount !== undefined && p.bankAmount !== null ? { bankAmount: amount(p.bankAmount, 'BankAmount') } : {}),
  };
}

function paymentFields(p: Payment): Omit<XeroPayment, 'paymentId' | 'invoiceId'> {
  return {
    reference: p.reference ?? '',
    amount: amount(p.amount, 'Amount'),
    status: String(p.status ?? 'AUTHORISED'),
    ...optional('date', dateOf(p.date)),
    ...optional('accountId', p.account?.accountID),
  };
}

export function mapBankTransaction(t: BankTransaction): XeroBankTransaction {
  if (!t.bankTransactionID || !t.bankAccount?.accountID) throw unexpected('bank transaction without BankTransactionID or BankAccount');
  return {
    bankTransactionId: t.bankTransactionID,
    type: String(t.type),
    bankAccountId: t.bankAccount.accountID,
    reference: t.reference ?? '',
    currencyCode: String(t.currencyCode ?? ''),
    total: amount(t.total, 'Total'),
    status: String(t.status ?? 'AUTHORISED'),
    lineItems: (t.lineItems ?? []).map((li) => ({
      description: li.description ?? '',
      accountCode: li.accountCode ?? '',
      lineAmount: amount(li.lineAmount, 'LineAmount'),
    })),
    ...optional('date', dateOf(t.date)),
    ...optional('overpaymentId', t.overpaymentID),
  };
}

export function bankTransactionBody(t: NewXeroBankTransaction): BankTransaction {
  return {
    type: t.type as unknown as BankTransaction.TypeEnum,
    bankAccount: { accountID: t.bankAccountId },
    contact: t.contactId ? { contactID: t.contactId } : { name: t.contactName },
    date: t.date,
    reference: t.reference,
    currencyCode: t.currencyCode as unknown as BankTransaction['currencyCode'],
    lineAmountTypes: 'NoTax' as unknown as BankTransaction['lineAmountTypes'],
    lineItems: t.lineItems.map((li) => ({
      description: li.description,
      quantity: 1,
      // A line may be negative (a withdrawal fee on its Receive Money): Xero wants the total, not each line, positive.
      unitAmount: signedSdkAmount(li.amount),
      ...(li.accountCode ? { accountCode: li.accountCode } : {}),
    })),
    ...(t.reconciled ? { isReconciled: true } : {}),
  };
}

export function mapAnyAccount(a: Account): XeroAccount {
  if (!a.accountID) throw unexpected('account without AccountID');
  return {
    accountId: a.accountID,
    ...(a.code ? { code: a.code } : {}),
    name: a.name ?? '',
    type: String(a.type),
    status: String(a.status ?? 'ACTIVE'),
    enablePaymentsToAccount: a.enablePaymentsToAccount === true,
    ...(a.currencyCode !== undefined && a.currencyCode !== null ? { currencyCode: String(a.currencyCode) } : {}),
  };
}

export function mapManualJournal(j: ManualJournal): XeroManualJournal {
  if (!j.manualJournalID) throw unexpected('manual journal without ManualJournalID');
  return {
    manualJournalId: j.manualJournalID,
    narration: j.narration ?? '',
    status: String(j.status ?? 'DRAFT'),
    ...optional('date', dateOf(j.date)),
    lines: (j.journalLines ?? []).map((l) => ({
      description: l.description ?? '',
      accountCode: l.accountCode ?? '',
      amount: amount(l.lineAmount, 'LineAmount'),
    })),
  };
}

export function manualJournalBody(j: NewXeroManualJournal): ManualJournal {
  return {
    narration: j.narration,
    date: j.date,
    status: 'POSTED' as unknown as ManualJournal.StatusEnum,
    lineAmountTypes: 'NoTax' as unknown as ManualJournal['lineAmountTypes'],
    journalLines: j.lines.map((l) => ({ description: l.description, accountCode: l.accountCode, lineAmount: signedSdkAmount(l.amount), taxType: 'NONE' })),
  };
}

function signedSdkAmount(decimal: string): number {
  const text = decimal.trim();
  return text.startsWith('-') ? -sdkAmount(text.slice(1)) : sdkAmount(text);
}

export function mapContact(c: Contact): XeroContact {
  if (!c.contactID) throw unexpected('contact without ContactID');
  const email = c.emailAddress?.trim();
  return { contactId: c.contactID, name: c.name ?? '', ...(email ? { email } : {}) };
}

export function invoiceBody(i: NewXeroInvoice): Invoice {
  return {
    type: (i.type ?? 'ACCREC') as unknown as Invoice.TypeEnum,
    status: 'AUTHORISED' as unknown as Invoice.StatusEnum,
    contact: i.contactId ? { contactID: i.contactId } : { name: i.contactName },
    date: i.date,
    dueDate: i.dueDate,
    reference: i.reference,
    ...(i.invoiceNumber ? { invoiceNumber: i.invoiceNumber } : {}),
    currencyCode: i.currencyCode as unknown as Invoice['currencyCode'],
    // Inclusive: the lines are what the customer paid and Xero takes the tax out of them.
    lineAmountTypes: (i.taxType ? 'Inclusive' : 'NoTax') as unknown as Invoice['lineAmountTypes'],
    lineItems: i.lineItems.map((li) => ({
      description: li.description,
      quantity: sdkAmount(li.quantity),
      unitAmount: sdkAmount(li.unitAmount),
      accountCode: li.accountCode,
      taxType: i.taxType ?? 'NONE',
    })),
  };
}

export function mapTaxRate(r: TaxRate): XeroTaxRate {
  return { taxType: r.taxType!, name: r.name ?? r.taxType!, effectiveRate: amount(r.effectiveRate ?? 0, 'EffectiveRate') };
}

export function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

export function mapAccount(a: Account): XeroBankAccount {
  if (!a.accountID) throw unexpected('account without AccountID');
  return {
    accountId: a.accountID,
    name: a.name ?? '',
    ...(a.code ? { code: a.code } : {}),
    ...(a.currencyCode !== undefined ? { currencyCode: String(a.currencyCode) } : {}),
  };
}

export function mapOrganisation(
  o:
    | {
        organisationID?: string;
        name?: string;
        shortCode?: string;
        baseCurrency?: unknown;
        timezone?: unknown;
        isDemoCompany?: boolean;
        periodLockDate?: unknown;
        endOfYearLockDate?: unknown;
      }
    | undefined,
): XeroOrganisation {
  if (!o?.organisationID || !o.shortCode) throw unexpected('organisation without OrganisationID or ShortCode');
  const timezone = o.timezone === undefined || o.timezone === null ? '' : String(o.timezone);
  const locks = [lockDay(o.periodLockDate), lockDay(o.endOfYearLockDate)].filter((d): d is string => d !== undefined).sort();
  return {
    organisationId: o.organisationID,
    name: o.name ?? '',
    shortCode: o.shortCode,
    baseCurrency: String(o.baseCurrency ?? ''),
    ...(timezone ? { timezone } : {}),
    isDemoCompany: o.isDemoCompany === true,
    ...(locks.length ? { lockDate: locks[locks.length - 1] } : {}),
  };
}

/**
 * A lock date as xero-node hands it over: typed string, but Xero sends "/Date(ms+0000)/", which the
 * SDK turns into a Date (models.js deserialize); an ISO string is read as well.
 */
function lockDay(v: unknown): string | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v.toISOString().slice(0, 10);
  if (typeof v !== 'string') return undefined;
  const ms = /^\/Date\((-?\d+)/.exec(v);
  if (ms) return new Date(Number(ms[1])).toISOString().slice(0, 10);
  return /^\d{4}-\d{2}-\d{2}/.exec(v)?.[0];
}

export function amount(value: number | undefined, field: string): string {
  if (value === undefined || value === null) throw unexpected(`missing ${field}`);
  try {
    return numberToDecimal(value);
  } catch {
    throw unexpected(`${field} is not an amount`);
  }
}

export function paymentBody(p: NewXeroPayment): Payment {
  return {
    invoice: { invoiceID: p.invoiceId },
    account: { accountID: p.accountId },
    date: p.date,
    amount: sdkAmount(p.amount),
    reference: p.reference,
    ...(p.reconciled ? { isReconciled: true } : {}),
  };
}

/** The SDK wants a number: only accept decimals that survive the trip unchanged. */
export function sdkAmount(decimal: string): number {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(decimal.trim());
  if (!m) throw new RangeError(`not a positive decimal amount: ${JSON.stringify(decimal)}`);
  const canonical = `${BigInt(m[1])}${m[2] && /[1-9]/.test(m[2]) ? `.${withoutTrailingZeros(m[2])}` : ''}`;
  const n = Number(canonical);
  if (numberToDecimal(n) !== canonical) throw new RangeError(`amount ${decimal} cannot be sent exactly`);
  return n;
}

export function dateOf(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10);
  if (typeof value === 'string') return /^\d{4}-\d{2}-\d{2}/.exec(value)?.[0];
  return undefined;
}

export function bankAccountBody(account: NewXeroBankAccount): Account {
  return {
    name: account.name,
    type: 'BANK' as unknown as Account['type'],
    bankAccountNumber: account.accountNumber,
    ...(account.currencyCode ? { currencyCode: account.currencyCode as unknown as Account['currencyCode'] } : {}),
  };
}
