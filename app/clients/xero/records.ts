/**
 * Xero's records as the gateway reads and writes them (decimal strings, never floats): the shapes
 * XeroGateway takes and returns. types.ts re-exports them with the interfaces.
 */
export type XeroInvoiceStatus = 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'PAID' | 'VOIDED' | 'DELETED';

export interface XeroLineItem {
  description: string;
  quantity: string; // decimal string, e.g. "1" or "1.5"
  unitAmount: string; // decimal string
  lineAmount: string; // decimal string
  accountCode?: string;
  /** Xero's TaxType code ('NONE' or absent: no tax). */
  taxType?: string;
  taxAmount?: string; // decimal string
}

export type OpenInvoiceListed = Pick<XeroInvoice, 'invoiceNumber'> &
  Partial<Pick<XeroInvoice, 'invoiceId' | 'currencyCode' | 'amountDue' | 'total'>> & {
    /** UpdatedDateUTC, the first key of the listing's order (where a read left off: jobs/sync/open-invoices.ts). */
    updatedAt?: Date;
  };

export interface XeroInvoice {
  invoiceId: string;
  invoiceNumber: string;
  type: 'ACCREC' | 'ACCPAY';
  status: XeroInvoiceStatus;
  currencyCode: string; // as Xero says; may be unsupported by Xendit
  total: string; // decimal string
  amountDue: string; // decimal string
  amountPaid: string; // decimal string
  contactName: string;
  contactId?: string;
  contactEmail?: string;
  /** Exclusive (tax on top of the line amounts), Inclusive or NoTax; absent when Xero does not say. */
  lineAmountTypes?: string;
  lineItems: XeroLineItem[];
}

export interface XeroPaymentService {
  paymentServiceId: string;
  name: string;
  url: string;
}

export interface XeroBrandingTheme {
  brandingThemeId: string;
  name: string;
}

/** A customer credit note (ACCRECCREDIT) the gateway made for a refund. */
export interface XeroCreditNote {
  creditNoteId: string;
  reference: string;
  status: string;
  total: string; // decimal string
}

export interface NewXeroCreditNote {
  contactId: string;
  date: string; // YYYY-MM-DD
  reference: string;
  currencyCode: string;
  /** NoTax, or Inclusive: each line's amount includes its TaxType's tax, so the total is the sum of the lines. */
  lineAmountTypes: 'NoTax' | 'Inclusive';
  lineItems: { description: string; accountCode: string; amount: string; taxType?: string }[];
}

/** One item of a batch create: what Xero made of it, or its validation messages. */
export type XeroItemResult<T> = { ok: true; value: T } | { ok: false; message: string };

export interface XeroPayment {
  paymentId: string;
  invoiceId: string;
  reference: string;
  amount: string; // decimal string
  status: string; // AUTHORISED | DELETED
  date?: string; // YYYY-MM-DD
  accountId?: string;
}

/**
 * A payment on a bank account as GET /Payments lists it. A refund of an overpayment, prepayment or
 * credit note has no Invoice (PaymentType AROVERPAYMENTPAYMENT, ARPREPAYMENTPAYMENT, ARCREDITPAYMENT,
 * and the AP ones: xero_accounting.yaml schema Payment), so invoiceId is optional here.
 */
export interface XeroAccountPayment extends Omit<XeroPayment, 'invoiceId'> {
  invoiceId?: string;
  paymentType: string; // ACCRECPAYMENT, ACCPAYPAYMENT, AROVERPAYMENTPAYMENT, ...
  /** Payment.BankAmount: the amount in the bank account's currency (decimal string), when Xero gives it. */
  bankAmount?: string;
}

export interface XeroOrganisation {
  organisationId: string;
  name: string;
  shortCode: string;
  baseCurrency: string;
  /** Xero's Windows-style zone name, e.g. SEASIASTANDARDTIME. */
  timezone?: string;
  /** Organisation.IsDemoCompany: Xero's Demo Company, where test money may be recorded. */
  isDemoCompany?: boolean;
  /** The later of PeriodLockDate and EndOfYearLockDate (YYYY-MM-DD); absent when neither is set. */
  lockDate?: string;
}

export interface NewXeroBankTransfer {
  fromAccountId: string;
  toAccountId: string;
  /** Decimal string, > 0, in the accounts' currency. */
  amount: string;
  date: string; // YYYY-MM-DD
  reference: string;
  fromIsReconciled: boolean;
  toIsReconciled: boolean;
}

export interface XeroBankTransfer {
  bankTransferId: string;
  fromAccountId: string;
  toAccountId: string;
  amount: string;
  reference: string;
  fromIsReconciled: boolean;
  date?: string; // YYYY-MM-DD
}

export interface XeroBankAccount {
  accountId: string;
  name: string;
  code?: string;
  currencyCode?: string;
}

/** A chart-of-accounts entry of one class, e.g. EXPENSE (types EXPENSE, OVERHEADS, DIRECTCOSTS…). */
export interface XeroLedgerAccount {
  code: string;
  name: string;
  type: string;
}

/** The ACTIVE chart of accounts as the gateway uses it, read whole in one call (a few hundred accounts at most). */
export interface XeroChart {
  /** Every account a Spend or Receive Money line may be coded to: not a bank account, not a system account, with a code. */
  lineAccounts: XeroLedgerAccount[];
  /** The code of every account, of any type: an account archived or deleted since is not among them. */
  codes: string[];
  /** The ids of the BANK accounts (the only kind Xero reconciles). */
  bankAccountIds: string[];
  /** Every account's CurrencyCode by AccountID; null where Xero gives none (an account in the base currency). */
  accountCurrencies: Record<string, string | null>;
}

export interface NewXeroBankAccount {
  name: string;
  accountNumber: string;
  /** Defaults to the organisation's base currency. */
  currencyCode?: string;
}

export interface NewXeroPayment {
  invoiceId: string;
  accountId: string;
  date: string; // YYYY-MM-DD
  amount: string; // decimal string
  reference: string;
  /**
   * Created as reconciled (Xero's IsReconciled): no bank feed will ever bring a Xendit clearing
   * account's lines to match. Only for a BANK account: Xero reconciles bank accounts only.
   */
  reconciled?: boolean;
}

/** A Spend Money (SPEND) or Receive Money (RECEIVE) bank transaction. */
export interface XeroBankTransaction {
  bankTransactionId: string;
  type: string; // SPEND | RECEIVE | ...
  bankAccountId: string;
  reference: string;
  currencyCode: string;
  total: string; // decimal string
  status: string; // AUTHORISED | DELETED | VOIDED
  lineItems: { description: string; accountCode: string; lineAmount: string }[];
  date?: string; // YYYY-MM-DD
  /** RECEIVE-OVERPAYMENT: the overpayment's own id (BankTransaction.OverpaymentID), which refunds name. */
  overpaymentId?: string;
}

/** A payment that refunds a credit note or an overpayment (PaymentType ARCREDITPAYMENT / AROVERPAYMENTPAYMENT). */
export interface XeroRefundPayment {
  paymentId: string;
  kind: 'credit note' | 'overpayment';
  amount: string; // decimal string
  /** The credit note or overpayment refunded, when Xero names it (GET /Payments may not). */
  documentId?: string;
}

export interface XeroOverpayment {
  overpaymentId: string;
  status: string; // AUTHORISED | PAID | VOIDED
  /** Decimal string; Xero may leave it out of an overpayment that holds nothing. */
  remainingCredit?: string;
  currencyCode: string;
}

export interface NewXeroBankTransaction {
  /** RECEIVE-OVERPAYMENT: money received beyond an invoice, held as the contact's credit (no account code on its line). */
  type: 'SPEND' | 'RECEIVE' | 'RECEIVE-OVERPAYMENT';
  bankAccountId: string;
  /** Xero requires a contact on bank transactions: by id, or by name (Xero finds it or creates it). */
  contactName?: string;
  contactId?: string;
  date: string; // YYYY-MM-DD
  reference: string;
  currencyCode: string;
  /** Amounts carry no tax (LineAmountTypes NoTax). */
  lineItems: { description: string; accountCode?: string; amount: string /* decimal string; a line may be negative, the total not */ }[];
  /** Created as reconciled (IsReconciled): see NewXeroPayment.reconciled. */
  reconciled?: boolean;
}

export interface XeroContact {
  contactId: string;
  name: string;
  email?: string;
}

export interface NewXeroContact {
  name: string;
  email?: string;
}

/**
 * An AUTHORISED sales invoice. Without taxType the amounts carry no tax (LineAmountTypes NoTax,
 * TaxType NONE); with it every line has that TaxType and the amounts include the tax
 * (LineAmountTypes Inclusive): Xero splits the tax out and the total stays the sum of the lines.
 */
export interface NewXeroInvoice {
  /** ACCREC (a sale, the default) or ACCPAY (a bill from a supplier). */
  type?: 'ACCREC' | 'ACCPAY';
  /** The contact by id, or by name (Xero uses the contact of that name, or makes one). */
  contactId?: string;
  contactName?: string;
  /** A bill's (ACCPAY) own number: Xero keeps no Reference on bills. A sale's is Xero's to give. */
  invoiceNumber?: string;
  date: string; // YYYY-MM-DD
  dueDate: string; // YYYY-MM-DD
  reference: string;
  currencyCode: string;
  lineItems: { description: string; quantity: string /* decimal */; unitAmount: string /* decimal */; accountCode: string }[];
  taxType?: string;
}

/** A tax rate of the organisation (Xero TaxRates). */
export interface XeroTaxRate {
  /** The code lines carry, e.g. OUTPUT, TAX001. */
  taxType: string;
  name: string;
  /** Percent, decimal string as Xero gives it (e.g. "11", "12.5"). */
  effectiveRate: string;
}

/** Any chart-of-accounts entry, by id (a clearing account may be BANK, or another type with payments enabled). */
export interface XeroAccount {
  accountId: string;
  code?: string;
  name: string;
  type: string; // BANK, CURRENT, ...
  status: string; // ACTIVE | ARCHIVED
  enablePaymentsToAccount: boolean;
  currencyCode?: string; // BANK accounts only
}

/** A manual journal line: a signed decimal string, positive = debit, negative = credit. */
export interface XeroJournalLine {
  description: string;
  accountCode: string;
  amount: string;
}

export interface XeroManualJournal {
  manualJournalId: string;
  narration: string;
  status: string; // DRAFT | POSTED | DELETED | VOIDED
  date?: string; // YYYY-MM-DD
  lines: XeroJournalLine[];
}

/** Posted at once (Status POSTED), amounts without tax (LineAmountTypes NoTax). Lines must balance. */
export interface NewXeroManualJournal {
  narration: string;
  date: string; // YYYY-MM-DD
  lines: XeroJournalLine[];
}
