/**
 * The simulated Xero's data (organisations, their accounts, invoices, payments, ...) and the
 * simulator's interface.
 */
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { XeroInvoice } from '../../clients/xero/types.js';
import { Faults } from '../faults.js';
import type { SimTaxRate } from './tax-rates.js';
import { emptyOAuthState, type SimOAuthState } from './oauth.js';
import type { StoredAnswer } from './idempotency.js';
import type { XeroSimTestApi } from './test-api.js';
import { type RefundPaymentType, type SimRefundPayment } from './refund-payments.js';
import type { SimCreditNote } from './credit-notes.js';
import type { SimBankTransfer } from './bank-transfers.js';

export type SimInvoiceStatus = 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'PAID' | 'VOIDED' | 'DELETED';
export type SimInvoiceType = 'ACCREC' | 'ACCPAY';
export type SimAccountType = 'BANK' | 'REVENUE' | 'CURRENT' | 'EXPENSE' | 'EQUITY' | 'LIABILITY';

export interface SimAccount {
  accountId: string;
  code: string;
  name: string;
  type: SimAccountType;
  currencyCode?: string; // BANK accounts only; defaults to the org's base currency
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
  reference: string;
  status: 'AUTHORISED' | 'DELETED';
  /** Created with IsReconciled on a BANK account: never offered for bank-statement matching. */
  reconciled?: boolean;
  updatedAt: Date;
}

export interface SimBankTransaction {
  bankTransactionId: string;
  type: 'SPEND' | 'RECEIVE' | 'RECEIVE-OVERPAYMENT';
  /** RECEIVE-OVERPAYMENT only: the overpayment's own id, and what was allocated to invoices (overpayments.ts). */
  overpaymentId?: string;
  allocated?: bigint;
  accountId: string; // the BANK account
  contact: { contactId: string; name: string };
  date: string;
  reference: string;
  currencyCode: string;
  lineItems: { lineItemId: string; description: string; accountCode: string; lineAmount: bigint /* hundredths */ }[];
  total: bigint; // hundredths
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
  requests: SimRequest[];
  tokenRequests: number;
  /** "Connect to Xero" apps, consents (grants), codes and their counters (oauth.ts). */
  oauth: SimOAuthState;
  /** The app's webhook subscription and the deliveries made (webhooks.ts). */
  webhooks: SimWebhooks;
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
    account: { code: string; name: string; type: SimAccountType; currencyCode?: string; enablePaymentsToAccount?: boolean },
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
  /** As a person records a payment in Xero; `currencyRate` for one in another currency than the account's (Payment.CurrencyRate). */
  recordPayment(tenantId: string, invoiceId: string, amount: string, accountId: string, reference?: string, currencyRate?: string): SimPayment;
  /** A refund of an overpayment, prepayment or credit note paid from a bank account: a Payment without an Invoice. */
  addRefundPayment(
    tenantId: string,
    p: { paymentType: RefundPaymentType; accountId: string; amount: string; date: string; reference?: string },
  ): SimRefundPayment;
  /** An OAuth 2.0 app ("Connect to Xero"): any organisation here may be connected to it on the consent page. */
  addOAuthApp(clientId: string, clientSecret: string): void;
  /** A consent given without the browser (tests): connects these organisations and returns the first token set (`scope`: space-separated; default the gateway's DEFAULT_OAUTH_SCOPES). */
  grantOAuth(clientId: string, tenantIds: string[], scope?: string): { access_token: string; refresh_token: string; expires_in: number };
  /** A refresh token for the refresh_token grant (standard OAuth apps). */
  issueRefreshToken(clientId: string): string;
  /** Invalidates every access token, as when a connection is revoked or tokens expire. */
  revokeTokens(): void;
  /** Forgets everything (orgs, tokens, counters) and disarms faults. */
  reset(): void;
}

export interface SimWebhookDelivery {
  url: string;
  eventCount: number;
  /** The HTTP status the receiver answered, or 0 when it could not be reached. */
  status: number;
}

/** The subscription (set up at developer.xero.com) and what was sent. */
export interface SimWebhooks {
  subscription?: { url: string; key: string };
  deliveries: SimWebhookDelivery[];
}

export function emptyState(): XeroSimState {
  return {
    orgs: new Map(),
    accessTokens: new Map(),
    refreshTokens: new Map(),
    appUsage: new Map(),
    requests: [],
    tokenRequests: 0,
    oauth: emptyOAuthState(),
    webhooks: { deliveries: [] },
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
