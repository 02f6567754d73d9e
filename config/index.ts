import { z } from 'zod';
import { CRASH_POINTS, DEFAULT_OAUTH_SCOPES, DEMO_OAUTH_APP, DEMO_WEBHOOK_KEY, type CrashPoint } from './constants.js';
import { paths } from '../app/paths.js';
import { parseTrustProxy, type TrustProxy } from '../app/security/client-address.js';
import { limitFields, limitsOf, type PayRateLimit, type XeroLimitsConfig } from './limits.js';

/** Every setting the gateway reads, validated once at start. */
const bool = z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off']).transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const url = z.url().transform((u) => u.replace(/\/+$/, ''));
/** A comma list of host names (host or host:port), compared lower-case. */
const hostList = z
  .string()
  .optional()
  .transform((v) =>
    v
      ?.split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );

/**
 * The scheduled comparison's floor: each run may spend 5 Xero reads per merchant (plus one per
 * changed invoice), so every 15 minutes is at most 480 of the organisation's 5 000 calls a day.
 */
export const OPEN_CHECKOUT_CHECK_MIN_MINUTES = 15;

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().trim().min(1).optional(),
  PUBLIC_URL: url.optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  DATA_DIR: z.string().default('./data'),
  SECRETS_KEY: z
    .string()
    .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)')
    .optional(),
  SECRETS_KEY_PREVIOUS: z
    .string()
    .optional()
    .transform(
      (v) =>
        v
          ?.split(',')
          .map((k) => k.trim())
          .filter(Boolean) ?? [],
    )
    .refine((keys) => keys.every((k) => Buffer.from(k, 'base64').length === 32), 'each key must be 32 bytes, base64-encoded, comma-separated'),
  XERO_CLIENT_ID: z.string().min(1).optional(),
  XERO_CLIENT_SECRET: z.string().min(1).optional(),
  XERO_API_URL: url.optional(),
  XERO_IDENTITY_URL: url.optional(),
  XERO_LOGIN_URL: url.optional(),
  XERO_SCOPES: z
    .string()
    .optional()
    .transform((v) => v?.split(/[\s,]+/).filter(Boolean))
    .refine((v) => !v || v.includes('offline_access'), 'must include offline_access (without it Xero gives no refresh token)'),
  XERO_APP_URL: url.optional(),
  XENDIT_API_URL: url.optional(),
  XENDIT_CHECKOUT_HOSTS: hostList,
  // Which of XENDIT_CHECKOUT_HOSTS serve only test-key checkouts: a live-key checkout is never sent there.
  XENDIT_TEST_CHECKOUT_HOSTS: hostList,
  XENDIT_INVOICE_DURATION_SECONDS: z.coerce.number().int().min(300).max(31536000).default(86400),
  DEMO: bool.optional(),
  WORKER_POLL_MS: z.coerce.number().int().min(10).default(500),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
  // Payments (and fees) of one organisation sent to Xero in one call; 1 sends each alone.
  XERO_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(50),
  // Refunds whose webhook never came are found by listing each Xendit account's refunds this often; 0 turns it off.
  REFUND_LIST_MINUTES: z.coerce.number().int().min(0).default(30),
  // Withdrawals from Xendit to the merchant's bank are found by listing each Xendit account's transactions this often
  // (default 60, 1 in the demo so a withdrawal shows in the simulated Xero within a minute); 0 turns it off.
  WITHDRAWAL_LIST_MINUTES: z.coerce.number().int().min(0).optional(),
  ...limitFields,
  // Per client per minute in each web process's memory: /pay/return, /admin, /readyz; callback refusals (0: off).
  BURST_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  CALLBACK_REFUSALS_PER_MINUTE: z.coerce.number().int().min(0).default(60),
  // POSTs to /webhooks/xero per client per minute (0: off), counted before the body is read or signed (README).
  XERO_WEBHOOKS_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(20000),
  JOB_LEASE_SECONDS: z.coerce.number().int().min(1).default(300),
  CRASH_AT: z.enum(CRASH_POINTS).optional(),
  RECONCILE_INTERVAL_MINUTES: z.coerce.number().int().min(0).default(10),
  RECONCILE_MIN_AGE_MINUTES: z.coerce.number().int().min(0).default(5),
  RECONCILE_BATCH: z.coerce.number().int().min(1).max(1000).default(50),
  BACKEND_LISTING_INTERVAL_MINUTES: z.coerce.number().int().min(0).default(10),
  BACKEND_LISTING_PAGE_SIZE: z.coerce.number().int().min(1).max(100).default(100),
  BACKEND_LISTING_MAX_PAGES: z.coerce.number().int().min(1).max(1000).default(5),
  BACKEND_LISTING_LOOKBACK_MINUTES: z.coerce.number().int().min(0).default(60),
  TRUST_PROXY: z.string().optional(),
  HOUSEKEEPING_INTERVAL_MINUTES: z.coerce.number().int().min(1).max(1440).default(10),
  // Xero drops an OAuth refresh token unused for 60 days: refresh those idle this long (0: never).
  XERO_KEEPALIVE_DAYS: z.coerce.number().int().min(0).max(59).default(30),
  // Bearer token for /metrics; unset, /metrics answers 404 like any unknown path.
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  // Alerts by e-mail: smtp://user:pass@host:587 or smtps://…:465; unset, digests stay in the outbox (admin) unsent.
  SMTP_URL: z
    .string()
    .refine((v) => /^smtps?:\/\/[^/\s]+/.test(v), 'SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465')
    .optional(),
  ALERT_FROM: z.string().min(3).max(200).optional(),
  ALERT_OPERATOR_EMAILS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.email('ALERT_OPERATOR_EMAILS must be e-mail addresses, separated by commas'))),
  ALERT_DIGEST_MINUTES: z.coerce.number().int().min(0).max(1440).default(5),
  // The webhooks key of the gateway's Xero app (developer.xero.com → the app → Webhooks); unset: /webhooks/xero answers 404. Trimmed: pasted with a newline, it would fail every signature.
  XERO_WEBHOOK_KEY: z.string().trim().min(16, 'XERO_WEBHOOK_KEY must be at least 16 characters').optional(),
  // The merchants' open invoice numbers read from Xero, so /pay knows real ones from invented ones (0: off).
  OPEN_INVOICE_SYNC_MINUTES: z.coerce.number().int().min(0).max(1440).default(60),
  // Open checkouts compared with their Xero invoice, for merchants whose changes no webhook reports
  // (0: off). A shorter interval is refused, not raised quietly: the operator learns why at start.
  OPEN_CHECKOUT_CHECK_MINUTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(1440)
    .refine(
      (v) => v === 0 || v >= OPEN_CHECKOUT_CHECK_MIN_MINUTES,
      `OPEN_CHECKOUT_CHECK_MINUTES must be 0 (off) or at least ${OPEN_CHECKOUT_CHECK_MIN_MINUTES}`,
    )
    .default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
});

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  port: number;
  /** Address to listen on; undefined: every interface. The demo defaults to 127.0.0.1. */
  host?: string;
  publicUrl: string;
  databaseUrl?: string;
  /** How long a query waits for a database connection before its request is answered "temporarily unavailable". */
  databaseConnectTimeoutMs: number;
  dataDir: string;
  secretsKey?: string;
  /** Keys that still open stored secrets (read only) until `secrets reseal` has run. */
  secretsKeysPrevious: string[];
  xero: {
    clientId?: string;
    clientSecret?: string;
    apiUrl: string;
    identityUrl: string;
    loginUrl: string;
    /** Xero's web app, for links to an invoice. */
    appUrl: string;
    /** "Connect to Xero" (OAuth 2.0): set when the gateway has a Xero app (XERO_CLIENT_ID) or in demo mode. */
    oauth?: { clientId: string; clientSecret: string; redirectUri: string; scopes: string[] };
  };
  /** checkoutHosts: every host /pay may redirect to (and the CSP form-action lists); testCheckoutHosts: those of them only test-key checkouts may. */
  xendit: { apiUrl: string; checkoutHosts: string[]; testCheckoutHosts: string[]; invoiceDurationSeconds: number };
  demo: boolean;
  workerPollMs: number;
  /** Jobs one worker process runs at once (Xero calls wait on the network, not on this CPU). */
  workerConcurrency: number;
  /** Payments or fees of one organisation per Xero call (XERO_BATCH_SIZE). */
  xeroBatchSize: number;
  /** REFUND_LIST_MINUTES. */
  refundListMinutes: number;
  /** WITHDRAWAL_LIST_MINUTES. */
  withdrawalListMinutes: number;
  payRateLimit: PayRateLimit;
  /** In-memory per-client limits on the public routes that read the database before anyone is known. */
  burstLimit: { perMinute: number; callbackRefusalsPerMinute: number; xeroWebhooksPerMinute: number };
  http: { requestTimeoutMs: number; headersTimeoutMs: number };
  shutdownTimeoutMs: number;
  /** How long a claimed job is reserved for its worker; after that another worker may take it over. */
  jobLeaseSeconds: number;
  /** Test and demo mode only: the worker SIGKILLs itself at this point of record-payment. */
  crashAt?: CrashPoint;
  /** intervalMinutes 0: the worker does not schedule reconciliation (the CLI still runs it). */
  reconcile: { intervalMinutes: number; minAgeMinutes: number; batch: number };
  /** Backend flow by periodic listing of paid Xendit invoices; intervalMinutes 0: off. */
  backendListing: { intervalMinutes: number; pageSize: number; maxPages: number; lookbackMinutes: number };
  xeroLimits: XeroLimitsConfig;
  logLevel: string;
  /** pretty: one readable line per event (pino-pretty); json: one JSON object per line. Unset: pretty on a terminal outside production. */
  logFormat?: 'json' | 'pretty';
  /** How often expired sessions, login attempts, rate-limit windows and OAuth states are deleted. */
  housekeepingIntervalMinutes: number;
  /** OAuth token sets not refreshed for this many days are refreshed by the daily keep-alive; 0: off. */
  xeroKeepAliveDays: number;
  /** Which X-Forwarded-For hops to believe: false (none), a hop count, or the proxies' addresses. */
  trustProxy: TrustProxy;
  /** /metrics is served only with this bearer token; unset, it is not served at all. */
  metricsToken?: string;
  /** A separate worker process serves its own /metrics (job runs, Xero/Xendit calls) on this port, with METRICS_TOKEN. */
  workerMetricsPort?: number;
  /** Verifies Xero's webhooks (x-xero-signature); unset, they are not accepted. */
  xeroWebhookKey?: string;
  /** How often each merchant's open invoice numbers are read from Xero (up to 5 pages of 1 000); 0: never. */
  openInvoiceSyncMinutes: number;
  /** How often open checkouts are compared with their Xero invoice (one Xero call per merchant and run); 0: never. */
  openCheckoutCheckMinutes: number;
  /** Alert e-mails: sent over smtpUrl (unset: kept in the outbox), one digest per recipient every digestMinutes (0: off). */
  alerts: { smtpUrl?: string; from: string; operatorEmails: string[]; digestMinutes: number };
}>;

function isHttpsOrLocal(url: string): boolean {
  const u = new URL(url);
  return u.protocol === 'https:' || (u.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname));
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Parsed = z.output<typeof schema>;

/**
 * Each variable on its own, so one bad value does not hide the rest: the values that parsed, and a
 * problem for each that did not. The schema has no checks across fields (those are in
 * crossFieldProblems), so this is what parsing the whole object would give.
 */
function parseFields(raw: Record<string, unknown>): { values: Partial<Parsed>; problems: string[]; failed: Set<string> } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  const failed = new Set<string>();
  for (const [name, field] of Object.entries(schema.shape)) {
    const r = (field as z.ZodType).safeParse(raw[name]);
    if (r.success) {
      if (r.data !== undefined) values[name] = r.data;
    } else {
      failed.add(name);
      for (const i of r.error.issues) problems.push(`${[name, ...i.path].join('.')}: ${i.message}`);
    }
  }
  return { values: values as Partial<Parsed>, problems, failed };
}

/**
 * Rules between variables. A rule that reads a variable which did not parse is left out: its
 * problem is already listed, and a guess at its value could only add a wrong one.
 */
function crossFieldProblems(c: Partial<Parsed>, failed: Set<string>): string[] {
  const problems: string[] = [];
  const ok = (...names: (keyof Parsed)[]) => names.every((n) => !failed.has(n));
  const production = c.NODE_ENV === 'production';
  if (ok('NODE_ENV', 'SECRETS_KEY') && production && !c.SECRETS_KEY) problems.push('SECRETS_KEY: required when NODE_ENV=production');
  if (ok('NODE_ENV', 'PUBLIC_URL') && production && !c.PUBLIC_URL) problems.push('PUBLIC_URL: required when NODE_ENV=production');
  // Session cookies, callback tokens in transit and the customers' redirects need TLS on the open internet.
  if (ok('NODE_ENV', 'PUBLIC_URL') && production && c.PUBLIC_URL && !isHttpsOrLocal(c.PUBLIC_URL))
    problems.push('PUBLIC_URL: must be https:// when NODE_ENV=production (http only for localhost or 127.0.0.1)');
  if (ok('SECRETS_KEY_PREVIOUS', 'SECRETS_KEY') && c.SECRETS_KEY_PREVIOUS?.length && !c.SECRETS_KEY)
    problems.push('SECRETS_KEY_PREVIOUS: only with SECRETS_KEY (the key that seals from now on)');
  if (ok('XERO_CLIENT_ID', 'XERO_CLIENT_SECRET') && Boolean(c.XERO_CLIENT_ID) !== Boolean(c.XERO_CLIENT_SECRET))
    problems.push('XERO_CLIENT_ID and XERO_CLIENT_SECRET: set both or neither');
  if (ok('DEMO', 'XERO_CLIENT_ID', 'NODE_ENV')) {
    const demo = c.DEMO ?? !c.XERO_CLIENT_ID;
    if (demo && production) problems.push('DEMO: demo mode cannot run with NODE_ENV=production');
    if (ok('CRASH_AT') && c.CRASH_AT && c.NODE_ENV !== 'test' && !demo) problems.push('CRASH_AT: only honoured with NODE_ENV=test or in demo mode');
  }
  if (ok('HTTP_HEADERS_TIMEOUT_MS', 'HTTP_REQUEST_TIMEOUT_MS') && c.HTTP_HEADERS_TIMEOUT_MS! > c.HTTP_REQUEST_TIMEOUT_MS!)
    problems.push('HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS');
  if (ok('TRUST_PROXY')) {
    const trustProxy = parseTrustProxy(c.TRUST_PROXY);
    if (trustProxy && typeof trustProxy === 'object' && 'problem' in trustProxy)
      problems.push(`TRUST_PROXY: ${trustProxy.problem} (off, a hop count, or a comma list of proxy addresses/CIDRs)`);
  }
  return problems;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  // One message lists every problem, the rules between variables included, so a fix is not followed
  // by a second round of errors.
  const fields = parseFields(raw);
  const problems = [...fields.problems, ...crossFieldProblems(fields.values, fields.failed)];
  if (problems.length) throw new ConfigError(problems);
  const c = fields.values as Parsed;
  const demo = c.DEMO ?? !c.XERO_CLIENT_ID;
  const trustProxy = parseTrustProxy(c.TRUST_PROXY);

  const publicUrl = c.PUBLIC_URL ?? `http://localhost:${c.PORT}`;
  // Demo mode mounts the simulators on this same server; the server reaches them over loopback.
  const sim = `http://127.0.0.1:${c.PORT}`;
  const demoOr = (demoUrl: string, real: string) => (demo ? demoUrl : real);
  return Object.freeze({
    env: c.NODE_ENV,
    port: c.PORT,
    // The demo mounts simulators that hand out tokens and a one-time admin setup link: not for the network unless asked.
    host: c.HOST ?? (demo ? '127.0.0.1' : undefined),
    publicUrl,
    databaseUrl: c.DATABASE_URL,
    databaseConnectTimeoutMs: c.DATABASE_CONNECT_TIMEOUT_MS,
    dataDir: c.DATA_DIR,
    secretsKey: c.SECRETS_KEY,
    secretsKeysPrevious: c.SECRETS_KEY_PREVIOUS,
    xero: {
      clientId: c.XERO_CLIENT_ID,
      clientSecret: c.XERO_CLIENT_SECRET,
      apiUrl: c.XERO_API_URL ?? demoOr(`${sim}/_sim/xero`, 'https://api.xero.com'),
      identityUrl: c.XERO_IDENTITY_URL ?? demoOr(`${sim}/_sim/xero`, 'https://identity.xero.com'),
      loginUrl: c.XERO_LOGIN_URL ?? demoOr(`${publicUrl}/_sim/xero`, 'https://login.xero.com'),
      appUrl: c.XERO_APP_URL ?? demoOr(`${publicUrl}/_sim/xero`, 'https://go.xero.com'),
      ...(c.XERO_CLIENT_ID || demo
        ? {
            oauth: {
              clientId: c.XERO_CLIENT_ID ?? DEMO_OAUTH_APP.clientId,
              clientSecret: c.XERO_CLIENT_SECRET ?? DEMO_OAUTH_APP.clientSecret,
              redirectUri: `${publicUrl}${paths.adminXeroCallback}`,
              scopes: c.XERO_SCOPES ?? DEFAULT_OAUTH_SCOPES,
            },
          }
        : {}),
    },
    xendit: {
      apiUrl: c.XENDIT_API_URL ?? demoOr(`${sim}/_sim/xendit`, 'https://api.xendit.co'),
      // Xendit gives a test key's invoices (xnd_development_) an invoice_url on checkout-staging.xendit.co,
      // a live key's one on checkout.xendit.co: a merchant trying the gateway with a test key must not get 503.
      checkoutHosts: c.XENDIT_CHECKOUT_HOSTS ?? (demo ? [new URL(publicUrl).host] : ['checkout.xendit.co', 'checkout-staging.xendit.co']),
      // Staging takes no real money: a live checkout sent there (a compromised or misread answer) would
      // show the customer a page that cannot pay, or one made to look like Xendit's.
      testCheckoutHosts: c.XENDIT_TEST_CHECKOUT_HOSTS ?? ['checkout-staging.xendit.co'],
      invoiceDurationSeconds: c.XENDIT_INVOICE_DURATION_SECONDS,
    },
    demo,
    workerPollMs: c.WORKER_POLL_MS,
    workerConcurrency: c.WORKER_CONCURRENCY,
    xeroBatchSize: c.XERO_BATCH_SIZE,
    refundListMinutes: c.REFUND_LIST_MINUTES,
    // The demo's withdrawal shows in its simulated Xero within seconds: its Xendit is local, its listing costs nothing.
    withdrawalListMinutes: c.WITHDRAWAL_LIST_MINUTES ?? (demo ? 0.25 : 60),
    ...limitsOf(c),
    burstLimit: {
      perMinute: c.BURST_LIMIT_PER_MINUTE,
      callbackRefusalsPerMinute: c.CALLBACK_REFUSALS_PER_MINUTE,
      xeroWebhooksPerMinute: c.XERO_WEBHOOKS_PER_MINUTE,
    },
    http: { requestTimeoutMs: c.HTTP_REQUEST_TIMEOUT_MS, headersTimeoutMs: c.HTTP_HEADERS_TIMEOUT_MS },
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    jobLeaseSeconds: c.JOB_LEASE_SECONDS,
    crashAt: c.CRASH_AT,
    reconcile: { intervalMinutes: c.RECONCILE_INTERVAL_MINUTES, minAgeMinutes: c.RECONCILE_MIN_AGE_MINUTES, batch: c.RECONCILE_BATCH },
    backendListing: {
      intervalMinutes: c.BACKEND_LISTING_INTERVAL_MINUTES,
      pageSize: c.BACKEND_LISTING_PAGE_SIZE,
      maxPages: c.BACKEND_LISTING_MAX_PAGES,
      lookbackMinutes: c.BACKEND_LISTING_LOOKBACK_MINUTES,
    },
    logLevel: c.LOG_LEVEL,
    ...(c.LOG_FORMAT ? { logFormat: c.LOG_FORMAT } : {}),
    trustProxy: trustProxy as TrustProxy,
    housekeepingIntervalMinutes: c.HOUSEKEEPING_INTERVAL_MINUTES,
    xeroKeepAliveDays: c.XERO_KEEPALIVE_DAYS,
    ...(c.METRICS_TOKEN ? { metricsToken: c.METRICS_TOKEN } : {}),
    ...(c.XERO_WEBHOOK_KEY || demo ? { xeroWebhookKey: c.XERO_WEBHOOK_KEY ?? DEMO_WEBHOOK_KEY } : {}),
    openCheckoutCheckMinutes: c.OPEN_CHECKOUT_CHECK_MINUTES,
    openInvoiceSyncMinutes: c.OPEN_INVOICE_SYNC_MINUTES,
    alerts: {
      ...(c.SMTP_URL ? { smtpUrl: c.SMTP_URL } : {}),
      from: c.ALERT_FROM ?? `Xendit-Xero gateway <alerts@${new URL(publicUrl).hostname}>`,
      operatorEmails: c.ALERT_OPERATOR_EMAILS,
      digestMinutes: c.ALERT_DIGEST_MINUTES,
    },
    ...(c.WORKER_METRICS_PORT !== undefined ? { workerMetricsPort: c.WORKER_METRICS_PORT } : {}),
  });
}
