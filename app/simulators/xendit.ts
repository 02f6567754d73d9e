/**
 * A Xendit simulator: the v2 invoice endpoints exactly as xendit-node calls them, in the full
 * shape the SDK's InvoiceFromJSON expects, plus a hosted checkout page that pays or expires an
 * invoice and sends the invoice callback to the merchant's callback URL.
 *
 * Amounts are integer minor units internally (app/money.ts) and JSON numbers on the wire.
 */
import express, { type Request, type Response, type Router } from 'express';
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AmountError, SUPPORTED_CURRENCIES, isSupportedCurrency, numberToDecimal, toDecimal, toMinor, type Currency } from '../money.js';
import { Faults, escapeHtml, renderPage, sendPage, SIM_CSS } from './faults.js';
import { dashboardRoutes } from './xendit-dashboard.js';
import { onThisHost } from './same-host.js';

export type SimXenditStatus = 'PENDING' | 'PAID' | 'SETTLED' | 'EXPIRED';

export interface XenditSimAccount {
  secretKey: string;
  userId: string;
  businessName: string;
  callbackUrl?: string;
  callbackToken: string;
  /**
   * fees_paid_amount in this account's callbacks and invoices. 'amount' (default): the fee.
   * 'zero': 0, as in Xendit's own invoice callback example (docs.xendit.co/apidocs invoice
   * callback), e.g. for accounts whose fees are invoiced monthly. 'absent': not sent at all
   * (xendit-node's invoice/models/Invoice.ts has no such field). The fee is then only in the
   * payment's transaction (GET /transactions, fee.xendit_fee).
   */
  callbackFees?: 'amount' | 'zero' | 'absent';
  /**
   * Per-product permissions of this key, as set in Xendit's dashboard (Settings → API keys:
   * Money-in invoices None/Read/Write, Transactions None/Read; docs.xendit.co "API keys"). Default:
   * everything. A call outside them gets 403 REQUEST_FORBIDDEN_ERROR before the request is read.
   */
  permissions?: { invoices: 'none' | 'read' | 'write'; transactions: 'none' | 'read' };
  /**
   * false: the merchant set only "Invoices paid" in Xendit's dashboard (Settings → Callbacks, where
   * "Invoice expired" is a URL of its own; docs.xendit.co "Invoice callback"): EXPIRED sends no callback.
   */
  expiredCallbacks?: boolean;
}

type NewSimAccount = {
  secretKey: string;
  callbackUrl?: string;
  callbackToken: string;
  businessName: string;
  callbackFees?: XenditSimAccount['callbackFees'];
  permissions?: XenditSimAccount['permissions'];
  expiredCallbacks?: boolean;
};

export interface SimXenditInvoice {
  id: string;
  userId: string;
  externalId: string;
  status: SimXenditStatus;
  currency: Currency;
  amount: number; // minor units
  description?: string;
  payerEmail?: string;
  customer?: { givenNames?: string; email?: string };
  items: { name: string; quantity: number; price: number /* minor units */ }[];
  successRedirectUrl?: string;
  failureRedirectUrl?: string;
  created: Date;
  updated: Date;
  expiryDate: Date;
  paidAt?: Date;
  paidAmount?: number; // minor units
  feesPaidAmount?: number; // minor units
  /** VAT on Xendit's fee (minor units), reported on the payment's transaction; deducted on top of the fee. */
  feeTax?: number;
  /** Test hook: Xendit's ledger does not list the payment's transaction (yet). */
  transactionUnlisted?: boolean;
  /** Test hook: fees_paid_amount exactly as sent on the wire (e.g. 11600.5 IDR, which no IDR amount can be). */
  feesPaidWire?: number;
  paymentMethod?: string;
  paymentChannel?: string;
}

/** An invoice as the API sends it (amounts as JSON numbers in major units). */
export interface XenditInvoiceJson {
  id: string;
  external_id: string;
  user_id: string;
  status: SimXenditStatus;
  merchant_name: string;
  merchant_profile_picture_url: string;
  amount: number;
  payer_email?: string;
  description?: string;
  customer?: { given_names?: string; email?: string };
  expiry_date: string;
  invoice_url: string;
  available_banks: unknown[];
  available_retail_outlets: unknown[];
  available_ewallets: unknown[];
  available_qr_codes: unknown[];
  available_direct_debits: unknown[];
  available_paylaters: unknown[];
  should_exclude_credit_card: boolean;
  should_send_email: boolean;
  created: string;
  updated: string;
  currency: Currency;
  items: { name: string; quantity: number; price: number }[];
  success_redirect_url?: string;
  failure_redirect_url?: string;
  paid_amount?: number;
  fees_paid_amount?: number;
  adjusted_received_amount?: number;
  paid_at?: string;
  payment_method?: string;
  payment_channel?: string;
  bank_code?: string;
}

export interface SimCallback {
  invoiceId: string;
  status: SimXenditStatus;
  url: string;
  token: string;
  body: Record<string, unknown>;
  at: Date;
  responseStatus?: number;
  responseBody?: string;
  error?: string;
}

export interface SimRequest {
  method: string;
  path: string;
  at: Date;
}

export interface XenditSimState {
  accounts: Map<string, XenditSimAccount>; // by secret key
  invoices: Map<string, SimXenditInvoice>;
  callbacks: SimCallback[];
  requests: SimRequest[];
}

export class XenditFaults extends Faults {
  /** When set, every API answer carries this invoice_url (a hostile or broken upstream). */
  invoiceUrlOverride?: string;
  /**
   * Test option: GET /v2/invoices ignores last_invoice and last_invoice_id, always answering the
   * first page. xendit-node sends last_invoice while Xendit's API reference names last_invoice_id,
   * so a real API honouring only one of them behaves like this for the other.
   */
  ignoreListCursor = false;
  /** Test option: new invoices expire after this many seconds whatever invoice_duration asked (expiry_date is Xendit's word). */
  grantedDurationSeconds?: number;

  override reset(): void {
    super.reset();
    this.invoiceUrlOverride = undefined;
    this.ignoreListCursor = false;
    this.grantedDurationSeconds = undefined;
  }
}

export interface PayOptions {
  /** Overrides the account's callback URL for this callback only. */
  callbackUrl?: string;
  /** false: change the state without sending a callback (a lost callback). */
  sendCallback?: boolean;
  paymentMethod?: string;
  paymentChannel?: string;
}

export interface XenditSimulatorOptions {
  /** Public URL where the router is mounted; invoice_url is `${checkoutBaseUrl}/checkout/${id}`. */
  checkoutBaseUrl: string;
  now?: () => Date;
  fetch?: typeof fetch;
  logger?: Logger;
  /** Fee in minor units; default 2.9 % rounded half up to the currency's minor unit. */
  fee?: (amountMinor: number, currency: Currency) => number;
  /** VAT on the fee in minor units; default none (0). */
  feeTax?: (feeMinor: number, currency: Currency) => number;
  callbackTimeoutMs?: number;
}

export interface XenditSimulator {
  router: Router;
  state: XenditSimState;
  faults: XenditFaults;
  registerAccount(account: NewSimAccount): XenditSimAccount;
  getInvoice(id: string): SimXenditInvoice | undefined;
  /** Every invoice in the API's JSON shape, oldest first. */
  listInvoices(): XenditInvoiceJson[];
  /** Marks the invoice PAID and awaits the callback; undefined when no callback URL is known. Throws unless PENDING. */
  pay(invoiceId: string, opts?: PayOptions): Promise<SimCallback | undefined>;
  /** Marks the invoice EXPIRED and awaits the callback. Throws unless PENDING. */
  expire(invoiceId: string, opts?: Pick<PayOptions, 'callbackUrl' | 'sendCallback'>): Promise<SimCallback | undefined>;
  /**
   * An invoice made outside the gateway (Xendit dashboard, payment link, the merchant's own
   * system), with an external id of its own. Throws on an unknown account or a bad amount.
   */
  createInvoice(input: OutsideInvoice): SimXenditInvoice;
  /** PAID → SETTLED, with its callback. */
  settle(invoiceId: string, opts?: Pick<PayOptions, 'callbackUrl' | 'sendCallback'>): Promise<SimCallback | undefined>;
  reset(): void;
}

export interface OutsideInvoice {
  /** The account's user id (what the dashboard form sends) or its secret key. */
  account: string;
  currency: Currency;
  amount: number; // minor units
  description?: string;
  payerEmail?: string;
  customerName?: string;
  items?: SimXenditInvoice['items'];
  externalId?: string;
}

const MAX_LOG = 1000;
const DEFAULT_DURATION_SECONDS = 86400;

export function createXenditSimulator(options: XenditSimulatorOptions): XenditSimulator {
  const ctx: Ctx = {
    now: options.now ?? (() => new Date()),
    fetch: options.fetch ?? globalThis.fetch,
    log: options.logger,
    fee: options.fee ?? defaultFee,
    feeTax: options.feeTax ?? (() => 0),
    callbackTimeoutMs: options.callbackTimeoutMs ?? 10_000,
    checkoutBaseUrl: options.checkoutBaseUrl.replace(/\/+$/, ''),
    state: { accounts: new Map(), invoices: new Map(), callbacks: [], requests: [] },
    faults: new XenditFaults({ isApi, errorBody: xenditErrorBody }),
  };
  const sim: XenditSimulator = {
    router: express.Router(),
    state: ctx.state,
    faults: ctx.faults,
    registerAccount: (a) => registerAccount(ctx.state, a),
    getInvoice: (id) => ctx.state.invoices.get(id),
    listInvoices: () => [...ctx.state.invoices.values()].sort((a, b) => a.created.getTime() - b.created.getTime()).map((i) => invoiceJson(ctx, i)),
    pay: (id, opts) => transition(ctx, requireInvoice(ctx, id), 'PAID', opts),
    expire: (id, opts) => transition(ctx, requireInvoice(ctx, id), 'EXPIRED', opts),
    settle: (id, opts) => transition(ctx, requireInvoice(ctx, id), 'SETTLED', opts),
    createInvoice: (input) => createOutsideInvoice(ctx, input),
    reset: () => {
      ctx.state.accounts.clear();
      ctx.state.invoices.clear();
      ctx.state.callbacks.length = 0;
      ctx.state.requests.length = 0;
      ctx.faults.reset();
    },
  };
  dashboardRoutes(sim.router, sim);
  buildRoutes(sim.router, ctx);
  return sim;
}

interface Ctx {
  now: () => Date;
  fetch: typeof fetch;
  log?: Logger;
  fee: (amountMinor: number, currency: Currency) => number;
  feeTax: (feeMinor: number, currency: Currency) => number;
  callbackTimeoutMs: number;
  checkoutBaseUrl: string;
  state: XenditSimState;
  faults: XenditFaults;
}

function isApi(req: Request): boolean {
  return req.path.startsWith('/v2/') || req.path.startsWith('/invoices/') || req.path === '/transactions';
}

function xenditErrorBody(status: number): unknown {
  if (status === 429) return { error_code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests' };
  return { error_code: status === 503 ? 'SERVICE_UNAVAILABLE' : 'SERVER_ERROR', message: 'The simulator was told to fail' };
}

function defaultFee(amountMinor: number, _currency: Currency): number {
  return Number((BigInt(amountMinor) * 29n + 500n) / 1000n);
}

function registerAccount(state: XenditSimState, a: NewSimAccount): XenditSimAccount {
  // Re-registering a key updates the account but keeps its invoices.
  const account: XenditSimAccount = { ...a, userId: state.accounts.get(a.secretKey)?.userId ?? hexId() };
  state.accounts.set(a.secretKey, account);
  return account;
}

function hexId(): string {
  return randomBytes(12).toString('hex');
}

function createOutsideInvoice(ctx: Ctx, input: OutsideInvoice): SimXenditInvoice {
  const account = ctx.state.accounts.get(input.account) ?? [...ctx.state.accounts.values()].find((a) => a.userId === input.account);
  if (!account) throw new Error(`no Xendit account ${input.account}`);
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0) throw new Error('amount must be greater than 0');
  const at = ctx.now();
  const inv: SimXenditInvoice = {
    id: hexId(),
    userId: account.userId,
    externalId: input.externalId ?? `dashboard-${hexId().slice(0, 12)}`,
    status: 'PENDING',
    currency: input.currency,
    amount: input.amount,
    items: input.items ?? [],
    ...(input.description ? { description: input.description } : {}),
    ...(input.payerEmail ? { payerEmail: input.payerEmail } : {}),
    ...(input.customerName || input.payerEmail ? { customer: { givenNames: input.customerName, email: input.payerEmail } } : {}),
    created: at,
    updated: at,
    expiryDate: new Date(at.getTime() + DEFAULT_DURATION_SECONDS * 1000),
  };
  ctx.state.invoices.set(inv.id, inv);
  return inv;
}

function requireInvoice(ctx: Ctx, id: string): SimXenditInvoice {
  const inv = ctx.state.invoices.get(id);
  if (!inv) throw new Error(`no Xendit invoice ${id}`);
  return inv;
}

function accountOf(ctx: Ctx, inv: SimXenditInvoice): XenditSimAccount {
  const account = [...ctx.state.accounts.values()].find((a) => a.userId === inv.userId);
  if (!account) throw new Error(`invoice ${inv.id} has no account`);
  return account;
}

// ---------- routes ----------

function buildRoutes(router: Router, ctx: Ctx): void {
  router.use((req, _res, next) => {
    ctx.state.requests.push({ method: req.method, path: req.path, at: ctx.now() });
    if (ctx.state.requests.length > MAX_LOG) ctx.state.requests.shift();
    next();
  });
  router.use(ctx.faults.middleware());
  router.get('/checkout.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=300').send(SIM_CSS);
  });
  router.get('/checkout/:id', (req, res) => showCheckout(ctx, req, res));
  router.post('/checkout/:id/pay', (req, res) => checkoutAction(ctx, req, res, 'PAID'));
  router.post('/checkout/:id/expire', (req, res) => checkoutAction(ctx, req, res, 'EXPIRED'));

  router.use(express.json({ limit: '1mb' }));
  router.use((req, res, next) => (isApi(req) ? authenticate(ctx, req, res, next) : next()));
  router.post('/v2/invoices', (req, res) => createInvoiceRoute(ctx, req, res));
  router.get('/v2/invoices', (req, res) => listInvoicesRoute(ctx, req, res));
  router.get('/transactions', (req, res) => listTransactionsRoute(ctx, req, res));
  router.get('/v2/invoices/:id', (req, res) => {
    const inv = ownInvoice(ctx, res, String(req.params.id));
    if (!inv) return invoiceNotFound(res);
    res.json(invoiceJson(ctx, inv));
  });
  // xendit-node calls POST /invoices/{id}/expire! — `!` is special in Express 5 path syntax.
  router.post(/^\/invoices\/([^/]+)\/expire!$/, (req, res) => expireRoute(ctx, req, res));
  router.use((_req, res) => {
    res.status(404).json({ error_code: 'NOT_FOUND', message: 'Not found' });
  });
  router.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => {
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500) ctx.log?.error({ err }, 'xendit sim: request failed');
    res.status(status).json(status === 400 ? { error_code: 'API_VALIDATION_ERROR', message: 'Invalid JSON body' } : xenditErrorBody(status));
  });
}

function authenticate(ctx: Ctx, req: Request, res: Response, next: () => void): void {
  const m = /^Basic\s+(\S+)$/i.exec(req.get('authorization') ?? '');
  const user = m ? Buffer.from(m[1], 'base64').toString('utf8').split(':')[0] : '';
  const account = user ? ctx.state.accounts.get(user) : undefined;
  if (!account) {
    res.status(401).json({ error_code: 'INVALID_API_KEY', message: 'API key is not authorized for this API service' });
    return;
  }
  res.locals.account = account;
  const needed = permissionFor(req);
  const granted = account.permissions ?? { invoices: 'write', transactions: 'read' };
  const ok =
    needed.product === 'transactions'
      ? granted.transactions === 'read'
      : granted.invoices === 'write' || (needed.level === 'read' && granted.invoices === 'read');
  if (!ok) {
    // docs.xendit.co/apidocs "Errors": 403 REQUEST_FORBIDDEN_ERROR, checked before the body is validated.
    res.status(403).json({ error_code: 'REQUEST_FORBIDDEN_ERROR', message: 'The API key is forbidden to perform this request' });
    return;
  }
  next();
}

/** The product and level a call needs: GETs read, POSTs (create, expire) write. */
function permissionFor(req: Request): { product: 'invoices' | 'transactions'; level: 'read' | 'write' } {
  if (req.path === '/transactions') return { product: 'transactions', level: 'read' };
  return { product: 'invoices', level: req.method === 'GET' ? 'read' : 'write' };
}

function ownInvoice(ctx: Ctx, res: Response, id: string): SimXenditInvoice | undefined {
  const inv = ctx.state.invoices.get(id);
  if (!inv || inv.userId !== (res.locals.account as XenditSimAccount).userId) return undefined;
  expireIfDue(ctx, inv);
  return inv;
}

function invoiceNotFound(res: Response): void {
  res.status(404).json({ error_code: 'INVOICE_NOT_FOUND_ERROR', message: 'Invoice not found' });
}

function validation(res: Response, message: string, code = 'API_VALIDATION_ERROR'): void {
  res.status(400).json({ error_code: code, message });
}

function createInvoiceRoute(ctx: Ctx, req: Request, res: Response): void {
  const account = res.locals.account as XenditSimAccount;
  const body = (req.body ?? {}) as Record<string, unknown>;
  const read = readNewInvoice(body);
  if ('error' in read) return validation(res, read.error, read.code);
  const at = ctx.now();
  const inv: SimXenditInvoice = {
    id: hexId(),
    userId: account.userId,
    ...read.value,
    status: 'PENDING',
    created: at,
    updated: at,
    expiryDate: new Date(at.getTime() + (ctx.faults.grantedDurationSeconds ?? read.durationSeconds) * 1000),
  };
  ctx.state.invoices.set(inv.id, inv);
  if (ctx.faults.dropIfArmed(req, res)) return;
  res.json(invoiceJson(ctx, inv));
}

type NewInvoiceFields = Pick<
  SimXenditInvoice,
  'externalId' | 'currency' | 'amount' | 'description' | 'payerEmail' | 'customer' | 'items' | 'successRedirectUrl' | 'failureRedirectUrl'
>;

function readNewInvoice(body: Record<string, unknown>): { value: NewInvoiceFields; durationSeconds: number } | { error: string; code?: string } {
  const externalId = body.external_id;
  if (typeof externalId !== 'string' || !externalId.trim()) return { error: 'external_id is required' };
  const currency = body.currency ?? 'IDR';
  if (typeof currency !== 'string' || !isSupportedCurrency(currency)) {
    return { error: `currency must be one of ${SUPPORTED_CURRENCIES.join(', ')}`, code: 'UNSUPPORTED_CURRENCY' };
  }
  const amount = readMinor(body.amount, currency);
  if (typeof amount === 'string') return { error: `amount ${amount}` };
  if (amount <= 0) return { error: 'amount must be greater than 0' };
  const duration = body.invoice_duration ?? DEFAULT_DURATION_SECONDS;
  if (typeof duration !== 'number' || !Number.isInteger(duration) || duration < 1 || duration > 31536000) {
    return { error: 'invoice_duration must be a whole number of seconds between 1 and 31536000' };
  }
  const items: SimXenditInvoice['items'] = [];
  for (const raw of Array.isArray(body.items) ? (body.items as Record<string, unknown>[]) : []) {
    const price = readMinor(raw.price, currency);
    if (typeof raw.name !== 'string' || typeof raw.quantity !== 'number' || typeof price === 'string') {
      return { error: 'items need a name, a numeric quantity and a valid price' };
    }
    items.push({ name: raw.name, quantity: raw.quantity, price });
  }
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const customer = body.customer && typeof body.customer === 'object' ? (body.customer as Record<string, unknown>) : undefined;
  return {
    durationSeconds: duration,
    value: {
      externalId,
      currency,
      amount,
      items,
      description: text(body.description),
      payerEmail: text(body.payer_email),
      ...(customer ? { customer: { givenNames: text(customer.given_names), email: text(customer.email) } } : {}),
      successRedirectUrl: text(body.success_redirect_url),
      failureRedirectUrl: text(body.failure_redirect_url),
    },
  };
}

/** Minor units, or why the amount is not acceptable (e.g. "must be a whole number for IDR"). */
function readMinor(value: unknown, currency: Currency): number | string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a number';
  try {
    return toMinor(numberToDecimal(value), currency);
  } catch (err) {
    if (!(err instanceof AmountError)) throw err;
    return currency === 'IDR' || currency === 'VND' ? `must be a whole number for ${currency}` : `has too many decimals for ${currency}`;
  }
}

function listInvoicesRoute(ctx: Ctx, req: Request, res: Response): void {
  const account = res.locals.account as XenditSimAccount;
  const externalId = typeof req.query.external_id === 'string' ? req.query.external_id : undefined;
  const limit = Math.min(Math.max(Number(req.query.limit ?? 10) || 10, 1), 100);
  const statuses = queryList(req.query.statuses);
  const paidAfter = queryDate(req.query.paid_after);
  const paidBefore = queryDate(req.query.paid_before);
  // xendit-node sends last_invoice; Xendit's API reference names it last_invoice_id.
  const lastRaw = req.query.last_invoice ?? req.query.last_invoice_id;
  const lastInvoice = typeof lastRaw === 'string' && !ctx.faults.ignoreListCursor ? lastRaw : undefined;
  const mine = [...ctx.state.invoices.values()].filter((i) => i.userId === account.userId);
  mine.forEach((i) => expireIfDue(ctx, i));
  const sorted = mine
    .filter(
      (i) =>
        (externalId === undefined || i.externalId === externalId) &&
        (!statuses.length || statuses.includes(i.status)) &&
        (!paidAfter || (i.paidAt !== undefined && i.paidAt >= paidAfter)) &&
        (!paidBefore || (i.paidAt !== undefined && i.paidAt <= paidBefore)),
    )
    .sort((a, b) => b.created.getTime() - a.created.getTime() || (a.id < b.id ? 1 : -1));
  const start = lastInvoice === undefined ? 0 : sorted.findIndex((i) => i.id === lastInvoice) + 1;
  const list = sorted.slice(start, start + limit);
  res.json(list.map((i) => invoiceJson(ctx, i)));
}

// Xendit documents `statuses=["PAID","SETTLED"]`; xendit-node sends `statuses=PAID&statuses=SETTLED`.
function queryList(value: unknown): string[] {
  const parts = (Array.isArray(value) ? value : value === undefined ? [] : [value]).map(String);
  return parts.flatMap((p) => {
    try {
      const parsed: unknown = JSON.parse(p);
      return Array.isArray(parsed) ? parsed.map(String) : [p];
    } catch {
      return [p];
    }
  });
}

function queryDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * GET /transactions (Balance and Transaction API): one PAYMENT transaction per paid invoice, with
 * Xendit's fee split into xendit_fee and value_added_tax. As at Xendit, its product_id is the
 * underlying payment (here a VA deposit id, see paymentProductId), not the invoice, and its
 * reference_id is the invoice's external_id. Filters: reference_id, product_id, types, limit.
 */
function listTransactionsRoute(ctx: Ctx, req: Request, res: Response): void {
  const account = res.locals.account as XenditSimAccount;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const productId = text(req.query.product_id);
  const referenceId = text(req.query.reference_id);
  const types = queryList(req.query.types);
  const limit = Math.min(Math.max(Number(req.query.limit ?? 10) || 10, 1), 50);
  const rows = [...ctx.state.invoices.values()]
    .filter((i) => i.userId === account.userId && i.paidAt && !i.transactionUnlisted)
    .filter((i) => (productId === undefined || paymentProductId(i.id) === productId) && (referenceId === undefined || i.externalId === referenceId))
    .filter(() => !types.length || types.includes('PAYMENT'))
    .sort((a, b) => b.paidAt!.getTime() - a.paidAt!.getTime());
  res.json({ has_more: rows.length > limit, data: rows.slice(0, limit).map((i) => transactionJson(i)), links: [] });
}

/** The VA deposit behind an invoice's payment: an id of its own, the same every time for that invoice. */
export function paymentProductId(invoiceId: string): string {
  return createHash('sha256').update(`va-deposit:${invoiceId}`).digest('hex').slice(0, 24);
}

function transactionJson(inv: SimXenditInvoice): Record<string, unknown> {
  const fee = inv.feesPaidAmount ?? 0;
  const vat = inv.feeTax ?? 0;
  return {
    id: `txn_${inv.id}`,
    product_id: paymentProductId(inv.id),
    type: 'PAYMENT',
    status: 'SUCCESS',
    channel_category: 'VIRTUAL_ACCOUNT',
    channel_code: inv.paymentChannel ?? 'BCA',
    reference_id: inv.externalId,
    account_identifier: null,
    currency: inv.currency,
    amount: wire(inv.paidAmount!, inv.currency),
    net_amount: wire(inv.paidAmount! - fee - vat, inv.currency),
    cashflow: 'MONEY_IN',
    settlement_status: inv.status === 'SETTLED' ? 'SETTLED' : 'PENDING',
    estimated_settlement_time: new Date(inv.paidAt!.getTime() + 86_400_000).toISOString(),
    business_id: inv.userId,
    created: inv.paidAt!.toISOString(),
    updated: inv.updated.toISOString(),
    // feesPaidWire: a figure as Xendit sends it on the wire, odd ones included (tests of fees that do not fit the currency).
    fee: {
      xendit_fee: inv.feesPaidWire ?? wire(fee, inv.currency),
      value_added_tax: wire(vat, inv.currency),
      xendit_withholding_tax: 0,
      third_party_withholding_tax: 0,
      status: 'COMPLETED',
    },
  };
}

function expireRoute(ctx: Ctx, req: Request, res: Response): void {
  const inv = ownInvoice(ctx, res, String((req.params as Record<string, string>)[0]));
  if (!inv) return invoiceNotFound(res);
  if (inv.status === 'PAID' || inv.status === 'SETTLED') {
    return validation(res, 'Invoice has already been paid and cannot be expired', 'CANNOT_EXPIRE_PAID_INVOICE');
  }
  // Xendit delivers callbacks on its own schedule: do not hold the API answer for it.
  if (inv.status === 'PENDING') void transition(ctx, inv, 'EXPIRED').catch((err) => ctx.log?.warn({ err }, 'xendit sim: callback failed'));
  res.json(invoiceJson(ctx, inv));
}

// ---------- state changes and callbacks ----------

const ALLOWED: Record<SimXenditStatus, SimXenditStatus[]> = { PENDING: ['PAID', 'EXPIRED'], PAID: ['SETTLED'], SETTLED: [], EXPIRED: [] };

async function transition(ctx: Ctx, inv: SimXenditInvoice, to: SimXenditStatus, opts: PayOptions = {}): Promise<SimCallback | undefined> {
  expireIfDue(ctx, inv);
  apply(ctx, inv, to, opts);
  return opts.sendCallback === false ? undefined : sendCallback(ctx, inv, opts.callbackUrl);
}

/** The synchronous state change, so concurrent requests never see a half-made transition. */
function apply(ctx: Ctx, inv: SimXenditInvoice, to: SimXenditStatus, opts: PayOptions): void {
  if (!ALLOWED[inv.status].includes(to)) throw new Error(`invoice ${inv.id} is ${inv.status}, cannot become ${to}`);
  const at = ctx.now();
  inv.status = to;
  inv.updated = at;
  if (to !== 'PAID') return;
  inv.paidAt = at;
  inv.paidAmount = inv.amount;
  inv.feesPaidAmount = ctx.fee(inv.amount, inv.currency);
  inv.feeTax = ctx.feeTax(inv.feesPaidAmount, inv.currency);
  inv.paymentMethod = opts.paymentMethod ?? 'BANK_TRANSFER';
  inv.paymentChannel = opts.paymentChannel ?? 'BCA';
}

// Invoices past their expiry date expire when next looked at, with their callback sent in the background.
function expireIfDue(ctx: Ctx, inv: SimXenditInvoice): void {
  if (inv.status !== 'PENDING' || ctx.now().getTime() < inv.expiryDate.getTime()) return;
  apply(ctx, inv, 'EXPIRED', {});
  void sendCallback(ctx, inv).catch((err) => ctx.log?.warn({ err }, 'xendit sim: callback failed'));
}

async function sendCallback(ctx: Ctx, inv: SimXenditInvoice, override?: string): Promise<SimCallback | undefined> {
  const account = accountOf(ctx, inv);
  const url = inv.status === 'EXPIRED' && account.expiredCallbacks === false ? override : (override ?? account.callbackUrl);
  if (!url) {
    ctx.log?.debug({ invoiceId: inv.id }, 'xendit sim: no callback URL, callback skipped');
    return undefined;
  }
  const record: SimCallback = { invoiceId: inv.id, status: inv.status, url, token: account.callbackToken, body: callbackJson(inv, account), at: ctx.now() };
  ctx.state.callbacks.push(record);
  try {
    const answer = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-callback-token': account.callbackToken },
      body: JSON.stringify(record.body),
      signal: AbortSignal.timeout(ctx.callbackTimeoutMs),
    });
    record.responseStatus = answer.status;
    record.responseBody = (await answer.text()).slice(0, 2000);
  } catch (err) {
    record.error = err instanceof Error ? err.message : String(err);
  }
  ctx.log?.debug({ invoiceId: inv.id, status: inv.status, responseStatus: record.responseStatus, error: record.error }, 'xendit sim: callback sent');
  return record;
}

// ---------- JSON shapes ----------

function wire(minor: number, currency: Currency): number {
  return Number(toDecimal(minor, currency));
}

function invoiceJson(ctx: Ctx, inv: SimXenditInvoice): XenditInvoiceJson {
  const account = accountOf(ctx, inv);
  const paid = paidFields(inv, account);
  return {
    id: inv.id,
    external_id: inv.externalId,
    user_id: inv.userId,
    status: inv.status,
    merchant_name: account.businessName,
    merchant_profile_picture_url: 'https://du8nwjtfkinx.cloudfront.net/xendit.png',
    amount: wire(inv.amount, inv.currency),
    ...(inv.payerEmail ? { payer_email: inv.payerEmail } : {}),
    ...(inv.description ? { description: inv.description } : {}),
    ...(inv.customer ? { customer: { given_names: inv.customer.givenNames, email: inv.customer.email } } : {}),
    expiry_date: inv.expiryDate.toISOString(),
    invoice_url: ctx.faults.invoiceUrlOverride ?? `${ctx.checkoutBaseUrl}/checkout/${inv.id}`,
    available_banks: [],
    available_retail_outlets: [],
    available_ewallets: [],
    available_qr_codes: [],
    available_direct_debits: [],
    available_paylaters: [],
    should_exclude_credit_card: false,
    should_send_email: false,
    created: inv.created.toISOString(),
    updated: inv.updated.toISOString(),
    currency: inv.currency,
    items: inv.items.map((i) => ({ name: i.name, quantity: i.quantity, price: wire(i.price, inv.currency) })),
    ...(inv.successRedirectUrl ? { success_redirect_url: inv.successRedirectUrl } : {}),
    ...(inv.failureRedirectUrl ? { failure_redirect_url: inv.failureRedirectUrl } : {}),
    ...paid,
  };
}

function callbackJson(inv: SimXenditInvoice, account: XenditSimAccount): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: inv.id,
    external_id: inv.externalId,
    user_id: inv.userId,
    is_high: false,
    status: inv.status,
    merchant_name: account.businessName,
    amount: wire(inv.amount, inv.currency),
    payer_email: inv.payerEmail,
    description: inv.description,
    created: inv.created.toISOString(),
    updated: inv.updated.toISOString(),
    currency: inv.currency,
  };
  if (!inv.paidAt) return base;
  return { ...base, ...paidFields(inv, account), payment_destination: '8808999912345678' };
}

/** What Xendit adds to an invoice, in the API and in callbacks, once it is paid. */
function paidFields(inv: SimXenditInvoice, account: XenditSimAccount): Record<string, unknown> {
  if (!inv.paidAt) return {};
  const feesOnInvoice = account.callbackFees ?? 'amount';
  return {
    paid_amount: wire(inv.paidAmount!, inv.currency),
    ...(feesOnInvoice === 'absent' ? {} : { fees_paid_amount: feesOnInvoice === 'zero' ? 0 : (inv.feesPaidWire ?? wire(inv.feesPaidAmount!, inv.currency)) }),
    adjusted_received_amount: wire(inv.paidAmount! - inv.feesPaidAmount! - (inv.feeTax ?? 0), inv.currency),
    paid_at: inv.paidAt.toISOString(),
    payment_method: inv.paymentMethod,
    payment_channel: inv.paymentChannel,
    bank_code: inv.paymentMethod === 'BANK_TRANSFER' ? inv.paymentChannel : undefined,
  };
}

// ---------- hosted checkout ----------

function showCheckout(ctx: Ctx, req: Request, res: Response): void {
  const inv = ctx.state.invoices.get(String(req.params.id));
  const css = `${req.baseUrl}/checkout.css`;
  if (!inv) return sendPage(res, 404, messagePage(css, 'Invoice not found', 'This payment link is not valid.'));
  expireIfDue(ctx, inv);
  sendPage(res, 200, checkoutPage(ctx, inv, req.baseUrl));
}

async function checkoutAction(ctx: Ctx, req: Request, res: Response, to: 'PAID' | 'EXPIRED'): Promise<void> {
  const inv = ctx.state.invoices.get(String(req.params.id));
  const css = `${req.baseUrl}/checkout.css`;
  if (!inv) return sendPage(res, 404, messagePage(css, 'Invoice not found', 'This payment link is not valid.'));
  expireIfDue(ctx, inv);
  if (inv.status !== 'PENDING') {
    const why = inv.status === 'EXPIRED' ? 'This invoice has expired and can no longer be paid.' : 'This invoice has already been paid.';
    return sendPage(res, 409, messagePage(css, 'Nothing to do', why));
  }
  await transition(ctx, inv, to);
  const target = to === 'PAID' ? inv.successRedirectUrl : inv.failureRedirectUrl;
  // Whoever holds a demo key chooses these URLs: the simulator is no open redirect to other hosts.
  if (target && !onThisHost(target, req)) {
    return sendPage(
      res,
      200,
      messagePage(
        css,
        to === 'PAID' ? 'Paid (simulated)' : 'Expired (simulated)',
        'The simulator only sends you back to this host; the redirect URL of this invoice points elsewhere.',
      ),
    );
  }
  res.redirect(303, target ?? `${req.baseUrl}/checkout/${encodeURIComponent(inv.id)}`);
}

function checkoutPage(ctx: Ctx, inv: SimXenditInvoice, base: string): string {
  const account = accountOf(ctx, inv);
  const action = (what: string) => `${base}/checkout/${encodeURIComponent(inv.id)}/${what}`;
  const buttons =
    inv.status === 'PENDING'
      ? `<form method="post" action="${escapeHtml(action('pay'))}"><button type="submit">Pay</button></form>
<form method="post" action="${escapeHtml(action('expire'))}"><button type="submit" class="secondary">Let it expire</button></form>`
      : '';
  return renderPage(
    `Pay ${account.businessName}`,
    `${base}/checkout.css`,
    `<main class="checkout">
<section class="card">
<p class="banner">Simulated Xendit checkout. No money moves.</p>
<p class="muted">Pay to</p>
<h1>${escapeHtml(account.businessName)}</h1>
${inv.description ? `<p>${escapeHtml(inv.description)}</p>` : ''}
<p class="amount">${escapeHtml(inv.currency)} ${escapeHtml(toDecimal(inv.amount, inv.currency))}</p>
<p><span class="status status-${escapeHtml(inv.status)}">${escapeHtml(inv.status)}</span></p>
<p class="muted">Reference ${escapeHtml(inv.externalId)} · expires ${escapeHtml(inv.expiryDate.toISOString())}</p>
${buttons}
</section>
</main>`,
  );
}

function messagePage(css: string, title: string, text: string): string {
  return renderPage(title, css, `<main class="checkout"><section class="card"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></section></main>`);
}
