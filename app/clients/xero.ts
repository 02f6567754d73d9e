/**
 * XeroGateway over the official xero-node SDK, for Custom Connections (client_credentials).
 * The same code talks to real Xero, app/simulators/xero.ts or anyone's fake: only the URLs differ.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import {
  XeroClient,
  type AccountingApi,
  type Account,
  type BankTransaction,
  type Contact,
  type Invoice,
  type LineItem,
  type ManualJournal,
  type Payment,
  type TaxRate,
} from 'xero-node';
import { numberToDecimal } from '../money.js';
import { encodeMessage, message } from '../i18n/index.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import {
  UpstreamError,
  type NewXeroBankTransaction,
  type NewXeroInvoice,
  type NewXeroManualJournal,
  type NewXeroPayment,
  type XeroAccount,
  type XeroManualJournal,
  type XeroContact,
  type XeroBankTransaction,
  type XeroBankAccount,
  type XeroBudget,
  type XeroBudgetScope,
  type XeroBudgetTicket,
  type XeroCallOutcome,
  type XeroCallPurpose,
  type XeroCredentials,
  type XeroGateway,
  type XeroInvoice,
  type XeroInvoiceStatus,
  type XeroLineItem,
  type XeroOrganisation,
  type XeroAccountPayment,
  type XeroPayment,
  type XeroTaxRate,
  type XeroTokenSet,
  type XeroTokenStore,
  XeroDisconnected,
  type CallObserver,
} from './types.js';

export interface XeroClientOptions {
  /** e.g. https://api.xero.com (no /api.xro/2.0) */
  apiUrl: string;
  /** e.g. https://identity.xero.com */
  identityUrl: string;
  timeoutMs?: number;
  now?: () => Date;
  logger?: Logger;
  scopes?: string[];
  /** Xero's rate limits, shared by every process (app/store/xero-budget.ts); unlimitedXeroBudget in tests that do not care. */
  budget: XeroBudget;
  /** How long a call may wait for one of the organisation's in-flight slots before giving up (rate_limited). */
  slotWaitMs?: number;
  /** The gateway's Xero app, for merchants connected with OAuth 2.0 (their credentials carry `oauth`). */
  oauth?: { clientId: string; clientSecret: string; tokens: XeroTokenStore };
  /** Latency and errors of each API call (not token fetches, not calls the budget held back), for /metrics. */
  observer?: CallObserver;
}

export const DEFAULT_XERO_SCOPES = ['accounting.invoices', 'accounting.payments', 'accounting.banktransactions', 'accounting.settings', 'accounting.contacts'];

const XERO_IDENTITY_ORIGIN = 'https://identity.xero.com';
const XERO_API_ORIGIN = 'https://api.xero.com';
const REFRESH_EARLY_MS = 60_000;
const DEFAULT_TOKEN_SECONDS = 1800;
const CONNECTION_RESET = /ECONNRESET|socket hang up/i;
const SLOT_POLL_MS = 25;
const BUDGET_REASON = {
  blocked: 'Xero asked us to wait (429)',
  day: 'daily call budget is used up',
  reserve: 'daily call budget is down to the share kept for payment writes',
  minute: 'budget of calls for this minute is used up',
  app_minute: "app's budget of calls for this minute is used up",
  in_flight: 'calls in flight are at the limit',
} as const;

// ---------- routing xero-node's requests ----------

interface Route {
  apiUrl: string;
  identityUrl: string;
  timeoutMs: number;
}

interface AxiosLikeConfig {
  url?: string;
  timeout?: number;
}

interface AxiosLike {
  interceptors: { request: { use(onFulfilled: (config: AxiosLikeConfig) => AxiosLikeConfig): number } };
}

// xero-node hard-codes https://identity.xero.com and https://api.xero.com/connections and sends
// every request through the CommonJS axios instance it require()s (an ESM `import axios` would be
// a different instance it never uses). We install ONE request interceptor on that instance, once
// per process. Rather than a process-wide URL mapping, each client runs its SDK calls inside
// `routes.run(route, …)`, so the interceptor sends every request to the URLs (and timeout) of the
// client that made it: several clients, pointing at real Xero or at simulators, can share a
// process. Requests made outside our clients are left untouched.
const routes = new AsyncLocalStorage<Route>();
let interceptorInstalled = false;

function installInterceptor(): void {
  if (interceptorInstalled) return;
  const fromXeroNode = createRequire(createRequire(import.meta.url).resolve('xero-node'));
  const sdkAxios = fromXeroNode('axios') as AxiosLike;
  sdkAxios.interceptors.request.use((config) => {
    const route = routes.getStore();
    if (!route) return config;
    if (config.url) config.url = rewriteOrigin(config.url, route);
    // Fail closed: a call xero-node makes to a host we did not map (a new SDK version's new
    // endpoint) must not leave for the real Xero while the gateway is pointed at a simulator,
    // nor anywhere else.
    if (!config.url || !isRouted(config.url, route)) throw new Error(`refused: xero-node called ${config.url ?? '(no url)'}, outside the configured Xero URLs`);
    config.timeout = route.timeoutMs;
    return config;
  });
  interceptorInstalled = true;
}

/** Runs xero-node calls made by fn against these URLs (for clients/xero-oauth.ts). */
export function routedTo<T>(urls: { apiUrl: string; identityUrl: string; timeoutMs?: number }, fn: () => Promise<T>): Promise<T> {
  installInterceptor();
  return routes.run({ apiUrl: trimSlash(urls.apiUrl), identityUrl: trimSlash(urls.identityUrl), timeoutMs: urls.timeoutMs ?? 10_000 }, fn);
}

function isRouted(url: string, route: Route): boolean {
  return [route.apiUrl, route.identityUrl].some((base) => url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`));
}

/** xero-node's own axios instance, for the test that proves no call leaves for another host. */
export function xeroSdkAxiosForTests(): { get(url: string): Promise<unknown> } {
  installInterceptor();
  return createRequire(createRequire(import.meta.url).resolve('xero-node'))('axios') as { get(url: string): Promise<unknown> };
}

function rewriteOrigin(url: string, route: Route): string {
  const pairs: [string, string][] = [
    [XERO_IDENTITY_ORIGIN, route.identityUrl],
    [XERO_API_ORIGIN, route.apiUrl],
  ];
  for (const [from, to] of pairs) {
    if (url === from || url.startsWith(`${from}/`) || url.startsWith(`${from}?`)) return to + url.slice(from.length);
  }
  return url;
}

// ---------- the client ----------

interface Session {
  sdk: XeroClient;
  clientSecret: string;
  refreshAt?: number; // epoch ms (injected clock) when the cached token must be replaced
  pending?: Promise<void>;
  /** OAuth sessions: the access token in use, so a 401 for it can ask for a refresh. */
  accessToken?: string;
}

export function createXeroClient(opts: XeroClientOptions): XeroGateway {
  installInterceptor();
  const route: Route = { apiUrl: trimSlash(opts.apiUrl), identityUrl: trimSlash(opts.identityUrl), timeoutMs: opts.timeoutMs ?? 10_000 };
  const now = opts.now ?? (() => new Date());
  const scopes = opts.scopes ?? DEFAULT_XERO_SCOPES;
  const log = opts.logger;
  const slotWaitMs = opts.slotWaitMs ?? 3000;
  const sessions = new Map<string, Session>();

  function sessionFor(creds: XeroCredentials): Session {
    if (creds.oauth) return oauthSession(creds.oauth.merchantId);
    const existing = sessions.get(creds.clientId);
    if (existing && existing.clientSecret === creds.clientSecret) return existing;
    const sdk = new XeroClient({ clientId: creds.clientId, clientSecret: creds.clientSecret, grantType: 'client_credentials', scopes });
    sdk.accountingApi.basePath = `${route.apiUrl}/api.xro/2.0`;
    const session: Session = { sdk, clientSecret: creds.clientSecret };
    sessions.set(creds.clientId, session);
    return session;
  }

  async function fetchToken(session: Session, clientId: string): Promise<void> {
    session.refreshAt = undefined;
    try {
      const tokenSet = await session.sdk.getClientCredentialsToken();
      const seconds = typeof tokenSet.expires_in === 'number' ? tokenSet.expires_in : DEFAULT_TOKEN_SECONDS;
      session.refreshAt = now().getTime() + seconds * 1000 - REFRESH_EARLY_MS;
      log?.debug({ clientId, expiresIn: seconds }, 'xero: new access token');
    } catch (err) {
      throw toUpstreamError(err, 'token', now) ?? unexpected(`token response: ${errorText(err)}`);
    }
  }

  /** true when this call had to obtain a new token (so a 401 is not a stale-token problem). */
  async function ensureToken(session: Session, creds: XeroCredentials, rejected?: string): Promise<boolean> {
    if (session.refreshAt !== undefined && now().getTime() < session.refreshAt) return false;
    // One token fetch per organisation at a time in this process; the others wait for it.
    session.pending ??= (creds.oauth ? loadOAuthToken(session, creds.oauth.merchantId, rejected) : fetchToken(session, creds.clientId)).finally(() => {
      session.pending = undefined;
    });
    await session.pending;
    return true;
  }

  // ---------- OAuth 2.0 merchants ----------

  function oauthApp() {
    if (!opts.oauth)
      throw new UpstreamError('xero', 'unauthorized', 'this merchant is connected with OAuth, but the gateway has no Xero app configured (XERO_CLIENT_ID)');
    return opts.oauth;
  }

  function oauthSession(merchantId: string): Session {
    const key = `oauth:${merchantId}`;
    const existing = sessions.get(key);
    if (existing) return existing;
    const app = oauthApp();
    const sdk = new XeroClient({ clientId: app.clientId, clientSecret: app.clientSecret, grantType: 'authorization_code', scopes });
    sdk.accountingApi.basePath = `${route.apiUrl}/api.xro/2.0`;
    const session: Session = { sdk, clientSecret: app.clientSecret };
    sessions.set(key, session);
    return session;
  }

  /**
   * The stored token set, refreshed when it is (about to be) expired or was just refused. The
   * refresh happens under the token row's lock (tokens.refreshLocked): a process that waited for
   * the lock finds the set another one stored and does not refresh again. The rotated refresh
   * token is committed before the new access token is used.
   */
  async function loadOAuthToken(session: Session, merchantId: string, rejected?: string): Promise<void> {
    const app = oauthApp();
    session.refreshAt = undefined;
    const usable = (t: XeroTokenSet) => t.expiresAt.getTime() - REFRESH_EARLY_MS > now().getTime() && t.accessToken !== rejected;
    let tokens = await app.tokens.current(merchantId);
    if (!tokens) throw new XeroDisconnected(merchantId, 'no token set stored');
    if (!usable(tokens)) {
      const outcome = await app.tokens.refreshLocked(merchantId, async (stored) => {
        if (usable(stored)) return { kind: 'fresh', tokens: stored };
        try {
          const set = await session.sdk.refreshWithRefreshToken(app.clientId, app.clientSecret, stored.refreshToken);
          log?.info({ merchantId }, 'xero: access token refreshed');
          return { kind: 'refreshed', tokens: tokenSetOf(set, now()) };
        } catch (err) {
          const f = readFailure(err);
          if (f && f.status === 400 && oauthError(f.body) === 'invalid_grant') {
            log?.warn({ merchantId }, 'xero: refresh token refused (invalid_grant); merchant disconnected');
            // A message key, not words: the admin shows it in its reader's language.
            return { kind: 'revoked', reason: encodeMessage(message('errors:xeroRefreshRefused', { code: 'invalid_grant' })), at: now() };
          }
          throw toUpstreamError(err, 'token', now) ?? unexpected(`refresh response: ${errorText(err)}`);
        }
      });
      if (!outcome) throw new XeroDisconnected(merchantId, 'no token set stored');
      if (outcome.kind === 'revoked') throw new XeroDisconnected(merchantId, outcome.reason);
      tokens = outcome.tokens;
    }
    session.sdk.setTokenSet({ access_token: tokens.accessToken, refresh_token: tokens.refreshToken, token_type: 'Bearer' });
    session.accessToken = tokens.accessToken;
    session.refreshAt = tokens.expiresAt.getTime() - REFRESH_EARLY_MS;
  }

  /**
   * Waits (briefly) for an in-flight slot; any other refusal is a rate_limited error, at once.
   * `prepaid` is the first answer when the caller already asked the budget (its refusal counts too).
   */
  async function acquire(scope: XeroBudgetScope, purpose: XeroCallPurpose, prepaid?: XeroBudgetTicket) {
    const started = Date.now();
    for (let first = prepaid; ; first = undefined) {
      const ticket = first ?? (await opts.budget.acquire(scope, purpose));
      if (ticket.ok) return ticket;
      if (ticket.reason === 'in_flight' && Date.now() - started < slotWaitMs) {
        await new Promise((resolve) => setTimeout(resolve, SLOT_POLL_MS));
        continue;
      }
      log?.info(
        { clientId: scope.clientId, reason: ticket.reason, purpose, retryAfterSeconds: ticket.retryAfterSeconds },
        'xero call held back by the rate budget',
      );
      throw new UpstreamError('xero', 'rate_limited', `not calling Xero: the ${BUDGET_REASON[ticket.reason]}`, undefined, ticket.retryAfterSeconds);
    }
  }

  async function budgeted<T>(creds: XeroCredentials, purpose: XeroCallPurpose, fn: () => Promise<T>, prepaid?: XeroBudgetTicket): Promise<T> {
    const ticket = await acquire({ clientId: creds.clientId, tenantId: creds.tenantId }, purpose, prepaid);
    const release = (outcome: XeroCallOutcome) =>
      ticket.release(outcome).catch((err: unknown) => log?.warn({ err: errorText(err) }, 'xero: could not release the rate-budget slot (its lease will)'));
    try {
      const result = await fn();
      const released = release(limitsOf(asRecord((result as { response?: { headers?: unknown } } | undefined)?.response?.headers), now));
      // A customer waits on a pay click: its slot is freed after the answer (a failed call still
      // waits, so a 429's block is stored before anyone else calls).
      if (purpose !== 'pay-click') await released;
      return result;
    } catch (err) {
      const f = readFailure(err);
      await release(f ? limitsOf(f.headers, now, f.status) : {});
      throw err;
    }
  }

  /** A prepaid call that will not be made gives its budget back (a slot held until its lease would slow every other call). */
  function refund(prepaid: XeroBudgetTicket | undefined): void {
    if (prepaid?.ok)
      prepaid.refund().catch((err: unknown) => log?.warn({ err: errorText(err) }, 'xero: could not give back an unused rate-budget slot (its lease will)'));
  }

  /** Times the HTTP call itself: waiting for the budget or a token is not Xero's latency. */
  async function observed<T>(op: string, call: () => Promise<T>): Promise<T> {
    if (!opts.observer) return call();
    const started = performance.now();
    try {
      const result = await call();
      opts.observer.observe(op, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      opts.observer.observe(op, (performance.now() - started) / 1000, toUpstreamError(err, 'api', now)?.kind ?? 'unexpected');
      throw err;
    }
  }

  function callAs<T>(
    creds: XeroCredentials,
    op: string,
    purpose: XeroCallPurpose,
    fn: (api: AccountingApi) => Promise<T>,
    how: { readOnly: boolean; prepaid?: XeroBudgetTicket },
  ): Promise<T> {
    let prepaid = how.prepaid;
    return routes.run(route, async () => {
      const session = sessionFor(creds);
      let rejected: string | undefined;
      for (let attempt = 1; ; attempt++) {
        let fresh: boolean;
        try {
          fresh = await ensureToken(session, creds, rejected);
        } catch (err) {
          refund(prepaid);
          throw err;
        }
        try {
          const ticket = prepaid;
          prepaid = undefined; // one call's worth: a retry asks the budget again
          return await budgeted(creds, purpose, () => observed(op, () => fn(session.sdk.accountingApi)), ticket);
        } catch (err) {
          const upstream = toUpstreamError(err, 'api', now);
          if (!upstream) throw err;
          // A cached token may have been revoked or expired early: get a new one and retry once.
          if (upstream.status === 401) {
            session.refreshAt = undefined;
            rejected = session.accessToken;
          }
          if (upstream.status === 401 && !fresh && attempt === 1) continue;
          // A pooled keep-alive socket the server just closed fails with a reset; a read is safe to
          // repeat once (a timeout is not repeated: the customer is waiting). Writes are never
          // repeated here: the worker looks the payment up by Reference before trying again.
          if (how.readOnly && attempt === 1 && upstream.status === undefined && CONNECTION_RESET.test(upstream.message)) continue;
          log?.warn({ op, kind: upstream.kind, status: upstream.status }, 'xero call failed');
          throw upstream;
        }
      }
    });
  }

  function gateway(purpose: XeroCallPurpose): XeroGateway {
    const call = <T>(creds: XeroCredentials, op: string, fn: (api: AccountingApi) => Promise<T>, readOnly = true, prepaid?: XeroBudgetTicket) =>
      callAs(creds, op, purpose, fn, { readOnly, prepaid });
    return {
      forPurpose: (p) => gateway(p),

      async getOrganisation(creds) {
        const res = await call(creds, 'getOrganisation', (api) => api.getOrganisations(creds.tenantId));
        return mapOrganisation(res.body.organisations?.[0]);
      },

      async findInvoiceByNumber(creds, invoiceNumber, prepaid) {
        const wanted = invoiceNumber.trim();
        if (!wanted) return (refund(prepaid), null);
        // InvoiceNumbers is a comma-separated list, so a number containing a comma needs `where`.
        // page=1: without paging Xero lists invoices without line items and with only a summary
        // contact (no e-mail), and the Xendit invoice needs both (developer.xero.com/documentation/
        // api/accounting/invoices "GET Invoices"; xero_accounting.yaml getInvoices `page`).
        const res = await call(
          creds,
          'findInvoiceByNumber',
          (api) =>
            wanted.includes(',')
              ? api.getInvoices(creds.tenantId, undefined, `InvoiceNumber=="${escapeWhere(wanted)}"`, undefined, undefined, undefined, undefined, undefined, 1)
              : api.getInvoices(creds.tenantId, undefined, undefined, undefined, undefined, [wanted], undefined, undefined, 1),
          true,
          prepaid,
        );
        // Xero matches numbers case-insensitively; only an exact match is the invoice we were asked for.
        const exact = (res.body.invoices ?? []).filter((i) => (i.invoiceNumber ?? '').trim() === wanted);
        const pick = exact.find((i) => String(i.type) === 'ACCREC') ?? exact[0];
        return pick ? mapInvoice(pick) : null;
      },

      async getInvoice(creds, invoiceId) {
        try {
          const res = await call(creds, 'getInvoice', (api) => api.getInvoice(creds.tenantId, invoiceId));
          const inv = res.body.invoices?.[0];
          return inv ? mapInvoice(inv) : null;
        } catch (err) {
          if (err instanceof UpstreamError && err.status === 404) return null;
          throw err;
        }
      },

      async findPaymentsByReference(creds, invoiceId, reference) {
        const res = await call(creds, 'findPaymentsByReference', (api) => api.getPayments(creds.tenantId, undefined, `Reference=="${escapeWhere(reference)}"`));
        return (res.body.payments ?? [])
          .filter((p) => p.invoice?.invoiceID === invoiceId && p.reference === reference && String(p.status) !== 'DELETED')
          .map((p) => mapPayment(p));
      },

      async createPayment(creds, payment, idempotencyKey) {
        const body = paymentBody(payment);
        const res = await callAs(
          creds,
          'createPayment',
          'payment-write',
          (api) => api.createPayment(creds.tenantId, body, idempotencyKeyFor(idempotencyKey, 'createPayment', body)),
          { readOnly: false },
        );
        const created = res.body.payments?.[0];
        if (!created) throw unexpected('createPayment answered without a payment');
        return mapPayment(created, payment.invoiceId);
      },

      async listBankAccounts(creds) {
        const res = await call(creds, 'listBankAccounts', (api) => api.getAccounts(creds.tenantId, undefined, 'Type=="BANK"'));
        return (res.body.accounts ?? []).filter((a) => String(a.type) === 'BANK' && String(a.status ?? 'ACTIVE') === 'ACTIVE').map(mapAccount);
      },

      async listAccountsOfClass(creds, accountClass) {
        const res = await call(creds, 'listAccountsOfClass', (api) => api.getAccounts(creds.tenantId, undefined, `Class=="${accountClass}"`));
        return (res.body.accounts ?? [])
          .filter((a) => String(a._class) === accountClass && String(a.status ?? 'ACTIVE') === 'ACTIVE' && a.code)
          .map((a) => ({ code: a.code!, name: a.name ?? '', type: String(a.type) }));
      },

      async createBankAccount(creds, account, idempotencyKey) {
        const body: Account = {
          name: account.name,
          // The SDK's enums are numeric in the typings but Xero's strings at runtime (see below).
          type: 'BANK' as unknown as Account['type'],
          bankAccountNumber: account.accountNumber,
          ...(account.currencyCode ? { currencyCode: account.currencyCode as unknown as Account['currencyCode'] } : {}),
        };
        const res = await call(
          creds,
          'createBankAccount',
          (api) => api.createAccount(creds.tenantId, body, idempotencyKeyFor(idempotencyKey, 'createBankAccount', body)),
          false,
        );
        const created = res.body.accounts?.[0];
        if (!created) throw unexpected('createAccount answered without an account');
        return mapAccount(created);
      },

      async listSalesTaxRates(creds) {
        // A handful of rates per organisation: filtered here rather than with Xero's `where`.
        const res = await call(creds, 'listSalesTaxRates', (api) => api.getTaxRates(creds.tenantId));
        return (res.body.taxRates ?? []).filter((r) => String(r.status) === 'ACTIVE' && r.canApplyToRevenue === true && r.taxType).map(mapTaxRate);
      },

      async findBankTransactionsByReference(creds, reference) {
        const res = await call(creds, 'findBankTransactionsByReference', (api) =>
          api.getBankTransactions(creds.tenantId, undefined, `Reference=="${escapeWhere(reference)}"`),
        );
        // Xero's `where` compares case-insensitively: keep exact matches only.
        return (res.body.bankTransactions ?? [])
          .filter((t) => t.reference === reference && !['DELETED', 'VOIDED'].includes(String(t.status)))
          .map(mapBankTransaction);
      },

      async findContacts(creds, by) {
        const [field, value] = 'email' in by ? ['EmailAddress', by.email.trim()] : ['Name', by.name.trim()];
        if (!value) return [];
        const res = await call(creds, 'findContacts', (api) => api.getContacts(creds.tenantId, undefined, `${field}=="${escapeWhere(value)}"`));
        const wanted = value.toLowerCase();
        return (res.body.contacts ?? [])
          .filter((c) => String(c.contactStatus ?? 'ACTIVE') === 'ACTIVE')
          .filter((c) => ('email' in by ? c.emailAddress : c.name)?.trim().toLowerCase() === wanted)
          .map(mapContact);
      },

      async createContact(creds, contact, idempotencyKey) {
        const body = { contacts: [{ name: contact.name, ...(contact.email ? { emailAddress: contact.email } : {}) }] };
        const res = await callAs(
          creds,
          'createContact',
          'payment-write',
          (api) => api.createContacts(creds.tenantId, body, undefined, idempotencyKeyFor(idempotencyKey, 'createContact', body)),
          { readOnly: false },
        );
        const created = res.body.contacts?.[0];
        if (!created) throw unexpected('createContacts answered without a contact');
        if (created.validationErrors?.length) throw new UpstreamError('xero', 'rejected', created.validationErrors.map((e) => e.message).join('; '), 400);
        return mapContact(created);
      },

      async findInvoicesByReference(creds, reference) {
        const res = await call(creds, 'findInvoicesByReference', (api) => api.getInvoices(creds.tenantId, undefined, `Reference=="${escapeWhere(reference)}"`));
        return (res.body.invoices ?? []).filter((i) => i.reference === reference && !['DELETED', 'VOIDED'].includes(String(i.status))).map(mapInvoice);
      },

      async createInvoice(creds, invoice, idempotencyKey) {
        const body = { invoices: [invoiceBody(invoice)] };
        const res = await callAs(
          creds,
          'createInvoice',
          'payment-write',
          (api) => api.createInvoices(creds.tenantId, body, undefined, 4, idempotencyKeyFor(idempotencyKey, 'createInvoice', body)),
          { readOnly: false },
        );
        const created = res.body.invoices?.[0];
        if (!created) throw unexpected('createInvoices answered without an invoice');
        if (created.validationErrors?.length) throw new UpstreamError('xero', 'rejected', created.validationErrors.map((e) => e.message).join('; '), 400);
        return mapInvoice(created);
      },

      async getAccount(creds, accountId) {
        try {
          const res = await call(creds, 'getAccount', (api) => api.getAccount(creds.tenantId, accountId));
          const a = res.body.accounts?.[0];
          return a ? mapAnyAccount(a) : null;
        } catch (err) {
          if (err instanceof UpstreamError && err.status === 404) return null;
          throw err;
        }
      },

      async findManualJournalsByNarration(creds, narration) {
        const res = await call(creds, 'findManualJournalsByNarration', (api) =>
          api.getManualJournals(creds.tenantId, undefined, `Narration=="${escapeWhere(narration)}"`),
        );
        // Xero's `where` compares case-insensitively: keep exact matches only.
        return (res.body.manualJournals ?? [])
          .filter((j) => j.narration === narration && !['DELETED', 'VOIDED'].includes(String(j.status)))
          .map(mapManualJournal);
      },

      async createManualJournal(creds, journal, idempotencyKey) {
        const body = { manualJournals: [manualJournalBody(journal)] };
        const res = await callAs(
          creds,
          'createManualJournal',
          'payment-write',
          (api) => api.createManualJournals(creds.tenantId, body, undefined, idempotencyKeyFor(idempotencyKey, 'createManualJournal', body)),
          { readOnly: false },
        );
        const created = res.body.manualJournals?.[0];
        if (!created) throw unexpected('createManualJournals answered without a manual journal');
        if (created.validationErrors?.length) throw new UpstreamError('xero', 'rejected', created.validationErrors.map((e) => e.message).join('; '), 400);
        return mapManualJournal(created);
      },

      async listManualJournals(creds) {
        const rows = await allPages((page) =>
          call(creds, 'listManualJournals', (api) => api.getManualJournals(creds.tenantId, undefined, 'Status=="POSTED"', undefined, page)).then(
            (r) => r.body.manualJournals ?? [],
          ),
        );
        return rows.filter((j) => String(j.status) === 'POSTED').map(mapManualJournal);
      },

      async listPaymentsToAccount(creds, accountId) {
        const where = `Account.AccountID==guid("${escapeWhere(accountId)}")`;
        const rows = await allPages((page) =>
          call(creds, 'listPaymentsToAccount', (api) => api.getPayments(creds.tenantId, undefined, where, undefined, page)).then((r) => r.body.payments ?? []),
        );
        return rows.filter((p) => p.account?.accountID === accountId && String(p.status) !== 'DELETED').map(mapAccountPayment);
      },

      async listBankTransactionsOfAccount(creds, accountId) {
        const where = `BankAccount.AccountID==guid("${escapeWhere(accountId)}")`;
        const rows = await allPages((page) =>
          call(creds, 'listBankTransactionsOfAccount', (api) => api.getBankTransactions(creds.tenantId, undefined, where, undefined, page)).then(
            (r) => r.body.bankTransactions ?? [],
          ),
        );
        return rows.filter((t) => t.bankAccount?.accountID === accountId && !['DELETED', 'VOIDED'].includes(String(t.status))).map(mapBankTransaction);
      },

      async createBankTransaction(creds, txn, idempotencyKey) {
        const body = { bankTransactions: [bankTransactionBody(txn)] };
        const res = await callAs(
          creds,
          'createBankTransaction',
          'payment-write',
          (api) => api.createBankTransactions(creds.tenantId, body, undefined, undefined, idempotencyKeyFor(idempotencyKey, 'createBankTransaction', body)),
          { readOnly: false },
        );
        const created = res.body.bankTransactions?.[0];
        if (!created) throw unexpected('createBankTransactions answered without a bank transaction');
        if (created.validationErrors?.length) {
          throw new UpstreamError('xero', 'rejected', created.validationErrors.map((e) => e.message).join('; '), 400);
        }
        return mapBankTransaction(created);
      },
    };
  }

  return gateway('read');
}

/** Xero pages lists by 100; a short page is the last. Bounded so a misbehaving server cannot loop us. */
const XERO_PAGE_SIZE = 100;
async function allPages<T>(fetchPage: (page: number) => Promise<T[]>, maxPages = 1000): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const rows = await fetchPage(page);
    all.push(...rows);
    if (rows.length < XERO_PAGE_SIZE) return all;
  }
  throw unexpected(`more than ${maxPages} pages`);
}

function dateOf(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString().slice(0, 10);
  if (typeof value === 'string') return /^\d{4}-\d{2}-\d{2}/.exec(value)?.[0];
  return undefined;
}

/** xero-node's TokenSet (openid-client) → ours; expires_in counts from `at`. */
export function tokenSetOf(
  set: { access_token?: string; refresh_token?: string; id_token?: string; scope?: string; expires_in?: number; expires_at?: number },
  at: Date,
): XeroTokenSet {
  if (!set.access_token || !set.refresh_token) throw unexpected('token set without access_token or refresh_token (is offline_access in the scopes?)');
  const seconds = typeof set.expires_in === 'number' && set.expires_in > 0 ? set.expires_in : DEFAULT_TOKEN_SECONDS;
  return {
    accessToken: set.access_token,
    refreshToken: set.refresh_token,
    expiresAt: new Date(at.getTime() + seconds * 1000),
    ...(set.id_token ? { idToken: set.id_token } : {}),
    ...(set.scope ? { scope: set.scope } : {}),
  };
}

/** The OAuth `error` code in a token endpoint's answer (invalid_grant, invalid_client…). */
export function oauthError(body: unknown): string {
  const b = typeof body === 'string' ? safeJson(body) : body;
  return b && typeof b === 'object' && typeof (b as { error?: unknown }).error === 'string' ? (b as { error: string }).error : '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/** Escapes a value for a double-quoted string in Xero's `where` syntax. */
function escapeWhere(value: string): string {
  return value.replace(/[\\"]/g, (c) => `\\${c}`);
}

// ---------- our types ⇄ SDK models ----------
// The SDK's typings declare numeric enums, but at runtime the models hold Xero's strings
// ('AUTHORISED', 'ACCREC', 'BANK'), hence String(...) on every enum-typed field.

const INVOICE_STATUSES: readonly XeroInvoiceStatus[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'PAID', 'VOIDED', 'DELETED'];

function mapInvoice(inv: Invoice): XeroInvoice {
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
    lineItems: (inv.lineItems ?? []).map(mapLineItem),
  };
}

function mapLineItem(li: LineItem): XeroLineItem {
  return {
    description: li.description ?? '',
    quantity: amount(li.quantity ?? 0, 'Quantity'),
    unitAmount: amount(li.unitAmount ?? 0, 'UnitAmount'),
    lineAmount: amount(li.lineAmount ?? 0, 'LineAmount'),
  };
}

function mapPayment(p: Payment, fallbackInvoiceId?: string): XeroPayment {
  const invoiceId = p.invoice?.invoiceID ?? fallbackInvoiceId;
  if (!p.paymentID || !invoiceId) throw unexpected('payment without PaymentID or Invoice');
  return {
    paymentId: p.paymentID,
    invoiceId,
    reference: p.reference ?? '',
    amount: amount(p.amount, 'Amount'),
    status: String(p.status ?? 'AUTHORISED'),
    ...optional('date', dateOf(p.date)),
    ...optional('accountId', p.account?.accountID),
  };
}

/** Any payment Xero allows on an account, with or without an invoice (refunds have none). */
function mapAccountPayment(p: Payment): XeroAccountPayment {
  if (!p.paymentID) throw unexpected('payment without PaymentID');
  return {
    paymentId: p.paymentID,
    ...optional('invoiceId', p.invoice?.invoiceID),
    paymentType: String(p.paymentType ?? ''),
    reference: p.reference ?? '',
    amount: amount(p.amount, 'Amount'),
    status: String(p.status ?? 'AUTHORISED'),
    ...optional('date', dateOf(p.date)),
    ...optional('accountId', p.account?.accountID),
  };
}

function mapBankTransaction(t: BankTransaction): XeroBankTransaction {
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
  };
}

function bankTransactionBody(t: NewXeroBankTransaction): BankTransaction {
  // The SDK's enums are numeric in the typings but Xero's strings at runtime (see above).
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
      unitAmount: sdkAmount(li.amount),
      ...(li.accountCode ? { accountCode: li.accountCode } : {}),
    })),
  };
}

function mapAnyAccount(a: Account): XeroAccount {
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

function mapManualJournal(j: ManualJournal): XeroManualJournal {
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

function manualJournalBody(j: NewXeroManualJournal): ManualJournal {
  // The SDK's enums are numeric in the typings but Xero's strings at runtime (see above).
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

function mapContact(c: Contact): XeroContact {
  if (!c.contactID) throw unexpected('contact without ContactID');
  const email = c.emailAddress?.trim();
  return { contactId: c.contactID, name: c.name ?? '', ...(email ? { email } : {}) };
}

function invoiceBody(i: NewXeroInvoice): Invoice {
  // The SDK's enums are numeric in the typings but Xero's strings at runtime (see above).
  return {
    type: 'ACCREC' as unknown as Invoice.TypeEnum,
    status: 'AUTHORISED' as unknown as Invoice.StatusEnum,
    contact: { contactID: i.contactId },
    date: i.date,
    dueDate: i.dueDate,
    reference: i.reference,
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

function mapTaxRate(r: TaxRate): XeroTaxRate {
  return { taxType: r.taxType!, name: r.name ?? r.taxType!, effectiveRate: amount(r.effectiveRate ?? 0, 'EffectiveRate') };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function mapAccount(a: Account): XeroBankAccount {
  if (!a.accountID) throw unexpected('account without AccountID');
  return {
    accountId: a.accountID,
    name: a.name ?? '',
    ...(a.code ? { code: a.code } : {}),
    ...(a.currencyCode !== undefined ? { currencyCode: String(a.currencyCode) } : {}),
  };
}

export function mapOrganisation(
  o: { organisationID?: string; name?: string; shortCode?: string; baseCurrency?: unknown; timezone?: unknown; isDemoCompany?: boolean } | undefined,
): XeroOrganisation {
  if (!o?.organisationID || !o.shortCode) throw unexpected('organisation without OrganisationID or ShortCode');
  const timezone = o.timezone === undefined || o.timezone === null ? '' : String(o.timezone);
  return {
    organisationId: o.organisationID,
    name: o.name ?? '',
    shortCode: o.shortCode,
    baseCurrency: String(o.baseCurrency ?? ''),
    ...(timezone ? { timezone } : {}),
    isDemoCompany: o.isDemoCompany === true,
  };
}

function amount(value: number | undefined, field: string): string {
  if (value === undefined || value === null) throw unexpected(`missing ${field}`);
  try {
    return numberToDecimal(value);
  } catch {
    throw unexpected(`${field} is not an amount`);
  }
}

function paymentBody(p: NewXeroPayment): Payment {
  return {
    invoice: { invoiceID: p.invoiceId },
    account: { accountID: p.accountId },
    date: p.date,
    amount: sdkAmount(p.amount),
    reference: p.reference,
  };
}

/** The SDK wants a number: only accept decimals that survive the trip unchanged. */
function sdkAmount(decimal: string): number {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(decimal.trim());
  if (!m) throw new RangeError(`not a positive decimal amount: ${JSON.stringify(decimal)}`);
  const canonical = `${BigInt(m[1])}${m[2] && /[1-9]/.test(m[2]) ? `.${m[2].replace(/0+$/, '')}` : ''}`;
  const n = Number(canonical);
  if (numberToDecimal(n) !== canonical) throw new RangeError(`amount ${decimal} cannot be sent exactly`);
  return n;
}

// ---------- errors ----------

interface Failure {
  status: number; // 0 when no HTTP answer (network error, timeout)
  body: unknown;
  headers: Record<string, unknown>;
  text: string; // network error message
}

/**
 * The one place that understands how xero-node fails: API calls reject with a JSON *string*
 * `{response:{statusCode, body, headers}}` (statusCode 0 and the axios message as body on network
 * errors), token requests with the (redacted) axios error. undefined: not an upstream failure.
 */
export function readFailure(err: unknown): Failure | undefined {
  if (typeof err === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(err);
    } catch {
      return undefined;
    }
    const r = (parsed as { response?: { statusCode?: unknown; body?: unknown; headers?: unknown } } | null)?.response;
    if (!r || typeof r.statusCode !== 'number') return undefined;
    return { status: r.statusCode, body: r.body, headers: asRecord(r.headers), text: typeof r.body === 'string' ? r.body : '' };
  }
  if (err && typeof err === 'object') {
    const e = err as { isAxiosError?: boolean; response?: { status?: number; data?: unknown; headers?: unknown }; message?: string; body?: unknown };
    if (e.isAxiosError || (e.response && typeof e.response === 'object')) {
      return { status: e.response?.status ?? 0, body: e.response?.data ?? e.body, headers: asRecord(e.response?.headers), text: e.message ?? '' };
    }
  }
  return undefined;
}

export function toUpstreamError(err: unknown, context: 'api' | 'token', now: () => Date): UpstreamError | undefined {
  if (err instanceof UpstreamError) return err;
  const f = readFailure(err);
  if (!f) return undefined;
  const message = failureMessage(f);
  if (f.status === 0) return new UpstreamError('xero', 'unavailable', message || 'network error');
  if (f.status >= 500 || f.status === 408) return new UpstreamError('xero', 'unavailable', message, f.status);
  if (f.status === 429) return new UpstreamError('xero', 'rate_limited', message, 429, retryAfterSeconds(f.headers, now));
  // Any refusal at the token endpoint (invalid_client, unauthorized_client…) means bad credentials.
  if (f.status === 401 || f.status === 403 || context === 'token') return new UpstreamError('xero', 'unauthorized', message, f.status);
  return new UpstreamError('xero', 'rejected', message, f.status);
}

/** Xero's own words only: never request headers or config, which carry tokens and secrets. */
function failureMessage(f: Failure): string {
  const fromBody = bodyMessage(f.body);
  if (fromBody) return fromBody;
  if (f.status === 0) return f.text;
  return `HTTP ${f.status}`;
}

function bodyMessage(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (!body || typeof body !== 'object') return '';
  const b = body as Record<string, unknown>;
  const elements = Array.isArray(b.Elements) ? (b.Elements as { ValidationErrors?: unknown }[]) : [];
  const validation = elements
    .flatMap((el) => (Array.isArray(el?.ValidationErrors) ? (el.ValidationErrors as { Message?: unknown }[]) : []))
    .map((v) => v?.Message)
    .filter((m): m is string => typeof m === 'string' && m.length > 0);
  if (validation.length) return [...new Set(validation)].join('; ');
  for (const key of ['Message', 'Detail', 'Title', 'error_description', 'error']) {
    const v = b[key];
    if (typeof v === 'string' && v) return v;
  }
  return '';
}

function retryAfterSeconds(headers: Record<string, unknown>, now: () => Date): number | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'retry-after');
  const raw = key === undefined ? undefined : headers[key];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const at = Date.parse(String(raw));
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now().getTime()) / 1000));
}

/** Xero's X-*Limit-Remaining headers (and a 429's Retry-After) in our terms. */
function limitsOf(headers: Record<string, unknown>, now: () => Date, status?: number): XeroCallOutcome {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const count = (name: string) => {
    const n = Number(lower[name]);
    return lower[name] === undefined || lower[name] === '' || !Number.isInteger(n) || n < 0 ? undefined : n;
  };
  const outcome: XeroCallOutcome = {};
  const min = count('x-minlimit-remaining');
  const day = count('x-daylimit-remaining');
  const app = count('x-appminlimit-remaining');
  if (min !== undefined) outcome.minRemaining = min;
  if (day !== undefined) outcome.dayRemaining = day;
  if (app !== undefined) outcome.appMinRemaining = app;
  if (status === 429) {
    outcome.blockedForSeconds = retryAfterSeconds(headers, now) ?? 60;
    outcome.appWide = /app/i.test(String(lower['x-rate-limit-problem'] ?? ''));
  }
  return outcome;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' ? { ...(value as Record<string, unknown>) } : {};
}

function unexpected(what: string): UpstreamError {
  return new UpstreamError('xero', 'unavailable', `unexpected response: ${what}`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : typeof err === 'string' ? err.slice(0, 200) : 'unknown error';
}
