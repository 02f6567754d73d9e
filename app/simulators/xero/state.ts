/**
 * The simulated Xero's data (organisations, their accounts, invoices, payments, ...). Every module
 * of the simulator reads these types, so this file imports none of those that do (no import
 * cycles); the simulator's interface is in simulator.ts.
 */
import type { SimTaxRate } from './tax-rates.js';
import { emptyOAuthState, type SimOAuthState } from './oauth.js';
import type { StoredAnswer } from './idempotency.js';

export type SimInvoiceStatus = 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'PAID' | 'VOIDED' | 'DELETED';
export type SimInvoiceType = 'ACCREC' | 'ACCPAY';
export type SimAccountType = 'BANK' | 'REVENUE' | 'CURRENT' | 'EXPENSE' | 'EQUITY' | 'LIABILITY';

export interface SimAccount {
  accountId: string;
  code: string;
  name: string;
  type: SimAccountType;
  currencyCode?: string; // BANK accounts only; defaults to the org's base currency
  /** The account's default TaxType (Account.TaxType), taken by a line that names none; absent: NONE. */
  taxType?: string;
  bankAccountNumber?: string; // BANK accounts only
  status: 'ACTIVE' | 'ARCHIVED';
  enablePaymentsToAccount: boolean;
  /** Xero's SystemAccount (xero_accounting.yaml Account.SystemAccount; its example: 610 Accounts Receivable is DEBTORS). */
  systemAccount?: 'DEBTORS' | 'CREDITORS';
}

export interface SimLineItem {
  lineItemId: string;
  description: string;
  accountCode?: string;
  quantity: bigint; // ten-thousandths
  unitAmount: bigint; // ten-thousandths
  lineAmount: bigint; // hundredths (tax included when the invoice is Inclusive)
  taxType: string;
  taxAmount: bigint; // hundredths
}

export interface SimInvoice {
  invoiceId: string;
  invoiceNumber: string;
  type: SimInvoiceType;
  status: SimInvoiceStatus;
  contact: { contactId: string; name: string; email?: string };
  currencyCode: string;
  reference: string;
  /** As sent (Xero's default Exclusive when not); the simulator puts tax only on Inclusive lines. */
  lineAmountTypes: 'NoTax' | 'Inclusive' | 'Exclusive';
  lineItems: SimLineItem[];
  total: bigint; // hundredths, the sum of the line amounts
  totalTax: bigint; // hundredths
  amountPaid: bigint; // hundredths
  date: string; // YYYY-MM-DD
  dueDate: string;
  updatedAt: Date;
  fullyPaidOn?: string;
  /**
   * Credit allocated to it (invoices.ts allocateToInvoice): from a credit note, an overpayment or a
   * prepayment, each entry naming its one document; absent in older saved state: none.
   */
  credits?: { creditNoteId?: string; overpaymentId?: string; prepaymentId?: string; amount: bigint /* hundredths */; date: string }[];
}

export interface SimContact {
  contactId: string;
  name: string;
  email?: string;
}

export interface SimPayment {
  paymentId: string;
  invoiceId: string;
  accountId: string;
  date: string;
  amount: bigint; // hundredths
  /** Into an account of the base currency for an invoice in another: the amount in the account's currency (hundredths) and the rate it was converted at. */
  bankAmount?: bigint;
  currencyRate?: string;
  reference: string;
  status: 'AUTHORISED' | 'DELETED';
  /** Created with IsReconciled on a BANK account: never offered for bank-statement matching. */
  reconciled?: boolean;
  updatedAt: Date;
}

export interface SimBankTransaction {
  bankTransactionId: string;
  type: 'SPEND' | 'RECEIVE' | 'RECEIVE-OVERPAYMENT' | 'RECEIVE-PREPAYMENT';
  /** RECEIVE-OVERPAYMENT / RECEIVE-PREPAYMENT only: the document's own id, and what was allocated to invoices (overpayments.ts). */
  overpaymentId?: string;
  prepaymentId?: string;
  allocated?: bigint;
  accountId: string; // the BANK account
  contact: { contactId: string; name: string };
  date: string;
  reference: string;
  currencyCode: string;
  /** As sent, Xero's default Exclusive when not (xero_accounting.yaml LineAmountTypes); absent in older saved state: NoTax. */
  lineAmountTypes?: 'NoTax' | 'Inclusive' | 'Exclusive';
  /** taxType/taxAmount absent in older saved state: NONE, 0. */
  lineItems: {
    lineItemId: string;
    description: string;
    accountCode: string;
    /** As sent, ten-thousandths (bank-transactions.ts bankTransactionJson); absent: 1 × lineAmount. */
    quantity?: bigint;
    unitAmount?: bigint;
    lineAmount: bigint /* hundredths */;
    taxType?: string;
    taxAmount?: bigint;
  }[];
  total: bigint; // hundredths, tax included
  totalTax?: bigint;
  status: 'AUTHORISED' | 'DELETED' | 'VOIDED';
  reconciled?: boolean;
  updatedAt: Date;
}

/** A manual journal; line amounts are hundredths, positive = debit, negative = credit (Xero's convention). */
export interface SimManualJournal {
  manualJournalId: string;
  narration: string;
  date: string;
  status: 'DRAFT' | 'POSTED' | 'DELETED' | 'VOIDED';
  lines: { description: string; accountCode: string; lineAmount: bigint; taxType: string }[];
  updatedAt: Date;
}

/** A customer credit note (credit-notes.ts). */
export interface SimCreditNote {
  creditNoteId: string;
  contact: SimContact;
  date: string;
  reference: string;
  currencyCode: string;
  lineAmountTypes: 'NoTax' | 'Inclusive';
  lineItems: { description: string; accountCode: string; lineAmount: bigint; taxType: string; taxAmount: bigint }[];
  total: bigint; // hundredths
  totalTax: bigint;
  remaining: bigint;
  status: 'AUTHORISED' | 'PAID';
  updatedAt: Date;
}

/** A payment that refunds an overpayment, prepayment or credit note, with no invoice (refund-payments.ts). */
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

/** A transfer between two of the organisation's bank accounts (bank-transfers.ts). */
export interface SimBankTransfer {
  bankTransferId: string;
  fromAccountId: string;
  toAccountId: string;
  fromBankTransactionId: string;
  toBankTransactionId: string;
  amount: bigint; // hundredths
  currencyCode: string;
  date: string; // YYYY-MM-DD
  reference: string;
  fromIsReconciled: boolean;
  toIsReconciled: boolean;
  createdAt: Date;
  /** Its last change (a deletion); absent: createdAt. Its two sides list it as their UpdatedDateUTC. */
  updatedAt?: Date;
  /** DELETED by POST /BankTransfers (deleteBankTransfers) or in Xero's UI; absent: AUTHORISED. */
  status?: 'AUTHORISED' | 'DELETED';
}

export interface Usage {
  /** When each call in the last minute / day was let through (ms, oldest first): Xero's windows roll. */
  minuteCalls?: number[];
  dayCalls?: number[];
  inFlight: number;
}

export interface SimOrganisation {
  tenantId: string; // also the OrganisationID
  clientId: string;
  clientSecret: string;
  name: string;
  shortCode: string;
  baseCurrency: string;
  /** The currencies added to it (Settings → Currencies; GET /Currencies), the base one first; absent in older saved state: currencies.ts's default. */
  currencies?: string[];
  /** Xero's Windows-style zone name (Organisation.Timezone). */
  timezone: string;
  /** Organisation.IsDemoCompany (xero_accounting.yaml, Organisation): true only for Xero's Demo Company. */
  isDemoCompany: boolean;
  /** The scopes its Custom Connection was authorised with (space-separated); absent in older saved state: the default. */
  scopes?: string;
  createdAt: Date;
  accounts: SimAccount[];
  invoices: Map<string, SimInvoice>;
  payments: Map<string, SimPayment>;
  bankTransactions: Map<string, SimBankTransaction>;
  manualJournals: Map<string, SimManualJournal>;
  contacts: Map<string, SimContact>; // by lower-case name (Xero keeps contact names unique)
  taxRates: SimTaxRate[];
  idempotency: Map<string, StoredAnswer>;
  usage: Usage;
  nextInvoiceNumber: number;
  /** Payment services and branding themes (payment-services.ts); absent in older saved state. */
  paymentServices?: SimPaymentService[];
  brandingThemes?: SimBrandingTheme[];
  /** Credit notes (credit-notes.ts) and payments refunding documents (refund-payments.ts); absent in older saved state. */
  creditNotes?: Map<string, SimCreditNote>;
  refundPayments?: SimRefundPayment[];
  /** Bank transfers (bank-transfers.ts); absent in older saved state. */
  bankTransfers?: SimBankTransfer[];
  /** Lock dates (YYYY-MM-DD, Organisation.PeriodLockDate / EndOfYearLockDate): nothing dated on or before them is accepted. */
  periodLockDate?: string;
  endOfYearLockDate?: string;
}

export interface SimPaymentService {
  paymentServiceId: string;
  name: string;
  url: string;
  payNowText: string;
}

export interface SimBrandingTheme {
  brandingThemeId: string;
  name: string;
  sortOrder: number;
  /** The credit card payment service applied to invoices of this theme, if any. */
  paymentServiceId?: string;
}

export interface SimRequest {
  method: string;
  path: string;
  /** The query string as sent (where, summarizeErrors…), without the `?`. */
  query?: string;
  at: Date;
}

export interface XeroSimState {
  orgs: Map<string, SimOrganisation>;
  accessTokens: Map<string, { clientId: string; expiresAt: number; scope: string; grantId?: string }>;
  refreshTokens: Map<string, { clientId: string; validUntil: number }>;
  appUsage: Map<string, number[]>;
  /** Day limits of apps (client id) not on the simulator's limits.perDay: their Xero tier's (test API setDayLimit). */
  dayLimits: Map<string, number>;
  requests: SimRequest[];
  tokenRequests: number;
  /** "Connect to Xero" apps, consents (grants), codes and their counters (oauth.ts). */
  oauth: SimOAuthState;
  /** The app's webhook subscription and the deliveries made (webhooks.ts). */
  webhooks: SimWebhooks;
  /** The most rows a list page holds whatever pageSize asks (test API pageBy); none: pageSize, up to 1000. */
  pageBy?: number;
  /** Payments an organisation holds before GET Payments takes only optimised filters (high-volume.ts); none: Xero's 100 000. */
  paymentsHighVolume?: number;
  invoicesHighVolume?: number;
}

export interface XeroSimLimits {
  perMinute: number;
  perDay: number;
  appPerMinute: number;
  /** Calls in progress at once per organisation (Xero: 5); unlimited by default so tests may fan out. */
  concurrent: number;
}

export interface NewSimOrganisation {
  clientId: string;
  clientSecret: string;
  name: string;
  shortCode: string;
  baseCurrency: string;
  /**
   * Currencies added besides the base one (Xero refuses any other: currencies.ts). Default: those
   * the gateway supports (money.ts SUPPORTED_CURRENCIES); [] for an organisation with its base only.
   */
  currencies?: string[];
  tenantId?: string;
  /**
   * Spelled as Xero sends it (xero-node TimeZone enum, e.g. 'UTC+12', 'UTC11'; the sign is kept for
   * the eastern fixed offsets only). Default: the zone of the base currency's market
   * (SEASIASTANDARDTIME for IDR/THB/VND, SINGAPORESTANDARDTIME for PHP/MYR), else UTC.
   */
  timezone?: string;
  isDemoCompany?: boolean;
  /** The scopes its Custom Connection is authorised with (space-separated); default: what the gateway asks for. */
  scopes?: string;
}

export interface NewSimInvoice {
  /** Defaults to the only organisation. */
  tenantId?: string;
  invoiceNumber?: string;
  type?: SimInvoiceType;
  status?: SimInvoiceStatus; // default AUTHORISED
  contact: { name: string; email?: string };
  currency?: string; // default: the org's base currency
  /** A line's TaxType (one of the organisation's sales rates) makes the invoice tax-inclusive, as invoices with tax are here. */
  lineItems: { description: string; quantity?: string; unitAmount: string; accountCode?: string; taxType?: string }[];
  /** Already paid (decimal string); recorded as one payment into a bank account other than "Xendit". */
  amountPaid?: string;
  reference?: string;
  date?: string;
  dueDate?: string;
}

export interface SimWebhookDelivery {
  url: string;
  eventCount: number;
  /** The HTTP status the receiver answered, or 0 when it could not be reached. */
  status: number;
  firstEventSequence?: number;
  lastEventSequence?: number;
  /** 0 for a batch's first POST, then 1, 2, … for Xero's retries of the same request. */
  attempt?: number;
  at?: string;
}

/** One event of a delivery's `events` array (developer.xero.com/documentation/webhooks/overview). */
export interface SimWebhookEvent {
  resourceUrl: string;
  resourceId: string;
  eventDateUtc: string;
  eventType: 'CREATE' | 'UPDATE';
  eventCategory: 'INVOICE';
  tenantId: string;
  tenantType: 'ORGANISATION';
}

/** A delivery the receiver did not take, retried as it was until taken or disabled (webhooks.ts). Times in ms. */
export interface SimFailingDelivery {
  body: string;
  signature: string;
  eventCount: number;
  firstEventSequence: number;
  lastEventSequence: number;
  firstRefusedAt: number;
  attempts: number;
  nextAt: number;
}

/** The subscription (set up at developer.xero.com) and what was sent. Fields added later are optional (demo state saved before them). */
export interface SimWebhooks {
  /** status: DISABLED once a delivery was refused for 24 hours; subscribing again re-enables it. */
  subscription?: { url: string; key: string; status?: 'OK' | 'DISABLED' };
  deliveries: SimWebhookDelivery[];
  /** Changes not sent yet: the next delivery carries them all. */
  pending?: SimWebhookEvent[];
  failing?: SimFailingDelivery;
  nextSequence?: number;
  /** The last delivery the receiver took, for a test to send again (as when its 200 came too late). */
  lastTaken?: { body: string; signature: string; eventCount: number };
}

export function emptyState(): XeroSimState {
  return {
    orgs: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    appUsage: new Map(),
    dayLimits: new Map(),
    requests: [],
    tokenRequests: 0,
    oauth: emptyOAuthState(),
    webhooks: { deliveries: [] },
    ...{ pageBy: undefined, paymentsHighVolume: undefined, invoicesHighVolume: undefined }, // so that reset() clears them too
  };
}

export function orgsOfClient(state: XeroSimState, clientId: string): SimOrganisation[] {
  return [...state.orgs.values()].filter((o) => o.clientId === clientId);
}

export function requireOrg(state: XeroSimState, tenantId?: string): SimOrganisation {
  if (tenantId !== undefined) {
    const o = state.orgs.get(tenantId);
    if (!o) throw new Error(`no organisation ${tenantId}`);
    return o;
  }
  if (state.orgs.size !== 1) throw new Error('tenantId is required when the simulator has several organisations');
  return [...state.orgs.values()][0];
}

export function allPayments(state: XeroSimState): SimPayment[] {
  return [...state.orgs.values()].flatMap((o) => [...o.payments.values()]);
}
