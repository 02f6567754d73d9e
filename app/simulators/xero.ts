/**
 * A Xero simulator good enough for xero-node: the identity token endpoint, /connections and the
 * accounting endpoints the gateway uses, in Xero's own JSON shapes (PascalCase, /Date(ms+0000)/,
 * the {Id, Status, ProviderName, DateTimeUTC, ...} envelope). Mount the router anywhere and point
 * both the identity URL and the API URL at the mount.
 *
 * Money is kept exact: bigint hundredths for amounts, ten-thousandths for quantities and unit
 * prices (Xero's unitdp=4), and only turned into JSON numbers when serialised.
 */
import express, { type Request, type Response, type Router } from 'express';
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { XeroInvoice } from '../clients/types.js';
import { Faults, escapeHtml, renderPage, sendPage, SIM_CSS } from './faults.js';
import { demoTaxRates, inclusiveTax, taxRateJson, unusableTaxTypeMessage, usableTaxRate, type SimTaxRate } from './xero-tax-rates.js';
import {
  emptyOAuthState,
  grantConnections,
  grantDirectly,
  grantTenants,
  isOAuthClient,
  oauthRoutes,
  oauthTokenEndpoint,
  type SimOAuthState,
} from './xero-oauth.js';
import { isPaged, summaryInvoiceJson } from './xero/invoice-summary.js';
import { idempotencyMiddleware, rememberAnswer, type StoredAnswer } from './xero/idempotency.js';
import { addRefundPayment, refundedFrom, refundPaymentJson, refundPaymentsOf, type RefundPaymentType, type SimRefundPayment } from './xero/refund-payments.js';

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
  updatedAt: Date;
}

export interface SimBankTransaction {
  bankTransactionId: string;
  type: 'SPEND' | 'RECEIVE' | 'RECEIVE-OVERPAYMENT';
  accountId: string; // the BANK account
  contact: { contactId: string; name: string };
  date: string;
  reference: string;
  currencyCode: string;
  lineItems: { lineItemId: string; description: string; accountCode: string; lineAmount: bigint /* hundredths */ }[];
  total: bigint; // hundredths
  status: 'AUTHORISED' | 'DELETED' | 'VOIDED';
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

interface Usage {
  minute: number;
  minuteCount: number;
  day: number;
  dayCount: number;
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
}

export interface SimRequest {
  method: string;
  path: string;
  at: Date;
}

export interface XeroSimState {
  orgs: Map<string, SimOrganisation>;
  accessTokens: Map<string, { clientId: string; expiresAt: number; scope: string; grantId?: string }>;
  refreshTokens: Map<string, { clientId: string; validUntil: number }>;
  appUsage: Map<string, { minute: number; count: number }>;
  requests: SimRequest[];
  tokenRequests: number;
  /** "Connect to Xero" apps, consents (grants), codes and their counters (xero-oauth.ts). */
  oauth: SimOAuthState;
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
}

export interface NewSimInvoice {
  /** Defaults to the only organisation. */
  tenantId?: string;
  invoiceNumber?: string;
  type?: SimInvoiceType;
  status?: SimInvoiceStatus; // default AUTHORISED
  contact: { name: string; email?: string };
  currency?: string; // default: the org's base currency
  lineItems: { description: string; quantity?: string; unitAmount: string }[];
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

export interface XeroSimulator {
  router: Router;
  state: XeroSimState;
  faults: Faults;
  /** Mutable; reset() restores the options' values. */
  limits: XeroSimLimits;
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
  recordPayment(tenantId: string, invoiceId: string, amount: string, accountId: string, reference?: string): SimPayment;
  /** A refund of an overpayment, prepayment or credit note paid from a bank account: a Payment without an Invoice. */
  addRefundPayment(
    tenantId: string,
    p: { paymentType: RefundPaymentType; accountId: string; amount: string; date: string; reference?: string },
  ): SimRefundPayment;
  /** An OAuth 2.0 app ("Connect to Xero"): any organisation here may be connected to it on the consent page. */
  addOAuthApp(clientId: string, clientSecret: string): void;
  /** A consent given without the browser (tests): connects these organisations and returns the first token set. */
  grantOAuth(clientId: string, tenantIds: string[]): { access_token: string; refresh_token: string; expires_in: number };
  /** A refresh token for the refresh_token grant (standard OAuth apps). */
  issueRefreshToken(clientId: string): string;
  /** Invalidates every access token, as when a connection is revoked or tokens expire. */
  revokeTokens(): void;
  /** Forgets everything (orgs, tokens, counters) and disarms faults. */
  reset(): void;
}

const DEFAULT_LIMITS: XeroSimLimits = { perMinute: 60, perDay: 5000, appPerMinute: 10000, concurrent: Number.POSITIVE_INFINITY };
const TOKEN_SECONDS = 1800;
const REFRESH_GRACE_MS = 30 * 60_000;
const REFRESH_LIFETIME_MS = 60 * 24 * 3600_000;
const DEFAULT_SCOPE = 'accounting.invoices accounting.payments accounting.settings accounting.contacts';
const API_PREFIX = '/api.xro/2.0';
const MAX_LOG = 1000;

export function createXeroSimulator(options: XeroSimulatorOptions = {}): XeroSimulator {
  const now = options.now ?? (() => new Date());
  const log = options.logger;
  const state = emptyState();
  const limits: XeroSimLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const faults = new Faults({ isApi, errorBody: xeroErrorBody });

  const sim: XeroSimulator = {
    router: express.Router(),
    state,
    faults,
    limits,
    addOrganisation: (o) => addOrganisation(state, o, now()),
    addAccount: (tenantId, a) => addAccount(requireOrg(state, tenantId), a),
    bankAccountFor: (tenantId, nameOrCode) => accountFor(requireOrg(state, tenantId), nameOrCode),
    addInvoice: (i) => addInvoice(state, i, now()),
    findInvoice: (idOrNumber, tenantId) => findInvoiceAnywhere(state, idOrNumber, tenantId),
    listInvoices: (tenantId) => [...requireOrg(state, tenantId).invoices.values()].map(toGatewayInvoice),
    recordPayment: (tenantId, invoiceId, amount, accountId, reference = 'Manual payment') =>
      recordPayment(requireOrg(state, tenantId), { invoiceId, amount, accountId, reference }, now()),
    addRefundPayment: (tenantId, p) => addRefundPayment(requireOrg(state, tenantId), { ...p, amount: parseScaled(p.amount, 2)! }, now()),
    paymentsOf: (invoiceId) => allPayments(state).filter((p) => p.invoiceId === invoiceId),
    contactsOf: (tenantId) => [...requireOrg(state, tenantId).contacts.values()],
    invoicesOf: (tenantId) => [...requireOrg(state, tenantId).invoices.values()],
    bankTransactionsOf: (tenantId) => [...requireOrg(state, tenantId).bankTransactions.values()],
    manualJournalsOf: (tenantId) => [...requireOrg(state, tenantId).manualJournals.values()],
    balanceOf: (tenantId, accountId) => balanceOf(requireOrg(state, tenantId), accountId),
    issueRefreshToken: (clientId) => issueRefreshToken(state, clientId, now()),
    addOAuthApp: (clientId, clientSecret) => void state.oauth.apps.set(clientId, { clientSecret }),
    grantOAuth: (clientId, tenantIds) => grantDirectly(state, clientId, tenantIds, now()),
    revokeTokens: () => state.accessTokens.clear(),
    reset: () => {
      Object.assign(state, emptyState());
      Object.assign(limits, DEFAULT_LIMITS, options.limits);
      faults.reset();
    },
  };
  buildRoutes(sim, now, log, options.latencyMs ?? (() => 0));
  return sim;
}

function emptyState(): XeroSimState {
  return { orgs: new Map(), accessTokens: new Map(), refreshTokens: new Map(), appUsage: new Map(), requests: [], tokenRequests: 0, oauth: emptyOAuthState() };
}

function isApi(req: Request): boolean {
  return req.path.startsWith(`${API_PREFIX}/`) || req.path === '/connections';
}

// ---------- routes ----------

function buildRoutes(sim: XeroSimulator, now: () => Date, log: Logger | undefined, latencyMs: () => number): void {
  const { router, state } = sim;
  router.use((req, _res, next) => {
    state.requests.push({ method: req.method, path: req.path, at: now() });
    if (state.requests.length > MAX_LOG) state.requests.shift();
    next();
  });
  router.get('/', (req, res) => sendPage(res, 200, renderOverview(state, `${req.baseUrl}/sim.css`)));
  // Xero's web app page for one invoice (go.xero.com/AccountsReceivable/View.aspx?InvoiceID=…): the admin links here.
  router.get('/AccountsReceivable/View.aspx', (req, res) => {
    const id = String(req.query.InvoiceID ?? '');
    const found = [...state.orgs.values()].map((o) => ({ o, inv: o.invoices.get(id) })).find((x) => x.inv);
    if (!found?.inv)
      return sendPage(
        res,
        404,
        renderPage(
          'Invoice not found',
          `${req.baseUrl}/sim.css`,
          '<main><h1>Invoice not found</h1><p class="muted">No invoice with this InvoiceID in the simulated Xero.</p></main>',
        ),
      );
    sendPage(res, 200, renderInvoicePage(found.o, found.inv, `${req.baseUrl}/sim.css`));
  });
  router.get('/sim.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=300').send(SIM_CSS);
  });
  oauthRoutes(router, state, now);
  router.use(sim.faults.middleware());
  router.post('/connect/token', express.urlencoded({ extended: false }), (req, res) =>
    isOAuthClient(req, state) ? oauthTokenEndpoint(req, res, state, now()) : tokenEndpoint(state, req, res, now()),
  );
  router.use(express.json({ limit: '1mb' }));
  router.use((req, res, next) => (isApi(req) ? authenticate(sim, req, res, next, now(), latencyMs) : next()));
  router.use(idempotencyMiddleware((res) => (res.locals.org as SimOrganisation | undefined)?.idempotency, now));

  router.get('/connections', (_req, res) => {
    if (res.locals.grantId) return void res.json(grantConnections(state, res.locals.grantId));
    res.json(orgsOfClient(state, res.locals.clientId).map(connectionJson));
  });
  const api = (path: string) => `${API_PREFIX}${path}`;
  router.get(api('/Organisation'), (_req, res) => {
    res.json(envelope(now(), { Organisations: [organisationJson(org(res))] }));
  });
  router.get(api('/Accounts'), (req, res) => {
    filtered(
      res,
      req,
      org(res).accounts.map((a) => accountJson(a, org(res))),
      (rows) => envelope(now(), { Accounts: rows }),
    );
  });
  router.put(api('/Accounts'), (req, res) => createAccountRoute(req, res, now()));
  router.get(api('/Accounts/:id'), (req, res) => {
    const a = org(res).accounts.find((x) => x.accountId === String(req.params.id));
    if (!a) return notFound(res);
    res.json(envelope(now(), { Accounts: [accountJson(a, org(res))] }));
  });
  router.get(api('/TaxRates'), (req, res) => {
    filtered(res, req, org(res).taxRates.map(taxRateJson), (rows) => envelope(now(), { TaxRates: rows }));
  });
  router.get(api('/Invoices'), (req, res) => {
    // Without `page` Xero answers the summary shape (see invoice-summary.ts for the source).
    const paged = isPaged(req.query);
    const rows = listInvoices(org(res), req.query).map((i) => (paged ? invoiceJson(org(res), i) : summaryInvoiceJson(invoiceJson(org(res), i))));
    filtered(res, req, rows, (r) => envelope(now(), { Invoices: r }));
  });
  router.get(api('/Invoices/:id'), (req, res) => {
    const inv = findInvoice(org(res), String(req.params.id));
    if (!inv) return notFound(res);
    res.json(envelope(now(), { Invoices: [invoiceJson(org(res), inv)] }));
  });
  for (const method of ['put', 'post'] as const) {
    router[method](api('/Invoices'), (req, res) => createInvoicesRoute(sim, req, res, now()));
    router[method](api('/Payments'), (req, res) => createPaymentRoute(sim, req, res, now(), log));
  }
  router.get(api('/Contacts'), (req, res) => {
    filtered(res, req, [...org(res).contacts.values()].map(contactJson), (r) => envelope(now(), { Contacts: r }));
  });
  router.get(api('/Contacts/:id'), (req, res) => {
    const c = [...org(res).contacts.values()].find((x) => x.contactId === String(req.params.id));
    if (!c) return notFound(res);
    res.json(envelope(now(), { Contacts: [contactJson(c)] }));
  });
  for (const method of ['put', 'post'] as const) {
    router[method](api('/Contacts'), (req, res) => createContactsRoute(sim, req, res, now()));
    router[method](api('/BankTransactions'), (req, res) => createBankTransactionsRoute(sim, req, res, now()));
  }
  router.get(api('/BankTransactions'), (req, res) => {
    const o = org(res);
    const rows = [...o.bankTransactions.values()].map((t) => bankTransactionJson(o, t));
    filtered(res, req, rows, (r) => envelope(now(), { BankTransactions: r }));
  });
  router.get(api('/BankTransactions/:id'), (req, res) => {
    const t = org(res).bankTransactions.get(String(req.params.id));
    if (!t) return notFound(res);
    res.json(envelope(now(), { BankTransactions: [bankTransactionJson(org(res), t)] }));
  });
  for (const method of ['put', 'post'] as const) router[method](api('/ManualJournals'), (req, res) => createManualJournalsRoute(sim, req, res, now()));
  router.get(api('/ManualJournals'), (req, res) => {
    const o = org(res);
    filtered(
      res,
      req,
      [...o.manualJournals.values()].map((j) => manualJournalJson(o, j)),
      (r) => envelope(now(), { ManualJournals: r }),
    );
  });
  router.get(api('/ManualJournals/:id'), (req, res) => {
    const j = org(res).manualJournals.get(String(req.params.id));
    if (!j) return notFound(res);
    res.json(envelope(now(), { ManualJournals: [manualJournalJson(org(res), j)] }));
  });
  router.get(api('/Payments'), (req, res) => {
    const o = org(res);
    const rows = [...o.payments.values()].map((p) => paymentJson(o, p)).concat(refundPaymentsOf(o).map((p) => refundJson(o, p)));
    filtered(res, req, rows, (r) => envelope(now(), { Payments: r }));
  });
  router.get(api('/Payments/:id'), (req, res) => {
    const p = org(res).payments.get(String(req.params.id));
    if (!p) return notFound(res);
    res.json(envelope(now(), { Payments: [paymentJson(org(res), p)] }));
  });
  router.use((req, res) => {
    if (isApi(req)) return notFound(res);
    res.status(404).type('text').send('Not found');
  });
  router.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500) log?.error({ err }, 'xero sim: request failed');
    res.status(status).json(status === 400 ? validationBody(['The request body could not be read']) : xeroErrorBody(status));
  });
}

function org(res: Response): SimOrganisation {
  return res.locals.org as SimOrganisation;
}

function notFound(res: Response): void {
  res.status(404).json({ Type: null, Title: 'Resource Not Found', Status: 404, Detail: "The resource you're looking for cannot be found", Extensions: {} });
}

function xeroErrorBody(status: number): unknown {
  if (status === 429) return { Type: null, Title: 'Too Many Requests', Status: 429, Detail: 'Rate limit exceeded', Extensions: {} };
  return {
    Type: null,
    Title: status === 503 ? 'Service Unavailable' : 'Internal Server Error',
    Status: status,
    Detail: 'The simulator was told to fail',
    Extensions: {},
  };
}

function validationError(res: Response, messages: string[], element: unknown = {}): void {
  res.status(400).json(validationBody(messages, element));
}

function validationBody(messages: string[], element: unknown = {}): unknown {
  return {
    ErrorNumber: 10,
    Type: 'ValidationException',
    Message: 'A validation exception occurred',
    Elements: [{ ...(element as object), ValidationErrors: messages.map((Message) => ({ Message })) }],
  };
}

// ---------- identity ----------

function tokenEndpoint(state: XeroSimState, req: Request, res: Response, at: Date): void {
  state.tokenRequests += 1;
  const body = (req.body ?? {}) as Record<string, string | undefined>;
  const client = basicCredentials(req) ?? { id: body.client_id ?? '', secret: body.client_secret ?? '' };
  const known = orgsOfClient(state, client.id)[0];
  res.set('Cache-Control', 'no-store');
  if (!known || !safeEqual(known.clientSecret, client.secret)) {
    res.status(400).json({ error: 'invalid_client' });
    return;
  }
  const scope = normaliseScope(body.scope ?? body.scopes);
  if (body.grant_type === 'client_credentials') {
    res.json(issueAccessToken(state, client.id, scope, at));
    return;
  }
  if (body.grant_type === 'refresh_token') {
    const current = body.refresh_token ? state.refreshTokens.get(body.refresh_token) : undefined;
    if (!current || current.clientId !== client.id || current.validUntil <= at.getTime()) {
      res.status(400).json({ error: 'invalid_grant' });
      return;
    }
    // Rotating refresh tokens: the old one keeps working for 30 minutes.
    current.validUntil = Math.min(current.validUntil, at.getTime() + REFRESH_GRACE_MS);
    res.json({ ...issueAccessToken(state, client.id, scope, at), refresh_token: issueRefreshToken(state, client.id, at) });
    return;
  }
  res.status(400).json({ error: 'unsupported_grant_type' });
}

function basicCredentials(req: Request): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// xero-node posts the scope list as `scopes=a,b` (comma-joined array); OAuth says `scope=a b`.
function normaliseScope(raw: string | undefined): string {
  const parts = (raw ?? '').split(/[\s,]+/).filter(Boolean);
  return parts.length ? parts.join(' ') : DEFAULT_SCOPE;
}

function issueAccessToken(state: XeroSimState, clientId: string, scope: string, at: Date) {
  const token = `sim_at_${randomBytes(24).toString('hex')}`;
  state.accessTokens.set(token, { clientId, scope, expiresAt: at.getTime() + TOKEN_SECONDS * 1000 });
  return { access_token: token, expires_in: TOKEN_SECONDS, token_type: 'Bearer', scope };
}

function issueRefreshToken(state: XeroSimState, clientId: string, at: Date): string {
  if (!orgsOfClient(state, clientId).length) throw new Error(`no organisation uses client ${clientId}`);
  const token = `sim_rt_${randomBytes(24).toString('hex')}`;
  state.refreshTokens.set(token, { clientId, validUntil: at.getTime() + REFRESH_LIFETIME_MS });
  return token;
}

function authenticate(sim: XeroSimulator, req: Request, res: Response, next: () => void, at: Date, latencyMs: () => number): void {
  const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  const token = m ? sim.state.accessTokens.get(m[1]) : undefined;
  if (!token || token.expiresAt <= at.getTime()) {
    res.status(401).set('WWW-Authenticate', 'Bearer error="invalid_token"');
    res.json({ Type: null, Title: 'Unauthorized', Status: 401, Detail: 'AuthenticationUnsuccessful', Extensions: {} });
    return;
  }
  res.locals.clientId = token.clientId;
  res.locals.grantId = token.grantId;
  if (req.path === '/connections') return next();
  const tenantHeader = (req.get('xero-tenant-id') ?? '').trim();
  // OAuth tokens reach the organisations their consent connected, named by xero-tenant-id.
  const granted = grantTenants(sim.state, token.grantId);
  const orgs = granted ? (tenantHeader ? granted.map((t) => sim.state.orgs.get(t)!).filter(Boolean) : []) : orgsOfClient(sim.state, token.clientId);
  // Custom Connections send an empty tenant id: the token's only organisation.
  const target = tenantHeader ? orgs.find((o) => o.tenantId === tenantHeader) : orgs[0];
  if (!target) {
    res.status(403).json({ Type: null, Title: 'Forbidden', Status: 403, Detail: 'AuthorizationUnsuccessful', Extensions: {} });
    return;
  }
  res.locals.org = target;
  if (rateLimited(sim, target, res, at)) return;
  const latency = latencyMs();
  if (latency > 0) setTimeout(next, latency);
  else next();
}

// ---------- rate limits ----------

function rateLimited(sim: XeroSimulator, o: SimOrganisation, res: Response, at: Date): boolean {
  const t = at.getTime();
  const minute = Math.floor(t / 60_000);
  const day = Math.floor(t / 86_400_000);
  const u = o.usage;
  if (u.minute !== minute) Object.assign(u, { minute, minuteCount: 0 });
  if (u.day !== day) Object.assign(u, { day, dayCount: 0 });
  const app = sim.state.appUsage.get(o.clientId) ?? { minute, count: 0 };
  if (app.minute !== minute) Object.assign(app, { minute, count: 0 });
  sim.state.appUsage.set(o.clientId, app);

  const problem =
    u.inFlight >= sim.limits.concurrent
      ? 'concurrent'
      : u.dayCount >= sim.limits.perDay
        ? 'day'
        : u.minuteCount >= sim.limits.perMinute
          ? 'minute'
          : app.count >= sim.limits.appPerMinute
            ? 'appminute'
            : undefined;
  if (!problem) {
    u.minuteCount += 1;
    u.dayCount += 1;
    app.count += 1;
    u.inFlight += 1;
    res.once('close', () => (u.inFlight -= 1));
  }
  res.set({
    'X-MinLimit-Remaining': String(Math.max(0, sim.limits.perMinute - u.minuteCount)),
    'X-DayLimit-Remaining': String(Math.max(0, sim.limits.perDay - u.dayCount)),
    'X-AppMinLimit-Remaining': String(Math.max(0, sim.limits.appPerMinute - app.count)),
  });
  if (!problem) return false;
  const windowEnd = problem === 'day' ? (day + 1) * 86_400_000 : problem === 'concurrent' ? t + 1000 : (minute + 1) * 60_000;
  res.status(429).set({ 'Retry-After': String(Math.max(1, Math.ceil((windowEnd - t) / 1000))), 'X-Rate-Limit-Problem': problem });
  res.json(xeroErrorBody(429));
  return true;
}

// ---------- organisations and accounts ----------

function addOrganisation(state: XeroSimState, o: NewSimOrganisation, at: Date): SimOrganisation {
  const tenantId = o.tenantId ?? randomUUID();
  if (state.orgs.has(tenantId)) throw new Error(`organisation ${tenantId} already exists`);
  const sameApp = orgsOfClient(state, o.clientId)[0];
  if (sameApp && sameApp.clientSecret !== o.clientSecret) throw new Error(`client ${o.clientId} already has another secret`);
  const created: SimOrganisation = {
    tenantId,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    name: o.name,
    shortCode: o.shortCode,
    baseCurrency: o.baseCurrency,
    timezone: o.timezone ?? defaultTimezone(o.baseCurrency),
    isDemoCompany: o.isDemoCompany ?? false,
    createdAt: at,
    accounts: [],
    invoices: new Map(),
    payments: new Map(),
    bankTransactions: new Map(),
    manualJournals: new Map(),
    contacts: new Map(),
    taxRates: demoTaxRates(o.baseCurrency),
    idempotency: new Map(),
    usage: { minute: 0, minuteCount: 0, day: 0, dayCount: 0, inFlight: 0 },
    nextInvoiceNumber: 1,
  };
  addAccount(created, { code: '090', name: 'Xendit', type: 'BANK' });
  addAccount(created, { code: '091', name: 'Business Savings Account', type: 'BANK' });
  addAccount(created, { code: '200', name: 'Sales', type: 'REVENUE' });
  addAccount(created, { code: '610', name: 'Accounts Receivable', type: 'CURRENT' });
  addAccount(created, { code: '404', name: 'Bank Fees', type: 'EXPENSE' });
  state.orgs.set(tenantId, created);
  return created;
}

function defaultTimezone(currency: string): string {
  return ['IDR', 'THB', 'VND'].includes(currency) ? 'SEASIASTANDARDTIME' : ['PHP', 'MYR'].includes(currency) ? 'SINGAPORESTANDARDTIME' : 'UTC';
}

function addAccount(
  o: SimOrganisation,
  a: { code: string; name: string; type: SimAccountType; currencyCode?: string; enablePaymentsToAccount?: boolean },
): SimAccount {
  const account: SimAccount = {
    accountId: randomUUID(),
    code: a.code,
    name: a.name,
    type: a.type,
    currencyCode: a.type === 'BANK' ? (a.currencyCode ?? o.baseCurrency) : undefined,
    status: 'ACTIVE',
    enablePaymentsToAccount: a.enablePaymentsToAccount ?? false,
  };
  o.accounts.push(account);
  return account;
}

/** PUT /Accounts: one account per request, like Xero; this simulator creates BANK accounts only. */
function createAccountRoute(req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const raw = asArray(req.body, 'Accounts')[0] ?? {};
  const name = typeof raw.Name === 'string' ? raw.Name.trim() : '';
  const code = typeof raw.Code === 'string' ? raw.Code.trim() : '';
  const number = typeof raw.BankAccountNumber === 'string' ? raw.BankAccountNumber.trim() : '';
  const currency = typeof raw.CurrencyCode === 'string' ? raw.CurrencyCode : o.baseCurrency;
  const errors: string[] = [];
  if (!name) errors.push('Please enter a Name.');
  else if (o.accounts.some((a) => a.name.toLowerCase() === name.toLowerCase())) errors.push('Please enter a unique Name.');
  if (code && o.accounts.some((a) => a.code === code)) errors.push('Please enter a unique Code.');
  if (raw.Type !== 'BANK') errors.push('The simulator creates BANK accounts only.');
  else if (!number) errors.push('Bank Account Number is required for bank accounts.');
  if (!/^[A-Z]{3}$/.test(currency)) errors.push('Currency code is invalid.');
  const answer = errors.length
    ? { status: 400, body: validationBody(errors, raw) }
    : (() => {
        const account = addAccount(o, { code, name, type: 'BANK', currencyCode: currency });
        account.bankAccountNumber = number;
        return { status: 200, body: envelope(at, { Accounts: [accountJson(account, o)] }) };
      })();
  remember(o, req, at, answer.status, answer.body);
  res.status(answer.status).json(answer.body);
}

function accountFor(o: SimOrganisation, nameOrCode: string): SimAccount {
  const account = o.accounts.find((a) => a.name === nameOrCode) ?? o.accounts.find((a) => a.code === nameOrCode);
  if (!account) throw new Error(`no account ${nameOrCode} in ${o.name}`);
  return account;
}

function orgsOfClient(state: XeroSimState, clientId: string): SimOrganisation[] {
  return [...state.orgs.values()].filter((o) => o.clientId === clientId);
}

function requireOrg(state: XeroSimState, tenantId?: string): SimOrganisation {
  if (tenantId !== undefined) {
    const o = state.orgs.get(tenantId);
    if (!o) throw new Error(`no organisation ${tenantId}`);
    return o;
  }
  if (state.orgs.size !== 1) throw new Error('tenantId is required when the simulator has several organisations');
  return [...state.orgs.values()][0];
}

function allPayments(state: XeroSimState): SimPayment[] {
  return [...state.orgs.values()].flatMap((o) => [...o.payments.values()]);
}

// ---------- invoices ----------

interface InvoiceInput {
  invoiceNumber?: string;
  type: SimInvoiceType;
  status: SimInvoiceStatus;
  contact: { name: string; email?: string };
  currency: string;
  lineAmountTypes?: SimInvoice['lineAmountTypes'];
  lineItems: { description: string; quantity: bigint; unitAmount: bigint; accountCode?: string; taxRate?: SimTaxRate }[];
  reference: string;
  date: string;
  dueDate: string;
}

function addInvoice(state: XeroSimState, input: NewSimInvoice, at: Date): { invoiceId: string; invoiceNumber: string } {
  const o = requireOrg(state, input.tenantId);
  const lineItems = input.lineItems.map((li) => {
    const quantity = parseScaled(li.quantity ?? '1', 4);
    const unitAmount = parseScaled(li.unitAmount, 4);
    if (quantity === undefined || unitAmount === undefined) throw new Error(`bad line item amounts: ${JSON.stringify(li)}`);
    return { description: li.description, quantity, unitAmount };
  });
  const inv = createInvoice(
    o,
    {
      invoiceNumber: input.invoiceNumber,
      type: input.type ?? 'ACCREC',
      status: input.status ?? 'AUTHORISED',
      contact: input.contact,
      currency: input.currency ?? o.baseCurrency,
      lineItems,
      reference: input.reference ?? '',
      date: input.date ?? isoDate(at),
      dueDate: input.dueDate ?? input.date ?? isoDate(at),
    },
    at,
  );
  const paid = input.amountPaid !== undefined ? parseScaled(input.amountPaid, 2) : inv.status === 'PAID' ? inv.total : 0n;
  if (paid === undefined) throw new Error(`bad amountPaid: ${input.amountPaid}`);
  if (paid > 0n) recordOpeningPayment(o, inv, paid, at);
  return { invoiceId: inv.invoiceId, invoiceNumber: inv.invoiceNumber };
}

function toGatewayInvoice(inv: SimInvoice): XeroInvoice {
  return {
    invoiceId: inv.invoiceId,
    invoiceNumber: inv.invoiceNumber,
    type: inv.type,
    status: inv.status,
    currencyCode: inv.currencyCode,
    total: formatScaled(inv.total, 2),
    amountDue: formatScaled(amountDue(inv), 2),
    amountPaid: formatScaled(inv.amountPaid, 2),
    contactName: inv.contact.name,
    ...(inv.contact.email ? { contactEmail: inv.contact.email } : {}),
    lineItems: inv.lineItems.map((li) => ({
      description: li.description,
      quantity: formatScaled(li.quantity, 4),
      unitAmount: formatScaled(li.unitAmount, 4),
      lineAmount: formatScaled(li.lineAmount, 2),
    })),
  };
}

function recordOpeningPayment(o: SimOrganisation, inv: SimInvoice, amount: bigint, at: Date): void {
  // Not into the seeded 'Xendit' clearing account, so its balance shows only the gateway's work.
  const banks = o.accounts.filter((a) => a.type === 'BANK');
  const bank = banks.find((a) => a.name !== 'Xendit') ?? banks[0];
  if (!bank) throw new Error('no bank account to record the opening payment');
  const p: SimPayment = {
    paymentId: randomUUID(),
    invoiceId: inv.invoiceId,
    accountId: bank.accountId,
    date: inv.date,
    amount,
    reference: 'Opening payment',
    status: 'AUTHORISED',
    updatedAt: at,
  };
  o.payments.set(p.paymentId, p);
  inv.amountPaid += amount;
  if (inv.amountPaid >= inv.total && inv.status === 'AUTHORISED') markPaid(inv, p.date);
}

function createInvoice(o: SimOrganisation, input: InvoiceInput, at: Date): SimInvoice {
  const lineItems = input.lineItems.map((li) => {
    const lineAmount = roundDiv(li.quantity * li.unitAmount, 1_000_000n);
    return {
      lineItemId: randomUUID(),
      description: li.description,
      ...(li.accountCode ? { accountCode: li.accountCode } : {}),
      quantity: li.quantity,
      unitAmount: li.unitAmount,
      lineAmount,
      taxType: li.taxRate?.taxType ?? 'NONE',
      taxAmount: li.taxRate ? inclusiveTax(lineAmount, li.taxRate) : 0n,
    };
  });
  const invoiceNumber = input.invoiceNumber ?? (input.type === 'ACCREC' ? `INV-${String(o.nextInvoiceNumber++).padStart(4, '0')}` : '');
  const inv: SimInvoice = {
    invoiceId: randomUUID(),
    invoiceNumber,
    type: input.type,
    status: input.status,
    contact: { ...contactFor(o, input.contact.name, input.contact.email) },
    currencyCode: input.currency,
    reference: input.reference,
    lineAmountTypes: input.lineAmountTypes ?? 'NoTax',
    lineItems,
    total: lineItems.reduce((sum, li) => sum + li.lineAmount, 0n),
    totalTax: lineItems.reduce((sum, li) => sum + li.taxAmount, 0n),
    amountPaid: 0n,
    date: input.date,
    dueDate: input.dueDate,
    updatedAt: at,
  };
  o.invoices.set(inv.invoiceId, inv);
  return inv;
}

function markPaid(inv: SimInvoice, on: string): void {
  inv.status = 'PAID';
  inv.fullyPaidOn = on;
}

function amountDue(inv: SimInvoice): bigint {
  return inv.status === 'VOIDED' || inv.status === 'DELETED' ? 0n : inv.total - inv.amountPaid;
}

function findInvoice(o: SimOrganisation, idOrNumber: string): SimInvoice | undefined {
  return o.invoices.get(idOrNumber) ?? [...o.invoices.values()].find((i) => i.invoiceNumber === idOrNumber);
}

function findInvoiceAnywhere(state: XeroSimState, idOrNumber: string, tenantId?: string): SimInvoice | undefined {
  const orgs = tenantId ? [requireOrg(state, tenantId)] : [...state.orgs.values()];
  for (const o of orgs) {
    const inv = findInvoice(o, idOrNumber);
    if (inv) return inv;
  }
  return undefined;
}

// Like Xero, InvoiceNumbers matches case-insensitively: callers must compare exactly themselves.
function listInvoices(o: SimOrganisation, query: Request['query']): SimInvoice[] {
  const list = (name: string) =>
    String(query[name] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const numbers = list('InvoiceNumbers').map((n) => n.toLowerCase());
  const ids = list('IDs').map((n) => n.toLowerCase());
  const statuses = list('Statuses');
  return [...o.invoices.values()].filter(
    (i) =>
      (!numbers.length || numbers.includes(i.invoiceNumber.toLowerCase())) &&
      (!ids.length || ids.includes(i.invoiceId.toLowerCase())) &&
      (!statuses.length || statuses.includes(i.status)),
  );
}

function createInvoicesRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const items = asArray(req.body, 'Invoices');
  const errors: string[] = [];
  const inputs = items.map((raw) => readInvoiceInput(o, raw, at, errors));
  if (errors.length) return validationError(res, errors, items[0]);
  const created = inputs.map((input) => createInvoice(o, input!, at));
  const body = envelope(at, { Invoices: created.map((i) => invoiceJson(o, i)) });
  remember(o, req, at, 200, body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.json(body);
}

/** Replays happen in idempotencyMiddleware (xero/idempotency.ts, with the source); kept for the routes' shape. */
function replayed(_o: SimOrganisation, _req: Request, _res: Response, _at: Date): boolean {
  return false;
}

/** Before a fault may drop the answer: the write happened, so the key's answer is kept. */
function remember(o: SimOrganisation, req: Request, at: Date, status: number, body: unknown): void {
  rememberAnswer(o.idempotency, req, at, status, body);
}

// ---------- contacts ----------

function createContactsRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const items = asArray(req.body, 'Contacts');
  if (!items.length) return validationError(res, ['No contacts were supplied']);
  const names = new Set<string>();
  for (const raw of items) {
    const name = typeof raw.Name === 'string' ? raw.Name.trim() : '';
    if (!name) return validationError(res, ['The contact name must be specified'], raw);
    if (o.contacts.has(name.toLowerCase()) || names.has(name.toLowerCase())) {
      return validationError(
        res,
        [`The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`],
        raw,
      );
    }
    names.add(name.toLowerCase());
  }
  const created = items.map((raw) =>
    contactFor(o, String(raw.Name).trim(), typeof raw.EmailAddress === 'string' && raw.EmailAddress.trim() ? raw.EmailAddress.trim() : undefined),
  );
  const body = envelope(at, { Contacts: created.map(contactJson) });
  remember(o, req, at, 200, body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.json(body);
}

function readInvoiceInput(o: SimOrganisation, raw: Record<string, unknown>, at: Date, errors: string[]): InvoiceInput | undefined {
  const contact = (raw.Contact ?? {}) as Record<string, unknown>;
  const known = typeof contact.ContactID === 'string' ? [...o.contacts.values()].find((c) => c.contactId === contact.ContactID) : undefined;
  if (typeof contact.ContactID === 'string' && !known) errors.push('The contact could not be found');
  else if (!known && (typeof contact.Name !== 'string' || !contact.Name.trim())) errors.push('A Contact must be specified for this type of transaction');
  const type = raw.Type === 'ACCPAY' ? 'ACCPAY' : 'ACCREC';
  const status = (typeof raw.Status === 'string' ? raw.Status : 'DRAFT') as SimInvoiceStatus;
  if (!['DRAFT', 'SUBMITTED', 'AUTHORISED'].includes(status)) errors.push(`Invalid status for a new invoice: ${status}`);
  // Xero's default is Exclusive; the simulator computes tax only on tax-inclusive lines.
  const lineAmountTypes = raw.LineAmountTypes ?? 'Exclusive';
  if (lineAmountTypes !== 'NoTax' && lineAmountTypes !== 'Inclusive' && lineAmountTypes !== 'Exclusive')
    errors.push(`LineAmountTypes must be Exclusive, Inclusive or NoTax, not ${String(lineAmountTypes)}`);
  const lineItems = ((raw.LineItems ?? []) as Record<string, unknown>[]).map((li) => {
    const quantity = parseScaled(li.Quantity ?? 1, 4);
    const unitAmount = parseScaled(li.UnitAmount ?? 0, 4);
    if (quantity === undefined || unitAmount === undefined) errors.push('Line item Quantity and UnitAmount must be numbers with at most 4 decimals');
    const accountCode = li.AccountCode === undefined ? undefined : String(li.AccountCode);
    const account = accountCode === undefined ? undefined : o.accounts.find((a) => a.code === accountCode);
    if (accountCode !== undefined && !account) errors.push(`Account code '${accountCode}' is not a valid code for this document`);
    else if (account?.type === 'BANK') errors.push(`Account code '${accountCode}' is a bank account and cannot be used on a line item`);
    const taxType = li.TaxType === undefined ? 'NONE' : String(li.TaxType);
    const taxRate = taxType === 'NONE' ? undefined : usableTaxRate(o.taxRates, taxType, type);
    if (taxType !== 'NONE' && !taxRate) errors.push(unusableTaxTypeMessage(taxType));
    else if (taxRate && lineAmountTypes !== 'Inclusive')
      errors.push(`The simulator supports tax rates with LineAmountTypes Inclusive only, not ${String(lineAmountTypes)}`);
    return { description: String(li.Description ?? ''), quantity: quantity ?? 0n, unitAmount: unitAmount ?? 0n, accountCode, ...(taxRate ? { taxRate } : {}) };
  });
  if (errors.length) return undefined;
  return {
    invoiceNumber: typeof raw.InvoiceNumber === 'string' && raw.InvoiceNumber ? raw.InvoiceNumber : undefined,
    type,
    status,
    contact: known
      ? { name: known.name, email: known.email }
      : { name: String(contact.Name), email: typeof contact.EmailAddress === 'string' ? contact.EmailAddress : undefined },
    currency: typeof raw.CurrencyCode === 'string' ? raw.CurrencyCode : o.baseCurrency,
    lineAmountTypes: lineAmountTypes as SimInvoice['lineAmountTypes'],
    lineItems,
    reference: typeof raw.Reference === 'string' ? raw.Reference : '',
    date: readDate(raw.Date) ?? isoDate(at),
    dueDate: readDate(raw.DueDate) ?? readDate(raw.Date) ?? isoDate(at),
  };
}

// ---------- payments ----------

function createPaymentRoute(sim: XeroSimulator, req: Request, res: Response, at: Date, log?: Logger): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const answer = createPayments(o, asArray(req.body, 'Payments'), at);
  remember(o, req, at, answer.status, answer.body);
  log?.debug({ tenantId: o.tenantId, status: answer.status }, 'xero sim: payment request');
  if (sim.faults.dropIfArmed(req, res)) return;
  res.status(answer.status).json(answer.body);
}

function recordPayment(o: SimOrganisation, p: { invoiceId: string; amount: string; accountId: string; reference: string }, at: Date): SimPayment {
  const raw = { Invoice: { InvoiceID: p.invoiceId }, Account: { AccountID: p.accountId }, Amount: p.amount, Reference: p.reference };
  const errors: string[] = [];
  const planned = validatePayment(o, raw, errors, [], at);
  if (!planned) throw new Error(errors.join('; '));
  return savePayment(o, planned, at);
}

function createPayments(o: SimOrganisation, items: Record<string, unknown>[], at: Date): { status: number; body: unknown } {
  if (!items.length) return { status: 400, body: validationBody(['No payments were supplied']) };
  // All or nothing: validate every payment against the running amounts before saving any.
  const planned: { inv: SimInvoice; account: SimAccount; amount: bigint; date: string; reference: string }[] = [];
  for (const raw of items) {
    const errors: string[] = [];
    const p = validatePayment(o, raw, errors, planned, at);
    if (errors.length || !p) return { status: 400, body: validationBody(errors, raw) };
    planned.push(p);
  }
  const saved = planned.map((p) => savePayment(o, p, at));
  return { status: 200, body: envelope(at, { Payments: saved.map((p) => paymentJson(o, p)) }) };
}

function validatePayment(
  o: SimOrganisation,
  raw: Record<string, unknown>,
  errors: string[],
  earlier: { inv: SimInvoice; amount: bigint }[],
  at: Date,
): { inv: SimInvoice; account: SimAccount; amount: bigint; date: string; reference: string } | undefined {
  const invRef = (raw.Invoice ?? {}) as Record<string, unknown>;
  const accRef = (raw.Account ?? {}) as Record<string, unknown>;
  const inv = findInvoice(o, String(invRef.InvoiceID ?? invRef.InvoiceNumber ?? ''));
  const account = o.accounts.find((a) => a.accountId === accRef.AccountID || (accRef.Code !== undefined && a.code === accRef.Code));
  const amount = parseScaled(raw.Amount, 2);
  const date = raw.Date === undefined ? isoDate(at) : readDate(raw.Date);

  if (!inv) errors.push('Invoice could not be found');
  if (!account) errors.push('Account could not be found');
  if (amount === undefined || amount <= 0n) errors.push('Payment amount must be a positive number with at most 2 decimal places');
  if (!date) errors.push('Payment date is not a valid date');
  // Xero refuses (400 ValidationException) a payment on an invoice that is not AUTHORISED and one
  // above what is still due: xero_accounting.yaml Payment.Amount "Must be less than or equal to the
  // outstanding amount owing on the invoice"; its validation messages, as integrations quote them:
  // "Payments can only be made against Authorised documents", "Payment amount exceeds the amount
  // outstanding on this document" (e.g. Chargebee and Workato support articles on Xero sync errors).
  // record-payment sends the whole amount unread and relies on these refusals.
  if (inv && ['PAID', 'VOIDED', 'DELETED'].includes(inv.status)) errors.push('Invoice not of valid status for modification');
  else if (inv && inv.status !== 'AUTHORISED') errors.push('Payments can only be made against Authorised documents');
  if (account && account.type !== 'BANK' && !account.enablePaymentsToAccount) {
    errors.push(`Account code '${account.code}' is not a bank account or an account with payments enabled`);
  }
  if (account && account.status !== 'ACTIVE') errors.push(`Account code '${account.code}' has been archived`);
  const accountCurrency = account?.currencyCode ?? o.baseCurrency;
  if (inv && account && accountCurrency !== inv.currencyCode && raw.CurrencyRate === undefined) {
    errors.push(`The payment currency (${accountCurrency}) must match the invoice currency (${inv.currencyCode}), or a CurrencyRate must be supplied`);
  }
  if (inv && amount !== undefined && inv.status === 'AUTHORISED') {
    const already = earlier.filter((p) => p.inv === inv).reduce((s, p) => s + p.amount, 0n);
    if (amount > amountDue(inv) - already) errors.push('Payment amount exceeds the amount outstanding on this document');
  }
  if (errors.length || !inv || !account || amount === undefined || !date) return undefined;
  return { inv, account, amount, date, reference: typeof raw.Reference === 'string' ? raw.Reference : '' };
}

function savePayment(o: SimOrganisation, p: { inv: SimInvoice; account: SimAccount; amount: bigint; date: string; reference: string }, at: Date): SimPayment {
  const payment: SimPayment = {
    paymentId: randomUUID(),
    invoiceId: p.inv.invoiceId,
    accountId: p.account.accountId,
    date: p.date,
    amount: p.amount,
    reference: p.reference,
    status: 'AUTHORISED',
    updatedAt: at,
  };
  o.payments.set(payment.paymentId, payment);
  p.inv.amountPaid += p.amount;
  p.inv.updatedAt = at;
  if (amountDue(p.inv) === 0n) markPaid(p.inv, p.date);
  return payment;
}

// ---------- bank transactions (spend and receive money) ----------

function createBankTransactionsRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const answer = createBankTransactions(o, asArray(req.body, 'BankTransactions'), at);
  remember(o, req, at, answer.status, answer.body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.status(answer.status).json(answer.body);
}

function createBankTransactions(o: SimOrganisation, items: Record<string, unknown>[], at: Date): { status: number; body: unknown } {
  if (!items.length) return { status: 400, body: validationBody(['No bank transactions were supplied']) };
  const planned: Omit<SimBankTransaction, 'bankTransactionId' | 'contact' | 'updatedAt' | 'status'>[] = [];
  const contactNames: string[] = [];
  for (const raw of items) {
    const errors: string[] = [];
    const t = validateBankTransaction(o, raw, errors, at);
    if (errors.length || !t) return { status: 400, body: validationBody(errors, raw) };
    planned.push(t.txn);
    contactNames.push(t.contactName);
  }
  const saved = planned.map((t, i) => {
    const txn: SimBankTransaction = { ...t, bankTransactionId: randomUUID(), contact: contactFor(o, contactNames[i]), status: 'AUTHORISED', updatedAt: at };
    o.bankTransactions.set(txn.bankTransactionId, txn);
    return txn;
  });
  return { status: 200, body: envelope(at, { BankTransactions: saved.map((t) => bankTransactionJson(o, t)) }) };
}

function validateBankTransaction(
  o: SimOrganisation,
  raw: Record<string, unknown>,
  errors: string[],
  at: Date,
): { txn: Omit<SimBankTransaction, 'bankTransactionId' | 'contact' | 'updatedAt' | 'status'>; contactName: string } | undefined {
  const type = raw.Type;
  const overpayment = type === 'RECEIVE-OVERPAYMENT';
  if (type !== 'SPEND' && type !== 'RECEIVE' && !overpayment)
    errors.push(`The simulator supports Type SPEND, RECEIVE and RECEIVE-OVERPAYMENT, not ${String(type)}`);
  const accRef = (raw.BankAccount ?? {}) as Record<string, unknown>;
  const bank = o.accounts.find((a) => a.accountId === accRef.AccountID || (accRef.Code !== undefined && a.code === accRef.Code));
  if (!bank) errors.push('Bank account could not be found');
  else if (bank.type !== 'BANK') errors.push(`Account code '${bank.code}' is not a bank account`);
  else if (bank.status !== 'ACTIVE') errors.push(`Account code '${bank.code}' has been archived`);
  const contact = (raw.Contact ?? {}) as Record<string, unknown>;
  const known = typeof contact.ContactID === 'string' ? [...o.contacts.values()].find((c) => c.contactId === contact.ContactID) : undefined;
  if (typeof contact.ContactID === 'string' && !known) errors.push('The contact could not be found');
  const contactName = known?.name ?? (typeof contact.Name === 'string' ? contact.Name.trim() : '');
  if (!contactName) errors.push('A Contact must be specified for this type of transaction');
  const currency = bank ? (bank.currencyCode ?? o.baseCurrency) : o.baseCurrency;
  if (typeof raw.CurrencyCode === 'string' && raw.CurrencyCode !== currency) {
    errors.push(`The currency (${raw.CurrencyCode}) must match the bank account currency (${currency})`);
  }
  const date = raw.Date === undefined ? isoDate(at) : readDate(raw.Date);
  if (!date) errors.push('Date is not a valid date');
  const lineItems = ((raw.LineItems ?? []) as Record<string, unknown>[]).map((li) => {
    const quantity = parseScaled(li.Quantity ?? 1, 4);
    const unitAmount = parseScaled(li.UnitAmount ?? 0, 4);
    const code = String(li.AccountCode ?? '');
    const account = o.accounts.find((a) => a.code === code);
    // An overpayment's line carries no account: Xero holds it against Accounts Receivable as the contact's credit.
    if (overpayment) {
      if (code) errors.push('Account code cannot be specified on an overpayment line item');
    } else if (!account) errors.push(`Account code '${code}' is not a valid code for this document`);
    else if (account.type === 'BANK') errors.push(`Account code '${code}' is a bank account and cannot be used on a line item`);
    if (quantity === undefined || unitAmount === undefined) errors.push('Line item Quantity and UnitAmount must be numbers with at most 4 decimals');
    const lineAmount = roundDiv((quantity ?? 0n) * (unitAmount ?? 0n), 1_000_000n);
    return { lineItemId: randomUUID(), description: String(li.Description ?? ''), accountCode: code, lineAmount };
  });
  if (!lineItems.length) errors.push('At least one line item is required');
  const total = lineItems.reduce((sum, li) => sum + li.lineAmount, 0n);
  if (lineItems.length && total <= 0n) errors.push('The total of a bank transaction must be positive');
  if (errors.length || !bank || !date) return undefined;
  return {
    txn: {
      type: type as SimBankTransaction['type'],
      accountId: bank.accountId,
      date,
      reference: typeof raw.Reference === 'string' ? raw.Reference : '',
      currencyCode: currency,
      lineItems,
      total,
    },
    contactName,
  };
}

// ---------- manual journals ----------

function createManualJournalsRoute(sim: XeroSimulator, req: Request, res: Response, at: Date): void {
  const o = org(res);
  if (replayed(o, req, res, at)) return;
  const items = asArray(req.body, 'ManualJournals');
  let answer: { status: number; body: unknown } = { status: 400, body: validationBody(['No manual journals were supplied']) };
  const planned: SimManualJournal[] = [];
  for (const raw of items) {
    const errors: string[] = [];
    const j = validateManualJournal(o, raw, errors, at);
    if (errors.length || !j) {
      planned.length = 0;
      answer = { status: 400, body: validationBody(errors, raw) };
      break;
    }
    planned.push(j);
  }
  if (planned.length) {
    for (const j of planned) o.manualJournals.set(j.manualJournalId, j);
    answer = { status: 200, body: envelope(at, { ManualJournals: planned.map((j) => manualJournalJson(o, j)) }) };
  }
  remember(o, req, at, answer.status, answer.body);
  if (sim.faults.dropIfArmed(req, res)) return;
  res.status(answer.status).json(answer.body);
}

function validateManualJournal(o: SimOrganisation, raw: Record<string, unknown>, errors: string[], at: Date): SimManualJournal | undefined {
  const narration = typeof raw.Narration === 'string' ? raw.Narration.trim() : '';
  if (!narration) errors.push('Narration cannot be empty');
  const status = raw.Status === undefined ? 'DRAFT' : raw.Status;
  if (status !== 'DRAFT' && status !== 'POSTED') errors.push(`Invalid status for a new manual journal: ${String(status)}`);
  const date = raw.Date === undefined ? isoDate(at) : readDate(raw.Date);
  if (!date) errors.push('Date is not a valid date');
  const rawLines = Array.isArray(raw.JournalLines) ? (raw.JournalLines as Record<string, unknown>[]) : [];
  if (rawLines.length < 2) errors.push('Journal must have at least two lines');
  const lines = rawLines.map((li) => {
    const code = String(li.AccountCode ?? '');
    const account = o.accounts.find((a) => a.code === code || (li.AccountID !== undefined && a.accountId === li.AccountID));
    if (!account) errors.push(`Account code '${code}' is not a valid code for this document`);
    // As in Xero: a bank account's balance moves only through bank transactions and payments.
    else if (account.type === 'BANK') errors.push(`Account code '${account.code}' is a bank account. You can't post a manual journal to a bank account`);
    else if (account.status !== 'ACTIVE') errors.push(`Account code '${account.code}' has been archived`);
    const amount = parseScaled(li.LineAmount, 2);
    if (amount === undefined || amount === 0n) errors.push('Journal line amounts must be non-zero numbers with at most 2 decimal places');
    const taxType = typeof li.TaxType === 'string' ? li.TaxType : 'NONE';
    if (taxType !== 'NONE') errors.push(`The simulator supports TaxType NONE only, not ${taxType}`);
    return { description: String(li.Description ?? ''), accountCode: account?.code ?? code, lineAmount: amount ?? 0n, taxType };
  });
  if (!errors.length && lines.reduce((sum, l) => sum + l.lineAmount, 0n) !== 0n) errors.push('The total debits must equal the total credits');
  if (errors.length || !date) return undefined;
  return { manualJournalId: randomUUID(), narration, date, status: status as 'DRAFT' | 'POSTED', lines, updatedAt: at };
}

function manualJournalJson(o: SimOrganisation, j: SimManualJournal): Record<string, unknown> {
  return {
    ManualJournalID: j.manualJournalId,
    Date: msDate(dayStart(j.date)),
    Status: j.status,
    LineAmountTypes: 'NoTax',
    UpdatedDateUTC: msDate(j.updatedAt),
    ShowOnCashBasisReports: true,
    HasAttachments: false,
    Narration: j.narration,
    JournalLines: j.lines.map((l) => {
      const account = o.accounts.find((a) => a.code === l.accountCode);
      return {
        Description: l.description,
        TaxType: l.taxType,
        TaxAmount: 0,
        LineAmount: money(l.lineAmount),
        AccountCode: l.accountCode,
        ...(account ? { AccountID: account.accountId } : {}),
        Tracking: [],
        IsBlank: false,
      };
    }),
  };
}

/** The contact with this name, made on first use (as Xero does for a contact given by Name). */
function contactFor(o: SimOrganisation, name: string, email?: string): SimContact {
  const key = name.toLowerCase();
  let c = o.contacts.get(key);
  if (!c) {
    c = { contactId: randomUUID(), name, ...(email ? { email } : {}) };
    o.contacts.set(key, c);
  }
  return c;
}

function balanceOf(o: SimOrganisation, accountId: string): bigint {
  let balance = 0n;
  for (const p of o.payments.values()) if (p.accountId === accountId && p.status === 'AUTHORISED') balance += p.amount;
  balance -= refundedFrom(o, accountId);
  for (const t of o.bankTransactions.values()) {
    if (t.accountId === accountId && t.status === 'AUTHORISED') balance += t.type === 'SPEND' ? -t.total : t.total;
  }
  for (const j of o.manualJournals.values()) {
    if (j.status !== 'POSTED') continue;
    for (const line of j.lines) if (o.accounts.find((a) => a.code === line.accountCode)?.accountId === accountId) balance += line.lineAmount;
  }
  return balance;
}

// ---------- `where` filters ----------

interface Clause {
  path: string[];
  op: '==' | '!=';
  value: string;
}

function filtered(res: Response, req: Request, rows: Record<string, unknown>[], wrap: (rows: unknown[]) => unknown): void {
  const where = typeof req.query.where === 'string' ? req.query.where : '';
  const clauses = parseWhere(where);
  if (!clauses) return validationError(res, [`The where clause is not supported by the simulator: ${where}`]);
  const matching = rows.filter((row) => clauses.every((c) => matchesClause(row, c)));
  // Like Xero: with ?page=N, 100 rows per page (pageSize up to 1000); without it, everything.
  const page = Number(req.query.page);
  if (!Number.isInteger(page) || page < 1) return void res.json(wrap(matching));
  const size = Math.min(Math.max(Number(req.query.pageSize) || 100, 1), 1000);
  res.json(wrap(matching.slice((page - 1) * size, page * size)));
}

// Supports `A.B=="text"`, `A==guid("...")`, `A==true`, `A!=...`, joined by AND / &&.
function parseWhere(where: string): Clause[] | undefined {
  if (!where.trim()) return [];
  const clauses: Clause[] = [];
  const re = /^\s*([A-Za-z][\w.]*)\s*(==|!=)\s*(?:"((?:[^"\\]|\\.)*)"|guid\("([^"]*)"\)|([\w.-]+))\s*(?:(?:AND|&&)\s*|$)/i;
  let rest = where;
  while (rest.trim()) {
    const m = re.exec(rest);
    if (!m) return undefined;
    const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? m[5]);
    clauses.push({ path: m[1].split('.'), op: m[2] as Clause['op'], value });
    rest = rest.slice(m[0].length);
  }
  return clauses;
}

// Xero compares strings case-insensitively in `where`.
function matchesClause(row: Record<string, unknown>, c: Clause): boolean {
  let v: unknown = row;
  for (const key of c.path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  const equal = v !== undefined && v !== null && String(v).toLowerCase() === c.value.toLowerCase();
  return c.op === '==' ? equal : !equal;
}

// ---------- JSON shapes ----------

function envelope(at: Date, payload: Record<string, unknown>): Record<string, unknown> {
  return { Id: randomUUID(), Status: 'OK', ProviderName: 'Xendit Xero Gateway', DateTimeUTC: msDate(at), ...payload };
}

function connectionJson(o: SimOrganisation) {
  const created = o.createdAt.toISOString();
  return {
    id: o.tenantId,
    authEventId: o.tenantId,
    tenantId: o.tenantId,
    tenantType: 'ORGANISATION',
    tenantName: o.name,
    createdDateUtc: created,
    updatedDateUtc: created,
  };
}

function organisationJson(o: SimOrganisation) {
  return {
    OrganisationID: o.tenantId,
    APIKey: '',
    Name: o.name,
    LegalName: o.name,
    PaysTax: true,
    Version: 'GLOBAL',
    OrganisationType: 'COMPANY',
    BaseCurrency: o.baseCurrency,
    CountryCode: countryOf(o.baseCurrency),
    IsDemoCompany: o.isDemoCompany,
    OrganisationStatus: 'ACTIVE',
    FinancialYearEndDay: 31,
    FinancialYearEndMonth: 12,
    Timezone: o.timezone,
    OrganisationEntityType: 'COMPANY',
    ShortCode: o.shortCode,
    Edition: 'BUSINESS',
    Class: 'STANDARD',
    CreatedDateUTC: msDate(o.createdAt),
    Addresses: [],
    Phones: [],
    ExternalLinks: [],
    PaymentTerms: {},
  };
}

function countryOf(currency: string): string {
  return { IDR: 'ID', PHP: 'PH', THB: 'TH', VND: 'VN', MYR: 'MY', USD: 'US', NZD: 'NZ', AUD: 'AU', GBP: 'GB' }[currency] ?? 'US';
}

function accountJson(a: SimAccount, o: SimOrganisation) {
  return {
    AccountID: a.accountId,
    ...(a.code ? { Code: a.code } : {}),
    Name: a.name,
    Type: a.type,
    Status: a.status,
    TaxType: 'NONE',
    EnablePaymentsToAccount: a.enablePaymentsToAccount,
    ShowInExpenseClaims: false,
    Class:
      a.type === 'REVENUE' ? 'REVENUE' : a.type === 'EXPENSE' ? 'EXPENSE' : a.type === 'LIABILITY' ? 'LIABILITY' : a.type === 'EQUITY' ? 'EQUITY' : 'ASSET',
    ReportingCode: a.type === 'BANK' ? 'ASS.CUR.CAS.CAS' : '',
    HasAttachments: false,
    UpdatedDateUTC: msDate(o.createdAt),
    AddToWatchlist: false,
    ...(a.type === 'BANK'
      ? { BankAccountType: 'BANK', BankAccountNumber: a.bankAccountNumber ?? `${a.code}-0000001`, CurrencyCode: a.currencyCode ?? o.baseCurrency }
      : {}),
  };
}

function invoiceJson(o: SimOrganisation, inv: SimInvoice): Record<string, unknown> {
  const payments = [...o.payments.values()].filter((p) => p.invoiceId === inv.invoiceId && p.status !== 'DELETED');
  return {
    Type: inv.type,
    InvoiceID: inv.invoiceId,
    InvoiceNumber: inv.invoiceNumber,
    Reference: inv.reference,
    Payments: payments.map((p) => ({
      PaymentID: p.paymentId,
      Date: msDate(dayStart(p.date)),
      Amount: money(p.amount),
      Reference: p.reference,
      CurrencyRate: 1,
      HasAccount: true,
      HasValidationErrors: false,
    })),
    CreditNotes: [],
    Prepayments: [],
    Overpayments: [],
    AmountDue: money(amountDue(inv)),
    AmountPaid: money(inv.amountPaid),
    AmountCredited: 0,
    CurrencyRate: 1,
    IsDiscounted: false,
    HasAttachments: false,
    HasErrors: false,
    Contact: contactJson(inv.contact),
    DateString: `${inv.date}T00:00:00`,
    Date: msDate(dayStart(inv.date)),
    DueDateString: `${inv.dueDate}T00:00:00`,
    DueDate: msDate(dayStart(inv.dueDate)),
    Status: inv.status,
    LineAmountTypes: inv.lineAmountTypes,
    LineItems: inv.lineItems.map((li) => ({
      LineItemID: li.lineItemId,
      Description: li.description,
      Quantity: Number(formatScaled(li.quantity, 4)),
      UnitAmount: Number(formatScaled(li.unitAmount, 4)),
      TaxType: li.taxType,
      TaxAmount: money(li.taxAmount),
      LineAmount: money(li.lineAmount),
      AccountCode: li.accountCode ?? '200',
      Tracking: [],
    })),
    SubTotal: money(inv.total - inv.totalTax),
    TotalTax: money(inv.totalTax),
    Total: money(inv.total),
    UpdatedDateUTC: msDate(inv.updatedAt),
    CurrencyCode: inv.currencyCode,
    ...(inv.fullyPaidOn ? { FullyPaidOnDate: msDate(dayStart(inv.fullyPaidOn)) } : {}),
  };
}

function contactJson(c: SimContact) {
  return {
    ContactID: c.contactId,
    Name: c.name,
    ContactStatus: 'ACTIVE',
    ...(c.email ? { EmailAddress: c.email } : {}),
    Addresses: [],
    Phones: [],
    ContactGroups: [],
    ContactPersons: [],
    HasValidationErrors: false,
  };
}

function refundJson(o: SimOrganisation, p: SimRefundPayment): Record<string, unknown> {
  const account = o.accounts.find((a) => a.accountId === p.accountId)!;
  return refundPaymentJson(p, account, { msDate, money, currencyCode: account.currencyCode ?? o.baseCurrency });
}

function paymentJson(o: SimOrganisation, p: SimPayment): Record<string, unknown> {
  const inv = o.invoices.get(p.invoiceId)!;
  const account = o.accounts.find((a) => a.accountId === p.accountId)!;
  return {
    PaymentID: p.paymentId,
    Date: msDate(dayStart(p.date)),
    BankAmount: money(p.amount),
    Amount: money(p.amount),
    Reference: p.reference,
    CurrencyRate: 1,
    PaymentType: inv.type === 'ACCREC' ? 'ACCRECPAYMENT' : 'ACCPAYPAYMENT',
    Status: p.status,
    UpdatedDateUTC: msDate(p.updatedAt),
    HasAccount: true,
    IsReconciled: false,
    Account: { AccountID: account.accountId, Code: account.code, Name: account.name },
    Invoice: {
      Type: inv.type,
      InvoiceID: inv.invoiceId,
      InvoiceNumber: inv.invoiceNumber,
      Payments: [],
      CreditNotes: [],
      Prepayments: [],
      Overpayments: [],
      IsDiscounted: false,
      HasErrors: false,
      Contact: contactJson(inv.contact),
      CurrencyCode: inv.currencyCode,
      LineItems: [],
    },
    HasValidationErrors: false,
  };
}

function bankTransactionJson(o: SimOrganisation, t: SimBankTransaction): Record<string, unknown> {
  const bank = o.accounts.find((a) => a.accountId === t.accountId)!;
  return {
    BankTransactionID: t.bankTransactionId,
    Type: t.type,
    Contact: {
      ContactID: t.contact.contactId,
      Name: t.contact.name,
      Addresses: [],
      Phones: [],
      ContactGroups: [],
      ContactPersons: [],
      HasValidationErrors: false,
    },
    LineItems: t.lineItems.map((li) => {
      const account = o.accounts.find((a) => a.code === li.accountCode);
      return {
        LineItemID: li.lineItemId,
        Description: li.description,
        Quantity: 1,
        UnitAmount: money(li.lineAmount),
        TaxType: 'NONE',
        TaxAmount: 0,
        LineAmount: money(li.lineAmount),
        ...(li.accountCode ? { AccountCode: li.accountCode } : {}),
        ...(account ? { AccountID: account.accountId } : {}),
        Tracking: [],
      };
    }),
    BankAccount: { AccountID: bank.accountId, Code: bank.code, Name: bank.name },
    ...(t.type === 'RECEIVE-OVERPAYMENT' ? { OverpaymentID: t.bankTransactionId } : {}),
    IsReconciled: false,
    DateString: `${t.date}T00:00:00`,
    Date: msDate(dayStart(t.date)),
    Reference: t.reference,
    CurrencyCode: t.currencyCode,
    CurrencyRate: 1,
    Status: t.status,
    LineAmountTypes: 'NoTax',
    SubTotal: money(t.total),
    TotalTax: 0,
    Total: money(t.total),
    UpdatedDateUTC: msDate(t.updatedAt),
    HasAttachments: false,
  };
}

function asArray(body: unknown, key: string): Record<string, unknown>[] {
  if (!body || typeof body !== 'object') return [];
  const wrapped = (body as Record<string, unknown>)[key];
  if (Array.isArray(wrapped)) return wrapped as Record<string, unknown>[];
  return [body as Record<string, unknown>];
}

// ---------- exact decimals and dates ----------

/** "12.5" (or the JSON number 12.5) at 2 dp → 1250n; undefined when not a plain decimal or too precise. */
function parseScaled(value: unknown, dp: number): bigint | undefined {
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : typeof value === 'string' ? value.trim() : '';
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return undefined;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  if (frac.length > dp) return undefined;
  const v = BigInt(m[2] + frac.padEnd(dp, '0'));
  return m[1] ? -v : v;
}

function formatScaled(v: bigint, dp: number): string {
  const sign = v < 0n ? '-' : '';
  const digits = (v < 0n ? -v : v).toString().padStart(dp + 1, '0');
  return dp === 0 ? sign + digits : `${sign}${digits.slice(0, -dp)}.${digits.slice(-dp)}`;
}

/** Hundredths as the JSON number Xero sends: parsing the exact decimal text, no arithmetic on floats. */
function money(hundredths: bigint): number {
  return Number(formatScaled(hundredths, 2));
}

/** Half away from zero, like Xero's line amount rounding. */
function roundDiv(n: bigint, d: bigint): bigint {
  const sign = n < 0n ? -1n : 1n;
  const abs = n < 0n ? -n : n;
  return sign * ((abs * 2n + d) / (2n * d));
}

function msDate(d: Date): string {
  return `/Date(${d.getTime()}+0000)/`;
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function dayStart(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

function readDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = /^\/Date\((-?\d+)/.exec(value);
  if (ms) return isoDate(new Date(Number(ms[1])));
  const m = /^(\d{4}-\d{2}-\d{2})(T[\d:.]+Z?)?$/.exec(value);
  return m && !Number.isNaN(Date.parse(`${m[1]}T00:00:00Z`)) ? m[1] : undefined;
}

// ---------- the HTML overview ("the simulated Xero") ----------

function renderOverview(state: XeroSimState, cssHref: string): string {
  const orgs = [...state.orgs.values()];
  const sections = orgs.length ? orgs.map(renderOrg).join('\n') : '<p class="muted">No organisations yet.</p>';
  return renderPage(
    'Simulated Xero',
    cssHref,
    `<main>
<h1>Simulated Xero</h1>
<p class="banner">This is a simulator. Nothing here is real accounting data.</p>
${sections}
</main>`,
  );
}

function renderInvoicePage(o: SimOrganisation, i: SimInvoice, cssHref: string): string {
  const payments = [...o.payments.values()].filter((p) => p.invoiceId === i.invoiceId);
  const lines = i.lineItems
    .map(
      (li) =>
        `<tr><td>${escapeHtml(li.description)}</td><td class="num">${escapeHtml(formatScaled(li.quantity, 4))}</td><td class="num">${escapeHtml(formatScaled(li.unitAmount, 4))}</td><td>${escapeHtml(li.taxType)}</td><td class="num">${escapeHtml(formatScaled(li.taxAmount, 2))}</td></tr>`,
    )
    .join('\n');
  const paid = payments
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.date)}</td><td class="num">${escapeHtml(formatScaled(p.amount, 2))}</td><td>${escapeHtml(p.reference)}</td><td>${escapeHtml(p.status)}</td></tr>`,
    )
    .join('\n');
  return renderPage(
    `Invoice ${i.invoiceNumber}`,
    cssHref,
    `<main>
<p class="banner">This is a simulator. Nothing here is real accounting data.</p>
<h1 id="invoice-number">Invoice ${escapeHtml(i.invoiceNumber)}</h1>
<p>${escapeHtml(o.name)} · <span class="status status-${escapeHtml(i.status)}" id="invoice-status">${escapeHtml(i.status)}</span></p>
<dl><dt>To</dt><dd id="invoice-contact">${escapeHtml(i.contact.name)}</dd><dt>Reference</dt><dd>${escapeHtml(i.reference)}</dd><dt>Total</dt><dd>${escapeHtml(formatScaled(i.total, 2))} ${escapeHtml(i.currencyCode)}</dd>${i.totalTax ? `<dt>Tax included</dt><dd id="invoice-tax">${escapeHtml(formatScaled(i.totalTax, 2))} ${escapeHtml(i.currencyCode)}</dd>` : ''}<dt>Amount due</dt><dd>${escapeHtml(formatScaled(amountDue(i), 2))} ${escapeHtml(i.currencyCode)}</dd></dl>
<h2>Lines</h2><table><thead><tr><th>Description</th><th>Qty</th><th>Unit</th><th>Tax rate</th><th>Tax</th></tr></thead><tbody>${lines}</tbody></table>
<h2>Payments</h2><table id="invoice-payments"><thead><tr><th>Date</th><th>Amount</th><th>Reference</th><th>Status</th></tr></thead><tbody>${paid}</tbody></table>
<p><a href="${escapeHtml(cssHref.replace(/sim\.css$/, ''))}">All of the simulated Xero</a></p>
</main>`,
  );
}

function renderOrg(o: SimOrganisation): string {
  const invoices = [...o.invoices.values()];
  const invoiceRows = invoices
    .map(
      (i) =>
        `<tr><td>${escapeHtml(i.invoiceNumber)}</td><td>${escapeHtml(i.type)}</td><td>${escapeHtml(i.contact.name)}</td><td>${escapeHtml(i.reference)}</td><td>${escapeHtml(i.currencyCode)}</td>` +
        `<td class="num">${escapeHtml(formatScaled(i.total, 2))}</td><td class="num">${escapeHtml(formatScaled(amountDue(i), 2))}</td>` +
        `<td><span class="status status-${escapeHtml(i.status)}">${escapeHtml(i.status)}</span></td></tr>`,
    )
    .join('\n');
  const paymentRows = [...o.payments.values()]
    .map((p) => {
      const inv = o.invoices.get(p.invoiceId);
      const account = o.accounts.find((a) => a.accountId === p.accountId);
      return (
        `<tr><td>${escapeHtml(p.date)}</td><td>${escapeHtml(inv?.invoiceNumber)}</td><td class="num">${escapeHtml(formatScaled(p.amount, 2))} ${escapeHtml(inv?.currencyCode)}</td>` +
        `<td>${escapeHtml(p.reference)}</td><td>${escapeHtml(account ? `${account.code} ${account.name}` : p.accountId)}</td><td>${escapeHtml(p.status)}</td></tr>`
      );
    })
    .join('\n');
  const journalRows = [...o.manualJournals.values()]
    .map((j) => {
      const lines = j.lines.map((l) => `${l.accountCode} ${formatScaled(l.lineAmount, 2)}`).join(', ');
      return `<tr><td>${escapeHtml(j.date)}</td><td>${escapeHtml(j.narration)}</td><td>${escapeHtml(lines)}</td><td>${escapeHtml(j.status)}</td></tr>`;
    })
    .join('\n');
  const accountRows = o.accounts
    .filter((a) => a.type === 'BANK' || a.enablePaymentsToAccount)
    .map(
      (a) =>
        `<tr><td>${escapeHtml(a.code)}</td><td>${escapeHtml(a.name)}</td><td>${escapeHtml(a.currencyCode ?? o.baseCurrency)}</td>` +
        `<td class="num" data-balance="${escapeHtml(a.code)}">${escapeHtml(formatScaled(balanceOf(o, a.accountId), 2))}</td></tr>`,
    )
    .join('\n');
  const txnRows = [...o.bankTransactions.values()]
    .map((t) => {
      const bank = o.accounts.find((a) => a.accountId === t.accountId);
      const lines = t.lineItems.map((li) => li.accountCode).join(', ');
      return (
        `<tr><td>${escapeHtml(t.date)}</td><td>${escapeHtml(t.type === 'SPEND' ? 'Spend money' : t.type === 'RECEIVE' ? 'Receive money' : 'Overpayment')}</td><td>${escapeHtml(t.contact.name)}</td>` +
        `<td class="num">${escapeHtml(formatScaled(t.total, 2))} ${escapeHtml(t.currencyCode)}</td><td>${escapeHtml(t.reference)}</td>` +
        `<td>${escapeHtml(bank ? `${bank.code} ${bank.name}` : t.accountId)} → ${escapeHtml(lines)}</td><td>${escapeHtml(t.status)}</td></tr>`
      );
    })
    .join('\n');
  return `<section class="card">
<h2>${escapeHtml(o.name)}</h2>
<p class="muted">Short code ${escapeHtml(o.shortCode)} · base currency ${escapeHtml(o.baseCurrency)} · tenant ${escapeHtml(o.tenantId)}</p>
<h2>Invoices</h2>
<div class="scroll"><table>
<thead><tr><th>Number</th><th>Type</th><th>Contact</th><th>Reference</th><th>Currency</th><th class="num">Total</th><th class="num">Amount due</th><th>Status</th></tr></thead>
<tbody>${invoiceRows || '<tr><td colspan="8" class="muted">No invoices.</td></tr>'}</tbody>
</table></div>
<h2>Payments</h2>
<div class="scroll"><table>
<thead><tr><th>Date</th><th>Invoice</th><th class="num">Amount</th><th>Reference</th><th>Account</th><th>Status</th></tr></thead>
<tbody>${paymentRows || '<tr><td colspan="6" class="muted">No payments.</td></tr>'}</tbody>
</table></div>
<h2>Bank transactions</h2>
<div class="scroll"><table>
<thead><tr><th>Date</th><th>Type</th><th>Contact</th><th class="num">Amount</th><th>Reference</th><th>Accounts</th><th>Status</th></tr></thead>
<tbody>${txnRows || '<tr><td colspan="7" class="muted">No bank transactions.</td></tr>'}</tbody>
</table></div>
<h2>Manual journals</h2>
<div class="scroll"><table>
<thead><tr><th>Date</th><th>Narration</th><th>Lines (code amount; + debit, − credit)</th><th>Status</th></tr></thead>
<tbody>${journalRows || '<tr><td colspan="4" class="muted">No manual journals.</td></tr>'}</tbody>
</table></div>
<h2>Bank accounts</h2>
<div class="scroll"><table>
<thead><tr><th>Code</th><th>Name</th><th>Currency</th><th class="num">Balance</th></tr></thead>
<tbody>${accountRows}</tbody>
</table></div>
</section>`;
}
