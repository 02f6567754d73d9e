/**
 * What the gateway needs from Xero and Xendit, in our own terms (decimal strings and minor units,
 * never floats). clients/xero.ts and clients/xendit.ts implement these over the official SDKs;
 * tests and the demo point those SDKs at app/simulators/.
 */
import type { Currency } from '../money.js';

// ---------- Xero ----------
export type XeroInvoiceStatus = 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'PAID' | 'VOIDED' | 'DELETED';

export interface XeroLineItem {
  description: string;
  quantity: string; // decimal string, e.g. "1" or "1.5"
  unitAmount: string; // decimal string
  lineAmount: string; // decimal string
}

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
  lineItems: XeroLineItem[];
}

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

export interface NewXeroBankAccount {
  name: string;
  accountNumber: string;
  /** Defaults to the organisation's base currency. */
  currencyCode?: string;
}

/**
 * How to reach one organisation. A Custom Connection (client_credentials): tenantId is ''. An OAuth
 * 2.0 connection (`oauth` set): clientId is the gateway's Xero app, clientSecret is unused (the
 * client is configured with the app's secret) and the merchant's token set lives in XeroTokenStore.
 */
export interface XeroCredentials {
  clientId: string;
  clientSecret: string;
  tenantId: string;
  oauth?: { merchantId: string };
}

/** An OAuth 2.0 token set as we keep it (sealed at rest). */
export interface XeroTokenSet {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  idToken?: string;
  scope?: string;
}

/** What a refresh under the lock decided: keep the stored set, store a new one, or give up on the connection. */
export type XeroRefreshOutcome =
  { kind: 'fresh'; tokens: XeroTokenSet } | { kind: 'refreshed'; tokens: XeroTokenSet } | { kind: 'revoked'; reason: string; at: Date };

/**
 * Where OAuth token sets live (app/store/xero-tokens.ts): clients never see SQL. `refreshLocked`
 * holds the merchant's token row locked (across processes) while `decide` runs, and commits what
 * it returns before resolving; null when the merchant has no token set (disconnected).
 */
export interface XeroTokenStore {
  current(merchantId: string): Promise<XeroTokenSet | null>;
  refreshLocked(merchantId: string, decide: (stored: XeroTokenSet) => Promise<XeroRefreshOutcome>): Promise<XeroRefreshOutcome | null>;
}

/** A tenant the user connected to our app (GET /connections). */
export interface XeroConnection {
  connectionId: string;
  tenantId: string;
  tenantName: string;
  tenantType: string;
}

/** The authorization-code flow (clients/xero-oauth.ts). */
export interface XeroOAuth {
  readonly clientId: string;
  readonly scopes: string[];
  authorizationUrl(p: { state: string; nonce: string; codeChallenge: string }): Promise<string>;
  /** Exchanges the code (PKCE verifier, state and nonce checked); rejects with OAuthRefused. */
  exchangeCode(p: { query: Record<string, string>; state: string; nonce: string; codeVerifier: string }): Promise<XeroTokenSet>;
  connections(tokens: XeroTokenSet): Promise<XeroConnection[]>;
  organisation(tokens: XeroTokenSet, tenantId: string): Promise<XeroOrganisation>;
  deleteConnection(tokens: XeroTokenSet, connectionId: string): Promise<void>;
  revoke(tokens: XeroTokenSet): Promise<void>;
}

export interface NewXeroPayment {
  invoiceId: string;
  accountId: string;
  date: string; // YYYY-MM-DD
  amount: string; // decimal string
  reference: string;
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
  lineItems: { description: string; accountCode?: string; amount: string /* decimal string */ }[];
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
  contactId: string;
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

export interface XeroGateway {
  getOrganisation(creds: XeroCredentials): Promise<XeroOrganisation>;
  /**
   * null when no invoice has that number. Several readings of one number (a raw `+` in a pay link):
   * asked in one call, and null unless exactly one of them names an invoice (never a guess between
   * two); readings with a comma are not asked (InvoiceNumbers is a comma-separated list): null.
   * `prepaid`: a budget ticket already taken for this call (the pay click takes it with its admission).
   */
  findInvoiceByNumber(creds: XeroCredentials, invoiceNumber: string | readonly string[], prepaid?: XeroBudgetTicket): Promise<XeroInvoice | null>;
  getInvoice(creds: XeroCredentials, invoiceId: string): Promise<XeroInvoice | null>;
  /** Payments (not DELETED) whose Reference equals `reference` exactly, on that invoice. */
  findPaymentsByReference(creds: XeroCredentials, invoiceId: string, reference: string): Promise<XeroPayment[]>;
  createPayment(creds: XeroCredentials, payment: NewXeroPayment, idempotencyKey: string): Promise<XeroPayment>;
  listBankAccounts(creds: XeroCredentials): Promise<XeroBankAccount[]>;
  /** Active accounts of that class that have a code (fees go to EXPENSE, sales to REVENUE). */
  listAccountsOfClass(creds: XeroCredentials, accountClass: 'EXPENSE' | 'REVENUE'): Promise<XeroLedgerAccount[]>;
  createBankAccount(creds: XeroCredentials, account: NewXeroBankAccount, idempotencyKey: string): Promise<XeroBankAccount>;
  /** ACTIVE tax rates that can apply to revenue accounts (CanApplyToRevenue), NONE included. */
  listSalesTaxRates(creds: XeroCredentials): Promise<XeroTaxRate[]>;
  /** Bank transactions (not DELETED or VOIDED) whose Reference equals `reference` exactly. */
  findBankTransactionsByReference(creds: XeroCredentials, reference: string): Promise<XeroBankTransaction[]>;
  createBankTransaction(creds: XeroCredentials, txn: NewXeroBankTransaction, idempotencyKey: string): Promise<XeroBankTransaction>;
  /** Active contacts whose e-mail address (case-insensitive) or name (case-insensitive) is exactly this. */
  findContacts(creds: XeroCredentials, by: { email: string } | { name: string }): Promise<XeroContact[]>;
  createContact(creds: XeroCredentials, contact: NewXeroContact, idempotencyKey: string): Promise<XeroContact>;
  /** Invoices (not DELETED or VOIDED) whose Reference equals `reference` exactly. */
  findInvoicesByReference(creds: XeroCredentials, reference: string): Promise<XeroInvoice[]>;
  createInvoice(creds: XeroCredentials, invoice: NewXeroInvoice, idempotencyKey: string): Promise<XeroInvoice>;
  /** null when Xero has no account with this id. */
  getAccount(creds: XeroCredentials, accountId: string): Promise<XeroAccount | null>;
  /** Manual journals (not DELETED or VOIDED) whose Narration equals `narration` exactly. */
  findManualJournalsByNarration(creds: XeroCredentials, narration: string): Promise<XeroManualJournal[]>;
  createManualJournal(creds: XeroCredentials, journal: NewXeroManualJournal, idempotencyKey: string): Promise<XeroManualJournal>;
  /** Every POSTED manual journal, all pages. */
  listManualJournals(creds: XeroCredentials): Promise<XeroManualJournal[]>;
  /** Every payment (not DELETED) into this account, all pages. */
  listPaymentsToAccount(creds: XeroCredentials, accountId: string): Promise<XeroAccountPayment[]>;
  /** Every bank transaction (not DELETED or VOIDED) on this bank account, all pages. */
  listBankTransactionsOfAccount(creds: XeroCredentials, accountId: string): Promise<XeroBankTransaction[]>;
  /** The same client, spending the rate budget as `purpose` (a client starts as 'read'). */
  forPurpose(purpose: XeroCallPurpose): XeroGateway;
}

// ---------- Xero rate budget (shared by every process) ----------
/**
 * read: worker and admin reads. pay-click: a customer's /pay. Both stop when only the reserved
 * share of the daily budget is left. payment-write: record-payment and post-fee (their reads
 * included), which may spend the reserve.
 */
export type XeroCallPurpose = 'read' | 'pay-click' | 'payment-write';

/** Xero counts per organisation (of an app) and per app. */
export interface XeroBudgetScope {
  clientId: string;
  tenantId: string;
}

/** What Xero said about the limits in its answer (headers), for correcting our counters. */
export interface XeroCallOutcome {
  minRemaining?: number;
  dayRemaining?: number;
  appMinRemaining?: number;
  /** Set on a 429: nobody calls this organisation (or app, when `appWide`) for that long. */
  blockedForSeconds?: number;
  appWide?: boolean;
}

export type XeroBudgetRefusal = 'blocked' | 'day' | 'reserve' | 'minute' | 'app_minute' | 'in_flight';

export type XeroBudgetTicket =
  | {
      ok: true;
      /** After the call: frees its in-flight slot and corrects the counts from Xero's answer. */
      release(outcome: XeroCallOutcome): Promise<void>;
      /** Instead of release when the call was never made: frees the slot and gives the call back. */
      refund(): Promise<void>;
    }
  | { ok: false; reason: XeroBudgetRefusal; retryAfterSeconds: number };

export interface XeroBudget {
  /** Takes one call from this minute's and day's budget and one in-flight slot, or says why not. */
  acquire(scope: XeroBudgetScope, purpose: XeroCallPurpose): Promise<XeroBudgetTicket>;
}

/** For tests and tools that do not care about limits. */
export const unlimitedXeroBudget: XeroBudget = {
  acquire: async () => ({ ok: true, release: async () => undefined, refund: async () => undefined }),
};

// ---------- Xendit ----------
export type XenditInvoiceStatus = 'PENDING' | 'PAID' | 'SETTLED' | 'EXPIRED';

export interface XenditInvoice {
  id: string;
  externalId: string;
  status: XenditInvoiceStatus;
  currency: Currency;
  amount: number; // minor units
  invoiceUrl: string;
  /** How long Xendit lets it be paid: expiry_date − created, both on Xendit's clock (so no clock skew); absent when not sent. */
  validForSeconds?: number;
  paidAmount?: number; // minor units
  feesPaidAmount?: number; // minor units
  /** fees_paid_amount exactly as Xendit sent it, when it does not fit the currency's minor unit (feesPaidAmount is then absent). */
  feesPaidRaw?: string;
  /** VAT Xendit charged on its fee (minor units), when Xendit reports it. */
  feeTax?: number;
  paidAt?: string; // ISO timestamp
  paymentMethod?: string;
  description?: string;
  payerEmail?: string;
  /** Xendit's customer object: full name and e-mail, when the invoice has one. */
  customer?: { name?: string; email?: string };
  /** Present only when every item is readable in the invoice's currency. */
  items?: { name: string; quantity: number; price: number /* minor units */ }[];
}

export interface NewXenditInvoice {
  externalId: string;
  currency: Currency;
  amount: number; // minor units
  description: string;
  payerEmail?: string;
  items?: { name: string; quantity: number; price: number /* minor units */ }[];
  successRedirectUrl: string;
  failureRedirectUrl: string;
  invoiceDurationSeconds: number;
}

/** What picks a paid invoice's payment transaction out of those carrying its external id. */
export interface FeeTaxQuery {
  /** The Xendit invoice id. */
  id: string;
  externalId: string;
  /** What was paid, minor units. */
  paidAmount: number;
  currency: Currency;
}

/**
 * found: Xendit's fee (fee.xendit_fee) and the VAT on it (fee.value_added_tax), minor units, 0 when none. not_found: Xendit lists no payment transaction for the
 * invoice (its ledger may lag the payment). ambiguous: `count` transactions fit and nothing tells
 * them apart (external ids are not unique at Xendit); `more`: Xendit had more than one page of them.
 */
export type FeeTaxLookup =
  | { kind: 'found'; fee: number; tax: number }
  | { kind: 'not_found' }
  | { kind: 'ambiguous'; count: number; more: boolean }
  /** Xendit's figure does not fit the currency (e.g. 4350.5 IDR): kept as sent, never rounded. */
  | { kind: 'unfit'; field: string; raw: string };

export interface XenditGateway {
  createInvoice(secretKey: string, invoice: NewXenditInvoice): Promise<XenditInvoice>;
  /** null when Xendit has no invoice with that id. */
  getInvoice(secretKey: string, invoiceId: string): Promise<XenditInvoice | null>;
  findInvoicesByExternalId(secretKey: string, externalId: string): Promise<XenditInvoice[]>;
  expireInvoice(secretKey: string, invoiceId: string): Promise<void>;
  /** Invoices PAID or SETTLED with paid_at in [paidAfter, paidBefore], all pages. */
  listPaidInvoices(secretKey: string, range: { paidAfter: Date; paidBefore: Date }): Promise<XenditInvoice[]>;
  /**
   * One page (newest created first) of invoices PAID or SETTLED with paid_at in [paidAfter, paidBefore],
   * continuing after `lastInvoiceId`. `pageLength` counts every row Xendit sent (a short page is the
   * last); `invoices` leaves out rows we cannot read (e.g. an unsupported currency), listed in `skipped`.
   */
  listPaidInvoicesPage(
    secretKey: string,
    q: { paidAfter: Date; paidBefore: Date; limit: number; lastInvoiceId?: string },
  ): Promise<{ invoices: XenditInvoice[]; pageLength: number; lastInvoiceId?: string; skipped: string[] }>;
  /**
   * Xendit's fee and the VAT on it for this paid invoice (minor units), from the payment's
   * transaction (Transactions API, fee.xendit_fee and fee.value_added_tax), looked up by
   * reference_id = the invoice's external id (a transaction's product_id is the VA deposit,
   * e-wallet charge, ... not the invoice; product_data.payment_link_id names the invoice when present).
   * The callback's fees_paid_amount is not used: xendit-node's Invoice model lacks it and Xendit's
   * own callback example shows 0.
   */
  getFeeTax(secretKey: string, invoice: FeeTaxQuery): Promise<FeeTaxLookup>;
  /**
   * Every permission the gateway uses, probed without creating anything a customer could pay:
   * the ones this key lacks (Xendit answered 403), in XENDIT_PERMISSIONS order; [] when it can do
   * the job. Throws UpstreamError 'unauthorized' (401) for a key Xendit does not know.
   */
  checkSecretKey(secretKey: string): Promise<XenditPermission[]>;
}

/** What the gateway does with a merchant's Xendit key (Xendit grants per product: Money-in invoices, Transactions). */
export const XENDIT_PERMISSIONS = ['create_invoices', 'read_invoices', 'list_invoices', 'expire_invoices', 'read_transactions'] as const;
export type XenditPermission = (typeof XENDIT_PERMISSIONS)[number];

// ---------- Errors both clients throw ----------
/**
 * unavailable: network error, timeout, 5xx — retry later.
 * rate_limited: 429 — retry after retryAfterSeconds.
 * rejected: 4xx validation (e.g. Xero 400 "payment exceeds amount due") — never retry.
 * unauthorized: 401/403, bad credentials or revoked connection.
 */
export type UpstreamErrorKind = 'unavailable' | 'rate_limited' | 'rejected' | 'unauthorized';

export class UpstreamError extends Error {
  constructor(
    readonly upstream: 'xero' | 'xendit',
    readonly kind: UpstreamErrorKind,
    message: string,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(`${upstream} ${kind}${status ? ` (${status})` : ''}: ${message}`);
    this.name = 'UpstreamError';
  }
  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'rate_limited';
  }
  /** Our own rate budget refused the call before anything was sent (a 429 from upstream has a status). */
  get heldBack(): boolean {
    return this.kind === 'rate_limited' && this.status === undefined;
  }
}

/** The merchant's OAuth connection is gone (invalid_grant, revoked, disconnected): nothing to retry until they reconnect. */
export class XeroDisconnected extends UpstreamError {
  constructor(
    readonly merchantId: string,
    reason: string,
  ) {
    super('xero', 'unauthorized', `Xero disconnected — reconnect (${reason})`);
    this.name = 'XeroDisconnected';
  }
  override get retryable(): boolean {
    return false;
  }
}

/** The authorisation server refused the code (or the answer failed its checks). */
export class OAuthRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OAuthRefused';
  }
}

/** Told of every upstream call the clients make (app/metrics): latency and, when it failed, how. */
export interface CallObserver {
  /** `error` is the UpstreamError kind (or 'unexpected'); undefined when the call succeeded. */
  observe(op: string, seconds: number, error?: string): void;
}
