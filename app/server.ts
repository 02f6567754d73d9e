import express, { type Router } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { loggableHeaders, loggedResponseHeaders, redactedRequest } from './log-paths.js';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import type { Stores } from './store/index.js';
import type { XenditGateway } from './clients/xendit/types.js';
import type { XeroGateway, XeroOAuth } from './clients/xero/types.js';
import type { Clock } from './clock.js';
import { paths } from './paths.js';
import { payRouter } from './pay/controller.js';
import { callbackRouter } from './callbacks/controller.js';
import { createCallbackTokenCache } from './callbacks/token-cache.js';
import { xeroWebhookRouter } from './xero-webhooks/controller.js';
import { errorHandler, genericPage, notFoundHandler } from './error-handler.js';
import { createI18n, type I18n } from './i18n/index.js';
import { homeRouter, type DemoHome } from './home.js';
import { createRateLimiter } from './security/rate-limit.js';
import { burstGuard, createBurstLimiter } from './security/burst-limit.js';
import { createPayAdmission } from './pay/admission.js';
import type { SharedXeroBudget } from './store/xero-budget.js';
import { createInvoiceIdMemo } from './pay/invoice-ids.js';
import { adminRouter } from './admin/router.js';
import { sessions } from './admin/session.js';
import { createPasswordWork, type PasswordWork } from './admin/auth/password-work.js';
import { createUploadSlots, uploadPaceFor, type UploadSlots } from './admin/uploads.js';
import { createXeroLists } from './admin/merchants/xero-lists.js';
import type { Metrics } from './metrics/index.js';
import { metricsRouter } from './metrics/route.js';

export interface AppDeps {
  config: Config;
  stores: Stores;
  xero: XeroGateway;
  /** The budget `xero` counts its calls against, when shared in the database: a pay click takes it with its admission. */
  xeroBudget?: SharedXeroBudget;
  xendit: XenditGateway;
  /** "Connect to Xero" (OAuth 2.0), when the gateway has a Xero app (config.xero.oauth). */
  xeroOAuth?: XeroOAuth;
  clock: Clock;
  logger: Logger;
  onJobEnqueued?: () => void;
  /** Demo mode: the simulators, mounted on this same server, and what the home page lists. */
  demo?: DemoHome & { mounts: { path: string; router: Router }[] };
  creationWaitMs?: number;
  /** This app's metrics (its own registry); /metrics is served when config.metricsToken is set too. */
  metrics?: Metrics;
  /** The process's translations; made here when the caller has none. */
  i18n?: I18n;
  /** The process's password hashing under its cap; made here when the caller has none (tests pass a small one). */
  passwords?: PasswordWork;
  /** The process's Xendit report uploads read at once; made here when the caller has none (tests pass theirs to watch it). */
  uploads?: UploadSlots;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * The id a request is logged and answered under: the proxy's X-Request-Id when it came through a
 * trusted proxy and is a plain token, else a fresh one; the header's value not taken is kept
 * (printable ASCII, 64 characters at most) to be logged beside it.
 */
export function requestIdOf(header: string | string[] | undefined, trusted: boolean): { id: string; unused?: string } {
  const sent = Array.isArray(header) ? header[0] : header;
  if (sent === undefined || sent === '') return { id: randomUUID() };
  if (trusted && REQUEST_ID.test(sent)) return { id: sent };
  return { id: randomUUID(), unused: sent.replace(/[^\x21-\x7e]/g, '?').slice(0, 64) };
}

/** How long /readyz waits for the database before saying 503. */
export const READY_TIMEOUT_MS = 2000;

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
/** Works from app/ (tsx) and from dist/app/ (built): views and public sit at the project root. */
const projectRoot = root.endsWith(`${join('dist')}`) ? join(root, '..') : root;

const QUIET_PATHS = /^\/(healthz|readyz|public\/)/;

/**
 * Browsers hold a form's redirects to form-action too (CSP3; Chromium does), so every origin one of
 * our forms is answered with a 303 to must be listed: Xero's login ("Connect to Xero" and connect
 * links, with OAuth on) and the Xendit checkout (the part-payment page's form to /pay). The checkout
 * hosts are the ones the /pay 303 is checked against; their scheme is the gateway's own (https in
 * production; over http, CSP lets an http source match https too, for a local simulator).
 */
function formActionSources(config: Pick<Config, 'publicUrl' | 'xero' | 'xendit'>, xeroOAuth: boolean): string[] {
  const scheme = new URL(config.publicUrl).protocol;
  return ["'self'", ...(xeroOAuth ? [new URL(config.xero.loginUrl).origin] : []), ...config.xendit.checkoutHosts.map((host) => `${scheme}//${host}`)];
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  const i18n = deps.i18n ?? createI18n();
  app.disable('x-powered-by');
  // Without a proxy in front, believing X-Forwarded-For would let anyone choose their rate-limit bucket.
  app.set('trust proxy', deps.config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', join(projectRoot, 'views'));
  // Compiled templates are kept except in development (where editing a view shows at once); express
  // would only do this for process.env.NODE_ENV, not for the config it was given.
  app.set('view cache', deps.config.env !== 'development');

  // Only the proxies TRUST_PROXY names may choose the id every log line of a request carries (express's
  // own judgement of the peer, hop 0): anyone else's X-Request-Id is logged apart, as they sent it.
  const trustProxyFn = app.get('trust proxy fn') as (addr: string, hop: number) => boolean;
  const trustedPeer = (addr: string | undefined) => deps.config.trustProxy !== false && addr !== undefined && trustProxyFn(addr, 0);
  const clientRequestIds = new WeakMap<object, string>();
  const xeroLoginOrigin = new URL(deps.config.xero.loginUrl).origin;
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const { id, unused } = requestIdOf(req.headers['x-request-id'], trustedPeer(req.socket.remoteAddress));
        if (unused !== undefined) clientRequestIds.set(req, unused);
        res.setHeader('x-request-id', id);
        return id;
      },
      customProps: (req) => (clientRequestIds.has(req) ? { clientRequestId: clientRequestIds.get(req) } : {}),
      // Health checks (every few seconds from a load balancer) and static files would bury what
      // matters: logged at debug unless they fail.
      customLogLevel: (req, res, err) =>
        err || res.statusCode >= 500
          ? 'error'
          : res.statusCode < 400 && QUIET_PATHS.test((req as { originalUrl?: string }).originalUrl ?? req.url ?? '')
            ? 'debug'
            : 'info',
      // The state (our redirect to Xero's login) and the authorisation code (Xero's answer) are
      // credentials of a sort: their query strings are never logged.
      serializers: {
        req: (r: { url?: string; query?: unknown; params?: unknown; headers?: Record<string, unknown> }) => {
          if (r.headers) r.headers = loggableHeaders(r.headers);
          // One-time links carry their secret in the path: never logged either.
          return Object.assign(r, redactedRequest(r.url ?? ''));
        },
        res: (r: { headers?: Record<string, unknown> }) => {
          if (r.headers) r.headers = loggedResponseHeaders(r.headers);
          const location = r.headers?.location;
          if (typeof location === 'string' && location.startsWith(xeroLoginOrigin)) r.headers = { ...r.headers, location: location.split('?')[0] };
          return r;
        },
      },
    }),
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          formAction: formActionSources(deps.config, Boolean(deps.xeroOAuth)),
          // Over plain http (the local demo) upgrading would break every stylesheet and form.
          upgradeInsecureRequests: deps.config.publicUrl.startsWith('https:') ? [] : null,
        },
      },
    }),
  );
  app.use('/public', express.static(join(projectRoot, 'public'), { maxAge: '1h' }));

  app.get('/favicon.ico', (_req, res) => {
    res.status(204).set('Cache-Control', 'public, max-age=86400').end();
  });
  app.get(paths.healthz, (_req, res) => {
    res.json({ ok: true });
  });
  // Routes anyone may call that read the database before anyone is known (a reference, a session
  // cookie, a one-time link, the probe): counted per client in memory before that read. Mounted with
  // the routes' own case-insensitive matching, so no spelling of a path escapes its count.
  const burst = createBurstLimiter({ clock: deps.clock, limit: deps.config.burstLimit.perMinute, windowSeconds: 60 });
  app.use(paths.payReturn, burstGuard(burst, 'pay-return'));
  app.use(paths.admin, burstGuard(burst, 'admin'));
  app.get(
    paths.readyz,
    burstGuard(burst, 'readyz', (res, wait) => void res.status(429).set('Retry-After', String(wait)).set('Cache-Control', 'no-store').end()),
  );
  app.get(paths.readyz, async (_req, res) => {
    // A database host that accepts but never answers must not hang the probe (pg waits forever).
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS)));
    try {
      const outcome = await Promise.race([sql`select 1`.execute(deps.stores.db), timedOut]);
      if (outcome === 'timeout') res.status(503).json({ ok: false, reason: `database did not answer within ${READY_TIMEOUT_MS} ms` });
      else res.json({ ok: true });
    } catch {
      res.status(503).json({ ok: false, reason: 'database unreachable' });
    } finally {
      clearTimeout(timer);
    }
  });

  if (deps.metrics && deps.config.metricsToken) app.use(metricsRouter({ token: deps.config.metricsToken, metrics: deps.metrics }));

  app.use(
    payRouter(
      {
        stores: deps.stores,
        xero: deps.xero.forPurpose('pay-click'),
        xendit: deps.xendit,
        clock: deps.clock,
        logger: deps.logger,
        publicUrl: deps.config.publicUrl,
        checkoutHosts: deps.config.xendit.checkoutHosts,
        testCheckoutHosts: deps.config.xendit.testCheckoutHosts,
        invoiceDurationSeconds: deps.config.xendit.invoiceDurationSeconds,
        onJobEnqueued: deps.onJobEnqueued,
        creationWaitMs: deps.creationWaitMs,
        invoiceIds: createInvoiceIdMemo(),
        admit: createPayAdmission({
          store: deps.stores.payClicks,
          clock: deps.clock,
          budget: deps.xeroBudget,
          perDay: deps.config.xeroLimits.perDay,
          reuseMs: deps.config.payRateLimit.readReuseSeconds * 1000,
        }),
        missRememberMs: deps.config.payRateLimit.missRememberSeconds * 1000,
        partHoldMs: deps.config.payRateLimit.partHoldMinutes * 60_000,
      },
      {
        consume: createRateLimiter({ store: deps.stores.rateLimits, clock: deps.clock }),
        perIp: { limit: deps.config.payRateLimit.perIp, windowSeconds: deps.config.payRateLimit.windowSeconds },
        perShortCode: { limit: deps.config.payRateLimit.perShortCode, windowSeconds: deps.config.payRateLimit.windowSeconds },
        perInvoice: { limit: deps.config.payRateLimit.perInvoice, windowSeconds: deps.config.payRateLimit.windowSeconds },
        unknownPerShortCode: { limit: deps.config.payRateLimit.unknownPerWindow, windowSeconds: deps.config.payRateLimit.windowSeconds },
        perClient: { limit: deps.config.payRateLimit.perClient, windowSeconds: deps.config.payRateLimit.windowSeconds },
        unknownPerClient: { limit: deps.config.payRateLimit.unknownPerClient, windowSeconds: deps.config.payRateLimit.windowSeconds },
        unknownPerNetwork: { limit: deps.config.payRateLimit.unknownPerNetwork, windowSeconds: deps.config.payRateLimit.windowSeconds },
        unknownXeroShare: deps.config.payRateLimit.unknownXeroShare,
        unknownPerClientDay: deps.config.payRateLimit.unknownPerClientDay,
        unknownPerNetworkDay: deps.config.payRateLimit.unknownPerNetworkDay,
        invoiceXeroShare: deps.config.payRateLimit.invoiceXeroShare,
        knownXeroShare: deps.config.payRateLimit.knownXeroShare,
        metrics: deps.metrics,
      },
      i18n,
    ),
  );
  // One per process: the callbacks check tokens against it, and the admin forgets a merchant's when it saves a new one.
  const callbackTokens = createCallbackTokenCache({ load: (id) => deps.stores.merchants.callbackToken(id), clock: deps.clock });
  app.use(
    callbackRouter({
      stores: deps.stores,
      clock: deps.clock,
      logger: deps.logger,
      onJobEnqueued: deps.onJobEnqueued,
      metrics: deps.metrics,
      failuresPerMinute: deps.config.burstLimit.callbackRefusalsPerMinute,
      tokens: callbackTokens,
    }),
  );
  app.use(
    xeroWebhookRouter({
      stores: deps.stores,
      clock: deps.clock,
      onJobEnqueued: deps.onJobEnqueued,
      logger: deps.logger,
      metrics: deps.metrics,
      key: deps.config.xeroWebhookKey,
      burst: createBurstLimiter({ clock: deps.clock, limit: deps.config.burstLimit.xeroWebhooksPerMinute, windowSeconds: 60 }),
    }),
  );
  app.use(
    adminRouter({
      stores: deps.stores,
      clock: deps.clock,
      logger: deps.logger,
      publicUrl: deps.config.publicUrl,
      production: deps.config.env === 'production',
      onJobEnqueued: deps.onJobEnqueued,
      // The admin's pages spend their own share of the organisation's Xero calls (XERO_ADMIN_PERCENT, _MINUTE_PERCENT),
      // so a staff user reloading them cannot take the minute or the day the customers' clicks need.
      xero: deps.xero.forPurpose('admin-read'),
      xendit: deps.xendit,
      xeroOAuth: deps.xeroOAuth,
      xeroAppUrl: deps.config.xero.appUrl,
      i18n,
      passwords: deps.passwords ?? createPasswordWork(),
      callbackTokens,
      uploads: deps.uploads ?? createUploadSlots(),
      uploadPace: uploadPaceFor(deps.config.http.requestTimeoutMs),
      xeroLists: createXeroLists({ clock: deps.clock }),
    }),
  );
  for (const m of deps.demo?.mounts ?? []) app.use(m.path, m.router);
  app.use(
    homeRouter(
      deps.config,
      deps.demo,
      sessions({ stores: deps.stores, clock: deps.clock, publicUrl: deps.config.publicUrl, production: deps.config.env === 'production' }),
      i18n,
    ),
  );

  app.use(notFoundHandler(i18n));
  // Callbacks are machine routes: JSON whatever they accept.
  app.use(errorHandler(deps.logger, { page: genericPage(i18n), json: (req) => /^\/callbacks\//i.test(req.path) }));
  return app;
}
