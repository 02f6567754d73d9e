/**
 * A Xendit simulator: the v2 invoice endpoints exactly as xendit-node calls them, in the full
 * shape the SDK's InvoiceFromJSON expects, plus a hosted checkout page that pays or expires an
 * invoice and sends the invoice callback to the merchant's callback URL.
 *
 * Amounts are integer minor units internally (app/money.ts) and JSON numbers on the wire.
 *
 * By resource: state.ts (the data), simulator.ts (the simulator's and the test API's interfaces),
 * accounts.ts (keys and permissions), limits.ts (rate limits), invoices.ts, transactions.ts (balance and transactions),
 * callbacks.ts (state changes and callbacks sent), json.ts, checkout.ts, dashboard.ts; test-api.ts
 * is what tests may look at and change.
 */
import { randomUUID } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Currency } from '../../money.js';
import { SIM_CSS } from '../html.js';
import { dashboardRoutes } from './dashboard.js';
import { accountOf, authenticate, registerAccount } from './accounts.js';
import { settle, settleDue, transition } from './callbacks.js';
import { dueAt, redeliverDue, redeliveriesOf } from './deliveries.js';
import { billedMonths, billingReportCsv } from './billing.js';
import { checkoutAction, showCheckout } from './checkout.js';
import { XenditFaults, invoiceNotFound, isApi, xenditErrorBody } from './errors.js';
import { createInvoiceRoute, createOutsideInvoice, expireRoute, listInvoicesRoute, ownInvoice, requireInvoice } from './invoices.js';
import { callbackJson, invoiceJson } from './json.js';
import type { XenditSimulator, XenditSimulatorOptions } from './simulator.js';
import type { Ctx } from './state.js';
import { DEFAULT_LIMITS, forcedLimitHeaders, rateLimited } from './limits.js';
import type { XenditSimAccount } from './state.js';
import { getTransactionRoute, listTransactionsRoute } from './transactions.js';
import { xenditTestApi } from './test-api.js';
import { disputeReportCsv, disputeState, getDisputeRoute, raiseDispute, resolveDispute } from './disputes.js';
import { balanceOf, balanceRoute, pendingSettlementOf, refundFunds, reverseWithdrawal, withdraw, withdrawalsOf } from './withdrawals.js';
import {
  completeApiRefunds,
  completeRefund,
  createRefund,
  createRefundRoute,
  getRefundRoute,
  giveFeeBackLater,
  listRefundsRoute,
  refundState,
} from './refunds.js';

export type { OutsideInvoice, PayOptions, XenditSimulator, XenditSimulatorOptions } from './simulator.js';
export type { SimCallback, SimXenditInvoice, SimXenditStatus, XenditInvoiceJson, XenditSimAccount, XenditSimLimits, XenditSimState } from './state.js';
export { paymentProductId } from './transactions.js';

const MAX_LOG = 1000;

export function createXenditSimulator(options: XenditSimulatorOptions): XenditSimulator {
  const own = options.now ?? (() => new Date());
  const ctx: Ctx = {
    now: own,
    fetch: options.fetch ?? globalThis.fetch,
    log: options.logger,
    fee: options.fee ?? defaultFee,
    feeTax: options.feeTax ?? (() => 0),
    // No answer within 30 s is a Timeout to Xendit (help.xendit.co "How Do I Reconcile My Webhook through Webhook Tab").
    callbackTimeoutMs: options.callbackTimeoutMs ?? 30_000,
    ...(options.settleAfterMs !== undefined ? { settleAfterMs: options.settleAfterMs } : {}),
    ...(options.redeliverWhenLookedAt ? { redeliverWhenLookedAt: true } : {}),
    checkoutBaseUrl: options.checkoutBaseUrl.replace(/\/+$/, ''),
    state: { accounts: new Map(), invoices: new Map(), callbacks: [], requests: [], notifications: [] },
    faults: new XenditFaults({ isApi, errorBody: xenditErrorBody, rateLimitHeaders: (req, seconds) => forcedLimitHeaders(ctx, req, seconds) }),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    windows: new Map(),
  };
  const sim: XenditSimulator = {
    router: express.Router(),
    state: ctx.state,
    faults: ctx.faults,
    limits: ctx.limits,
    test: xenditTestApi(ctx.state, {
      callbackBody: (invoiceId) => {
        const inv = ctx.state.invoices.get(invoiceId);
        return inv && callbackJson(inv, accountOf(ctx, inv));
      },
      useClock: (now) => {
        ctx.now = now ?? own;
        ctx.windows.clear(); // calls timed on another clock say nothing on this one
      },
      withdraw: (secretKey, currency, amount, opts) => {
        const account = ctx.state.accounts.get(secretKey);
        if (!account) throw new Error(`no Xendit account ${secretKey}`);
        const made = withdraw(ctx, account, currency, amount, opts);
        if ('error' in made) throw new Error(made.error);
        return { id: made.id, amount: made.amount };
      },
      reverseWithdrawal: (secretKey, id, at, opts) => {
        const account = ctx.state.accounts.get(secretKey);
        if (!account) throw new Error(`no Xendit account ${secretKey}`);
        const made = reverseWithdrawal(ctx, account.userId, id, at, opts?.fee === 'COMPLETED');
        if ('error' in made) throw new Error(made.error);
      },
      giveWithdrawalFeeBack: (secretKey, id, at) => {
        const account = ctx.state.accounts.get(secretKey);
        const w = withdrawalsOf(ctx).find((x) => x.id === id && x.userId === account?.userId);
        if (!w?.reversedAt || !w.feeKept) throw new Error(`withdrawal ${id} has no fee kept by Xendit`);
        delete w.feeKept;
        w.feeBackAt = at ?? ctx.now();
      },
      completeWithdrawal: (secretKey, id) => {
        const account = ctx.state.accounts.get(secretKey);
        const w = withdrawalsOf(ctx).find((x) => x.id === id && x.userId === account?.userId);
        if (!w) throw new Error(`no withdrawal ${id}`);
        delete w.pending;
        if (w.fee) delete w.fee.pending;
      },
      balance: (secretKey, currency) => {
        const account = ctx.state.accounts.get(secretKey);
        if (!account) throw new Error(`no Xendit account ${secretKey}`);
        return balanceOf(ctx, account.userId, currency);
      },
      movement: (secretKey, m) => {
        const account = ctx.state.accounts.get(secretKey);
        if (!account) throw new Error(`no Xendit account ${secretKey}`);
        const id = `txn_${randomUUID()}`;
        const { fee, ...rest } = m;
        // Fees billed monthly are on the month's bill, never taken from the balance (billing.ts), as a withdrawal's.
        const billed = account.feeBilling === 'invoiced';
        const charged = fee ? { fee: { ...fee, ...(billed ? { inAmount: false, billed } : {}) } } : {};
        (ctx.state.otherMovements ??= []).push({ id, userId: account.userId, ...rest, ...charged, created: ctx.now() });
        return { id };
      },
      completeMovementFee: (secretKey, id, opts) => {
        const account = ctx.state.accounts.get(secretKey);
        const m = (ctx.state.otherMovements ?? []).find((x) => x.id === id && x.userId === account?.userId);
        if (!m?.fee) throw new Error(`no movement ${id} with a fee`);
        delete m.fee.pending;
        if (opts?.updated !== false) m.feeCompletedAt = ctx.now();
      },
      reverseMovement: (secretKey, id, at, opts) => {
        const account = ctx.state.accounts.get(secretKey);
        const m = (ctx.state.otherMovements ?? []).find((x) => x.id === id && x.userId === account?.userId);
        if (!m) throw new Error(`no movement ${id}`);
        if (m.reversedAt) return;
        m.reversedAt = at ?? ctx.now();
        // Kept by Xendit; a fee still PENDING then lists PENDING until completeMovementFee, then COMPLETED (xendit-node FeeResponse.status allows each).
        if (opts?.fee === 'COMPLETED' && m.fee) m.feeKept = true;
      },
      // Undocumented: nothing says a kept (COMPLETED) fee turns REVERSED later; xendit-node's
      // FeeResponse.status allows it, so the gateway is tested against the harsher case.
      giveMovementFeeBack: (secretKey, id, at) => {
        const account = ctx.state.accounts.get(secretKey);
        const m = (ctx.state.otherMovements ?? []).find((x) => x.id === id && x.userId === account?.userId);
        if (!m?.reversedAt || !m.feeKept) throw new Error(`movement ${id} has no fee kept by Xendit`);
        delete m.feeKept;
        m.feeBackAt = at ?? ctx.now();
      },
      giveFeeBackLater: (invoiceId) => {
        const made = giveFeeBackLater(ctx, requireInvoice(ctx, invoiceId));
        if (made) throw new Error(made.error);
      },
      transactionFee: (invoiceId, change) => {
        const inv = requireInvoice(ctx, invoiceId);
        const was = inv.withholdingTax ?? { xendit: 0, thirdParty: 0 };
        const xendit = change.xenditWithholding ?? was.xendit;
        const thirdParty = change.thirdPartyWithholding ?? was.thirdParty;
        inv.withholdingTax = xendit || thirdParty ? { xendit, thirdParty } : undefined;
        if (change.pending !== undefined) inv.feePending = change.pending;
        if (change.withholdingShown !== undefined) inv.withholdingHidden = !change.withholdingShown;
      },
      chargebackFee: (disputeId, fee) => {
        const d = disputeState(ctx).disputes.find((x) => x.id === disputeId);
        if (!d) throw new Error(`no dispute ${disputeId}`);
        d.fee = { ...fee };
      },
      redeliverDue: () => redeliverDue(ctx),
      redeliveries: () => redeliveriesOf(ctx).map((d) => ({ kind: d.kind, subject: d.subject, retries: d.retries, dueAt: new Date(dueAt(d)) })),
      pendingSettlement: (secretKey, currency) => {
        const account = ctx.state.accounts.get(secretKey);
        if (!account) throw new Error(`no Xendit account ${secretKey}`);
        return pendingSettlementOf(ctx, account.userId, currency);
      },
    }),
    registerAccount: (a) => registerAccount(ctx.state, a),
    getInvoice: (id) => ctx.state.invoices.get(id),
    listInvoices: () => [...ctx.state.invoices.values()].sort((a, b) => a.created.getTime() - b.created.getTime()).map((i) => invoiceJson(ctx, i)),
    pay: (id, opts) => transition(ctx, requireInvoice(ctx, id), 'PAID', opts),
    expire: (id, opts) => transition(ctx, requireInvoice(ctx, id), 'EXPIRED', opts),
    settle: (id, opts) => settle(ctx, requireInvoice(ctx, id), opts),
    billingReport: (userId, month) => billingReportCsv(ctx, userId, month),
    billedMonths: (userId) => billedMonths(ctx, userId),
    disputeReport: (userId) => disputeReportCsv(ctx, userId),
    createInvoice: (input) => createOutsideInvoice(ctx, input),
    refund: async (invoiceId, r = {}) => {
      const inv = requireInvoice(ctx, invoiceId);
      const made = await createRefund(ctx, inv, { ...r, ...(r.checkBalance ? { funds: refundFunds(ctx, inv) } : {}) });
      if ('error' in made) throw new Error(made.code ? `${made.code}: ${made.error}` : made.error);
      return { id: made.id };
    },
    completeRefund: (refundId, status, opts) => completeRefund(ctx, refundId, status, opts),
    dispute: async (invoiceId, r) => ({ id: (await raiseDispute(ctx, requireInvoice(ctx, invoiceId), r)).id }),
    resolveDispute: (disputeId, status, opts) => resolveDispute(ctx, disputeId, status, opts),
    withdraw: (userId, currency, amount) => {
      const account = [...ctx.state.accounts.values()].find((a) => a.userId === userId);
      if (!account) return { error: 'choose an account' };
      const made = withdraw(ctx, account, currency, amount);
      return 'error' in made ? made : { id: made.id };
    },
    reset: () => {
      ctx.state.accounts.clear();
      ctx.state.invoices.clear();
      ctx.state.callbacks.length = 0;
      ctx.state.requests.length = 0;
      ctx.state.notifications.length = 0;
      refundState(ctx).refunds.length = 0;
      refundState(ctx).webhooks.length = 0;
      disputeState(ctx).disputes.length = 0;
      disputeState(ctx).webhooks.length = 0;
      withdrawalsOf(ctx).length = 0;
      redeliveriesOf(ctx).length = 0;
      ctx.faults.reset();
      ctx.windows.clear();
      Object.assign(ctx.limits, DEFAULT_LIMITS, options.limits);
      ctx.now = own;
    },
  };
  // Settlement, the end of refunds answered PENDING (and, when told, redeliveries due) happen when next looked at, on every page and API call alike.
  sim.router.use((_req, _res, next) => {
    settleDue(ctx);
    if (ctx.redeliverWhenLookedAt) void redeliverDue(ctx).catch((err) => ctx.log?.warn({ err }, 'xendit sim: redelivery failed'));
    completeApiRefunds(ctx).then(() => next(), next);
  });
  dashboardRoutes(sim.router, sim);
  buildRoutes(sim.router, ctx);
  return sim;
}

function defaultFee(amountMinor: number, _currency: Currency): number {
  return Number((BigInt(amountMinor) * 29n + 500n) / 1000n);
}

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
  router.post('/checkout/:id/pay', express.urlencoded({ extended: false, limit: '4kb' }), (req, res) => checkoutAction(ctx, req, res, 'PAID'));
  router.post('/checkout/:id/expire', (req, res) => checkoutAction(ctx, req, res, 'EXPIRED'));

  router.use(express.json({ limit: '1mb' }));
  router.use((req, res, next) => {
    if (!isApi(req)) return next();
    authenticate(ctx, req, res, () => void (rateLimited(ctx, req, res, res.locals.account as XenditSimAccount) || next()));
  });
  router.post('/v2/invoices', (req, res) => createInvoiceRoute(ctx, req, res));
  router.get('/v2/invoices', (req, res) => listInvoicesRoute(ctx, req, res));
  router.get('/transactions', (req, res) => listTransactionsRoute(ctx, req, res));
  router.get('/transactions/:id', (req, res) => getTransactionRoute(ctx, req, res));
  router.get('/balance', (req, res) => balanceRoute(ctx, req, res));
  router.post('/refunds', (req, res) => createRefundRoute(ctx, req, res, (inv) => refundFunds(ctx, inv)));
  router.get('/refunds', (req, res) => listRefundsRoute(ctx, req, res));
  router.get('/refunds/:id', (req, res) => getRefundRoute(ctx, req, res));
  router.get('/v1/disputes/:id', (req, res) => getDisputeRoute(ctx, req, res));
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
