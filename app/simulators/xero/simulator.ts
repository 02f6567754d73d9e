/**
 * The simulator's interface: what createXeroSimulator (index.ts) takes and returns, and the test API
 * tests see (test-api.ts makes it). Types only, over state.ts: the modules that implement them
 * import this file, never the other way round.
 */
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { XeroInvoice } from '../../clients/xero/types.js';
import type { Faults } from '../faults.js';
import type { SimTaxRate } from './tax-rates.js';
import type {
  NewSimInvoice,
  NewSimOrganisation,
  RefundPaymentType,
  SimAccount,
  SimAccountType,
  SimBankTransaction,
  SimBankTransfer,
  SimContact,
  SimCreditNote,
  SimInvoice,
  SimInvoiceStatus,
  SimManualJournal,
  SimOrganisation,
  SimPayment,
  SimRefundPayment,
  SimRequest,
  SimWebhookDelivery,
  XeroSimLimits,
  XeroSimState,
} from './state.js';

export interface XeroSimulatorOptions {
  now?: () => Date;
  /** How long each admitted API call takes (counted in flight meanwhile); 0 by default. */
  latencyMs?: () => number;
  logger?: Logger;
  limits?: Partial<XeroSimLimits>;
}

/** `state` is exported for the demo's persistence (app/bin/demo.ts); tests use `test`. */
export interface XeroSimulator {
  router: Router;
  state: XeroSimState;
  faults: Faults;
  /** Mutable; reset() restores the options' values. */
  limits: XeroSimLimits;
  /** What tests look at and change (test-api.ts); tests never touch `state`. */
  test: XeroSimTestApi;
  addOrganisation(org: NewSimOrganisation): SimOrganisation;
  addAccount(
    tenantId: string,
    /** currencyCode: one the organisation has (test API addCurrency); taxType: the account's default TaxType (Account.TaxType). */
    account: { code: string; name: string; type: SimAccountType; currencyCode?: string; enablePaymentsToAccount?: boolean; taxType?: string },
  ): SimAccount;
  /** Manual journals, oldest first. */
  manualJournalsOf(tenantId?: string): SimManualJournal[];
  /** The account with this name or code (e.g. the seeded BANK account 'Xendit', code '090'). */
  bankAccountFor(tenantId: string, nameOrCode: string): SimAccount;
  addInvoice(invoice: NewSimInvoice): { invoiceId: string; invoiceNumber: string };
  findInvoice(idOrNumber: string, tenantId?: string): SimInvoice | undefined;
  /** The organisation's invoices as the gateway sees them (decimal strings). */
  listInvoices(tenantId?: string): XeroInvoice[];
  paymentsOf(invoiceId: string): SimPayment[];
  /** Every contact of the organisation. */
  contactsOf(tenantId?: string): SimContact[];
  /** Every invoice of the organisation, with its Reference and line account codes. */
  invoicesOf(tenantId?: string): SimInvoice[];
  /** Spend and receive money transactions, oldest first. */
  bankTransactionsOf(tenantId?: string): SimBankTransaction[];
  /** A bank account's balance in hundredths: payments and receive money in, spend money out. */
  balanceOf(tenantId: string, accountId: string): bigint;
  /** A payment entered in Xero by someone else, under Xero's payment rules (throws with Xero's messages). */
  /** As a person records a payment in Xero; `currencyRate` (Payment.CurrencyRate): into an account of the base currency for an invoice in another. */
  recordPayment(tenantId: string, invoiceId: string, amount: string, accountId: string, reference?: string, currencyRate?: string): SimPayment;
  /** A refund of an overpayment, prepayment or credit note paid from a bank account: a Payment without an Invoice. */
  addRefundPayment(
    tenantId: string,
    p: { paymentType: RefundPaymentType; accountId: string; amount: string; date: string; reference?: string },
  ): SimRefundPayment;
  /** An OAuth 2.0 app ("Connect to Xero"): any organisation here may be connected to it on the consent page. */
  addOAuthApp(clientId: string, clientSecret: string): void;
  /** A consent given without the browser (tests): connects these organisations and returns the first token set (`scope`: space-separated; default the gateway's DEFAULT_OAUTH_SCOPES), with a refresh token only when it holds offline_access. */
  grantOAuth(clientId: string, tenantIds: string[], scope?: string): { access_token: string; refresh_token?: string; expires_in: number };
  /** A refresh token for the refresh_token grant (standard OAuth apps). */
  issueRefreshToken(clientId: string): string;
  /** Invalidates every access token, as when a connection is revoked or tokens expire. */
  revokeTokens(): void;
  /** Forgets everything (orgs, tokens, counters) and disarms faults. */
  reset(): void;
}

/** Requests whose method is this (any case) and whose path (relative to the mount) starts/ends with these. */
export interface SimRequestFilter {
  method?: string;
  pathPrefix?: string;
  pathSuffix?: string;
}

/** A consent and its connections, as they are now: `connections` follows the simulator (tenantId → connectionId). */
export interface SimGrantView {
  grantId: string;
  clientId: string;
  scope: string;
  connections: ReadonlyMap<string, string>;
}

export interface XeroSimTestApi {
  /** A copy of the request log (the latest 1000), oldest first, optionally filtered. */
  requests(filter?: SimRequestFilter): SimRequest[];
  countRequests(filter?: SimRequestFilter): number;
  /** Empties the request log (to see only what comes next). */
  clearRequests(): void;
  /** Counts time (rate-limit windows, token lifetimes) on this clock from now on, e.g. a test's; none: its own again. */
  useClock(now?: () => Date): void;
  /** Calls to the token endpoint by Custom Connections (client_credentials and their refresh_token). */
  tokenRequests(): number;
  /**
   * The calls a day this app (client id: the gateway's OAuth app, or a Custom Connection) may make to
   * each organisation, as its Xero tier sets it (limits.ts: 1 000 on the Starter tier); none: the
   * simulator's limits.perDay (5 000) again. Calls already made still count.
   */
  setDayLimit(clientId: string, perDay?: number): void;
  /**
   * Xero answers list pages of at most `size` rows whatever pageSize asks, as its pagination says
   * (pageSize is a request: xero_accounting.yaml parameters/pageSize; Xero's own default is 100);
   * none: pageSize honoured up to 1000 again.
   */
  pageBy(size?: number): void;
  /**
   * The payments an organisation may hold before GET Payments refuses (400 HighVolumeException) a
   * read that is unpaged or not filtered by Xero's optimised filters, and the invoices before GET
   * Invoices refuses one not filtered or ordered so, or unpaged and returning more (high-volume.ts);
   * each left out: 100 000.
   */
  highVolumeThreshold(payments?: number, invoices?: number): void;
  /** A copy of the organisation; changing it changes nothing in the simulator. */
  organisation(tenantId: string): SimOrganisation;
  /** A copy of the first organisation that matches. */
  findOrganisation(match: (o: SimOrganisation) => boolean): SimOrganisation | undefined;
  /** The organisation's branding themes and the payment service each applies to its invoices. */
  brandingThemes(tenantId: string): { name: string; paymentService?: string }[];
  /** As when someone changes the organisation's time zone in Xero (Organisation.Timezone). */
  setTimezone(tenantId: string, timezone: string): void;
  /** The accountant sets (or clears, with undefined) the organisation's lock dates (YYYY-MM-DD). */
  setLockDates(tenantId: string, locks: { period?: string; endOfYear?: string }): void;
  /** As when the app's client secret is regenerated at developer.xero.com: the old one stops working. */
  rotateClientSecret(tenantId: string, clientSecret: string): void;
  /** As when someone deletes an account from the chart of accounts (by name). */
  removeAccount(tenantId: string, name: string): void;
  /** As when the merchant archives an account in Xero (Settings → Chart of accounts → Archive): it takes no new entries. */
  archiveAccount(tenantId: string, accountId: string): void;
  /** A tax rate added in Xero's settings. */
  addTaxRate(tenantId: string, rate: SimTaxRate): void;
  /** Copies of the payments out of the organisation's bank accounts that refund a credit note, overpayment or prepayment. */
  refundPayments(tenantId: string): SimRefundPayment[];
  /** As when the merchant records Receive money → Overpayment or Prepayment for a contact in Xero (amount in hundredths); its ids. */
  receiveCredit(
    tenantId: string,
    type: 'RECEIVE-OVERPAYMENT' | 'RECEIVE-PREPAYMENT',
    input: { contactName: string; amount: bigint; accountId?: string },
  ): { bankTransactionId: string; overpaymentId?: string; prepaymentId?: string };
  /** As when the merchant allocates part of an overpayment's credit to an invoice of its contact in Xero (amount in hundredths); the invoice's event follows. */
  allocateOverpayment(tenantId: string, overpaymentId: string, amount: bigint, invoiceId: string): Promise<void>;
  /** The same for a prepayment's credit. */
  allocatePrepayment(tenantId: string, prepaymentId: string, amount: bigint, invoiceId: string): Promise<void>;
  /** As when the merchant voids an overpayment in Xero. */
  voidOverpayment(tenantId: string, overpaymentId: string): void;
  /** As when the merchant voids a posted manual journal in Xero: it leaves `Status=="POSTED"` listings. */
  voidManualJournal(tenantId: string, manualJournalId: string): void;
  /** As when the merchant allocates part of a credit note's credit to an invoice of its contact in Xero (amount in hundredths); the invoice's event follows. */
  allocateCreditNote(tenantId: string, creditNoteId: string, amount: bigint, invoiceId: string): Promise<void>;
  /** Copies of the organisation's credit notes (amounts in hundredths). */
  creditNotes(tenantId: string): SimCreditNote[];
  /** Copies of the organisation's bank transfers, oldest first, DELETED ones included. */
  bankTransfers(tenantId: string): SimBankTransfer[];
  /** As when the merchant deletes a bank transfer in Xero: Status DELETED, listed only with includeDeleted=true. */
  deleteBankTransfer(tenantId: string, bankTransferId: string): void;
  /** As when someone adds a currency in Xero (Settings → Currencies): documents and bank accounts may then use it. */
  addCurrency(tenantId: string, code: string): void;
  /** The organisation's currencies, its base currency first (GET /Currencies). */
  currencies(tenantId: string): string[];
  /** Forgets every Idempotency-Key answer, as Xero does after some minutes (xero/idempotency.ts). */
  forgetIdempotencyKeys(tenantId: string): void;
  /**
   * Changes people make to an invoice in Xero's UI. Each sends the invoice's webhook event when the
   * app is subscribed, and resolves once the receiver answered it.
   */
  invoices: {
    void(invoiceId: string): Promise<void>;
    editLines(invoiceId: string, lines: { description: string; quantity?: string; unitAmount: string }[]): Promise<void>;
    /** A payment entered by hand into a bank account that is not Xendit's. */
    payElsewhere(invoiceId: string, amount: string): Promise<void>;
    /** A credit note raised to the invoice's contact, `amount` (decimal) of it allocated to the invoice. */
    credit(invoiceId: string, amount: string): Promise<void>;
    /**
     * Fixture, not one click of Xero's UI: there DELETED is "a draft invoice that is deleted" and an
     * approved one is VOIDED (developer.xero.com/documentation/api/accounting/types#invoices, Invoice
     * Status Codes). Puts the invoice in a status or currency the gateway must still refuse to take
     * money for, and sends the invoice's event as Xero does for any change.
     */
    force(invoiceId: string, change: { status?: SimInvoiceStatus; currency?: string }): Promise<void>;
    /** As seen from an organisation that does not have it (GET Invoices/{id} answers 404); no event. */
    forget(invoiceId: string): void;
  };
  webhooks: {
    /** As when the app's webhook is set up at developer.xero.com (URL and signing key). */
    subscribe(url: string, key: string): void;
    /** Xero's check before it enables the subscription. */
    intentToReceive(): Promise<{ passed: boolean; statuses: number[] }>;
    deliveries(): SimWebhookDelivery[];
    /** What Xero's clock says is due: a refused delivery's next retry, then the changes waiting (API-made ones too). */
    deliverDue(): Promise<void>;
    /** DISABLED once a delivery was refused for 24 hours (subscribe again to re-enable); undefined when not subscribed. */
    status(): 'OK' | 'DISABLED' | undefined;
    /** The last delivery the receiver took, sent again as it was: Xero retries when the answer does not come within 5 seconds. */
    redeliverLast(): Promise<void>;
  };
  oauth: {
    /** Calls to the token endpoint by OAuth apps, by grant type ("30 jobs → one refresh"). */
    tokenCalls(grant: 'authorization_code' | 'refresh_token'): number;
    /** Fault switch: every refresh answers invalid_grant (as after the user revoked us in Xero). */
    refuseRefresh(on: boolean): void;
    /** The consents given, oldest first. */
    grants(): SimGrantView[];
    /** The organisations the app's Xero tier lets it connect (Starter: 5; oauth.ts); none: no cap. */
    limitConnections(clientId: string, max?: number): void;
    /** Calls to /connect/revocation. */
    revocations(): number;
  };
}
