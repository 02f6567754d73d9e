/**
 * What the gateway needs from Xero, in our own terms (decimal strings, never floats). The files
 * of clients/xero/ implement XeroGateway and XeroOAuth over xero-node; tests and the demo point
 * the SDK at app/simulators/.
 */
import type {
  XeroInvoice,
  XeroPaymentService,
  XeroBrandingTheme,
  XeroCreditNote,
  NewXeroCreditNote,
  XeroItemResult,
  XeroPayment,
  XeroAccountPayment,
  XeroOrganisation,
  NewXeroBankTransfer,
  XeroBankTransfer,
  XeroBankAccount,
  XeroLedgerAccount,
  XeroChart,
  NewXeroBankAccount,
  NewXeroPayment,
  XeroBankTransaction,
  XeroRefundPayment,
  XeroOverpayment,
  NewXeroBankTransaction,
  XeroContact,
  NewXeroContact,
  NewXeroInvoice,
  XeroTaxRate,
  XeroAccount,
  XeroManualJournal,
  NewXeroManualJournal,
  OpenInvoiceListed,
} from './records.js';

export type * from './records.js';

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

/** The authorization-code flow (clients/xero/oauth.ts). */
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

/** refreshed: a new token set is stored; recent: it was refreshed after the cut-off and left alone. */
export type XeroKeepAliveResult = 'refreshed' | 'recent';

/**
 * InvoiceIDs per GET Invoices: Xero answers 404 to a query string over 2 048 characters, 53 ids with
 * escaped commas (XeroAPI/Xero-OpenAPI#534, XeroAPI/xero-node#404), well before a page's 100
 * invoices. 50 fit batch.ts QUERY_PARAM_CHARS, by which getInvoicesByIds also splits.
 */
export const INVOICE_IDS_PER_CALL = 50;

export interface XeroGateway {
  /**
   * OAuth merchants: refreshes the token set unless it was refreshed after `idleBefore`, so that an
   * idle connection's refresh token never reaches Xero's 60 days. XeroDisconnected on invalid_grant.
   * Optional: test doubles of the gateway need not have it.
   */
  keepAliveToken?(merchantId: string, idleBefore: Date): Promise<XeroKeepAliveResult>;
  getOrganisation(creds: XeroCredentials): Promise<XeroOrganisation>;
  /** null when no invoice has that number. */
  /** `prepaid`: a budget ticket already taken for this call (the pay click takes it with its admission). */
  /**
   * Several readings of one number (a raw `+` in a pay link): asked in one call, and null unless
   * exactly one of them names an invoice (never a guess between two); readings with a comma are not
   * asked (InvoiceNumbers is a comma-separated list): null.
   */
  findInvoiceByNumber(creds: XeroCredentials, invoiceNumber: string | readonly string[], prepaid?: XeroBudgetTicket): Promise<XeroInvoice | null>;
  getInvoice(creds: XeroCredentials, invoiceId: string): Promise<XeroInvoice | null>;
  /**
   * One page of the open (AUTHORISED) sales invoices in Xero's order (currency and amounts where
   * given); `more` when Xero has a page after it (call.ts hasMorePages); `itemCount`: the listing's
   * whole count, when Xero sends it.
   */
  listOpenInvoiceNumbers(creds: XeroCredentials, page: number, pageSize: number): Promise<{ invoices: OpenInvoiceListed[]; more: boolean; itemCount?: number }>;
  /** The invoices of these ids (at most INVOICE_IDS_PER_CALL) that Xero returns, in one call; missing ids are simply absent. */
  getInvoicesByIds(creds: XeroCredentials, invoiceIds: readonly string[]): Promise<XeroInvoice[]>;
  /** Payments (not DELETED) whose Reference equals `reference` exactly, on that invoice. */
  findPaymentsByReference(creds: XeroCredentials, invoiceId: string, reference: string): Promise<XeroPayment[]>;
  createPayment(creds: XeroCredentials, payment: NewXeroPayment, idempotencyKey: string): Promise<XeroPayment>;
  /**
   * Many payments in one call (summarizeErrors=false): one result per item, in the items' order.
   * A failure of the whole call (429, 5xx, no answer, a request-level 400) is thrown.
   */
  createPayments(creds: XeroCredentials, payments: NewXeroPayment[], idempotencyKey: string): Promise<XeroItemResult<XeroPayment>[]>;
  /** Payments (not DELETED) whose Reference is exactly one of `references`, in as few calls as the query length allows. */
  findPaymentsByReferences(creds: XeroCredentials, references: string[]): Promise<XeroPayment[]>;
  listBankAccounts(creds: XeroCredentials): Promise<XeroBankAccount[]>;
  /** Active accounts of that class that have a code (fees go to EXPENSE, sales to REVENUE). */
  /** ACTIVE accounts of the class that have a code; system accounts (Accounts Receivable, Payable, …) left out, as no line may be coded to them. */
  listAccountsOfClass(creds: XeroCredentials, accountClass: 'EXPENSE' | 'REVENUE' | 'ASSET'): Promise<XeroLedgerAccount[]>;
  readChart(creds: XeroCredentials): Promise<XeroChart>;
  createBankAccount(creds: XeroCredentials, account: NewXeroBankAccount, idempotencyKey: string): Promise<XeroBankAccount>;
  /** ACTIVE tax rates that can apply to revenue accounts (CanApplyToRevenue), NONE included. */
  listSalesTaxRates(creds: XeroCredentials): Promise<XeroTaxRate[]>;
  /** Bank transactions (not DELETED or VOIDED) whose Reference equals `reference` exactly. */
  findBankTransactionsByReference(creds: XeroCredentials, reference: string): Promise<XeroBankTransaction[]>;
  createBankTransaction(creds: XeroCredentials, txn: NewXeroBankTransaction, idempotencyKey: string): Promise<XeroBankTransaction>;
  /** Many in one call, one result per item (see createPayments). */
  createBankTransactions(creds: XeroCredentials, txns: NewXeroBankTransaction[], idempotencyKey: string): Promise<XeroItemResult<XeroBankTransaction>[]>;
  /** The contact's RECEIVE-OVERPAYMENT bank transactions (not DELETED or VOIDED), in any account, line items included. */
  listOverpaymentsOfContact(creds: XeroCredentials, contactId: string): Promise<XeroBankTransaction[]>;
  /** Bank transactions (not DELETED or VOIDED) whose Reference is exactly one of `references`. */
  findBankTransactionsByReferences(creds: XeroCredentials, references: string[]): Promise<XeroBankTransaction[]>;
  /** Active contacts whose e-mail address (case-insensitive) or name (case-insensitive) is exactly this; none for an e-mail Xero refuses (xeroTakesEmail). */
  findContacts(creds: XeroCredentials, by: { email: string } | { name: string }): Promise<XeroContact[]>;
  /** Made without an e-mail Xero refuses (xeroTakesEmail). */
  createContact(creds: XeroCredentials, contact: NewXeroContact, idempotencyKey: string): Promise<XeroContact>;
  /** Invoices (not DELETED or VOIDED) whose Reference equals `reference` exactly. */
  /** Bills (ACCPAY) with exactly this number, not deleted or voided. */
  findBillsByNumber(creds: XeroCredentials, invoiceNumber: string): Promise<XeroInvoice[]>;
  findInvoicesByReference(creds: XeroCredentials, reference: string): Promise<XeroInvoice[]>;
  createInvoice(creds: XeroCredentials, invoice: NewXeroInvoice, idempotencyKey: string): Promise<XeroInvoice>;
  /** null when Xero has no account with this id. */
  getAccount(creds: XeroCredentials, accountId: string): Promise<XeroAccount | null>;
  /** Manual journals (not DELETED or VOIDED) whose Narration equals `narration` exactly. */
  findManualJournalsByNarration(creds: XeroCredentials, narration: string): Promise<XeroManualJournal[]>;
  createManualJournal(creds: XeroCredentials, journal: NewXeroManualJournal, idempotencyKey: string): Promise<XeroManualJournal>;
  /** Every POSTED manual journal, all pages. */
  listManualJournals(creds: XeroCredentials): Promise<XeroManualJournal[]>;
  /** Every payment (not DELETED) into each of these accounts, by account (each given, none or not), all pages. */
  listPaymentsToAccounts(creds: XeroCredentials, accountIds: readonly string[]): Promise<Map<string, XeroAccountPayment[]>>;
  /** Every bank transaction (not DELETED or VOIDED) on this bank account, all pages. */
  listBankTransactionsOfAccount(creds: XeroCredentials, accountId: string): Promise<XeroBankTransaction[]>;
  /** The organisation's payment services (PaymentServices; needs the paymentservices scope). */
  listPaymentServices(creds: XeroCredentials): Promise<XeroPaymentService[]>;
  createPaymentService(creds: XeroCredentials, service: { name: string; url: string; payNowText: string }, idempotencyKey: string): Promise<XeroPaymentService>;
  /** Invoice templates (BrandingThemes). */
  listBrandingThemes(creds: XeroCredentials): Promise<XeroBrandingTheme[]>;
  /** Makes the payment service the one invoices of this theme offer (POST BrandingThemes/{id}/PaymentServices). */
  applyPaymentService(creds: XeroCredentials, brandingThemeId: string, paymentServiceId: string, idempotencyKey: string): Promise<void>;
  /** An AUTHORISED customer credit note (the refund's). */
  createCreditNote(creds: XeroCredentials, note: NewXeroCreditNote, idempotencyKey: string): Promise<XeroCreditNote>;
  /** Credit notes (not DELETED or VOIDED) whose Reference equals `reference` exactly. */
  findCreditNotesByReference(creds: XeroCredentials, reference: string): Promise<XeroCreditNote[]>;
  /** Pays the credit note out of `accountId` (a cash refund: money leaves the account). */
  createCreditNoteRefund(
    creds: XeroCredentials,
    refund: { creditNoteId: string; accountId: string; date: string; amount: string; reference: string; reconciled?: boolean },
    idempotencyKey: string,
  ): Promise<{ paymentId: string }>;
  /** Refunds of credit notes and of overpayments (not DELETED) whose Reference equals `reference` exactly. */
  findRefundPaymentsByReference(creds: XeroCredentials, reference: string): Promise<XeroRefundPayment[]>;
  /** The overpayment's remaining credit and status (GET Overpayments/{id}); null when Xero has no such overpayment. */
  getOverpayment(creds: XeroCredentials, overpaymentId: string): Promise<XeroOverpayment | null>;
  /** Pays part of the overpayment's credit back out of `accountId` (PUT Payments with Overpayment). */
  createOverpaymentRefund(
    creds: XeroCredentials,
    refund: { overpaymentId: string; accountId: string; date: string; amount: string; reference: string; reconciled?: boolean },
    idempotencyKey: string,
  ): Promise<{ paymentId: string }>;
  /** Money from one bank account to another (a withdrawal from Xendit to the merchant's bank). */
  createBankTransfer(creds: XeroCredentials, transfer: NewXeroBankTransfer, idempotencyKey: string): Promise<XeroBankTransfer>;
  /** Bank transfers (not DELETED) whose Reference equals `reference` exactly. */
  findBankTransfersByReference(creds: XeroCredentials, reference: string): Promise<XeroBankTransfer[]>;
  /** Every bank transfer (not DELETED) out of this bank account. */
  listBankTransfersFrom(creds: XeroCredentials, accountId: string): Promise<XeroBankTransfer[]>;
  /** Bank transfers into the account (a reversed withdrawal coming back into the clearing account). */
  listBankTransfersTo(creds: XeroCredentials, accountId: string): Promise<XeroBankTransfer[]>;
  /** Closing balance (decimal string, base currency) of each bank account at the end of `date` (YYYY-MM-DD), by AccountID. */
  bankSummary(creds: XeroCredentials, date: string): Promise<Record<string, string>>;
  /** The same client, spending the rate budget as `purpose` (a client starts as 'read'). */
  forPurpose(purpose: XeroCallPurpose): XeroGateway;
}

// ---------- Xero rate budget (shared by every process) ----------
/**
 * read: the worker's reads (and the admin's reconciliation report). admin-read: the admin's pages,
 * which may spend only their own share of each minute and day (XERO_ADMIN_MINUTE_PERCENT, XERO_ADMIN_PERCENT). pay-click: a
 * customer's /pay. These stop when only the reserved share of the daily budget is left.
 * payment-write: record-payment and post-fee (their reads included), which may spend the reserve.
 */
export type XeroCallPurpose = 'read' | 'admin-read' | 'pay-click' | 'payment-write';

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

/** share_minute, share_day: the admin's share of the organisation's minute or day is used up. */
export type XeroBudgetRefusal = 'blocked' | 'day' | 'reserve' | 'minute' | 'app_minute' | 'share_minute' | 'share_day' | 'in_flight';

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
