import { createMailer, type Mailer } from '../clients/mail/index.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';
import { pino, type Logger } from 'pino';
import { loadConfig, type Config } from '../../config/index.js';
import { openDatabase, WORKER_POOL_SIZE, type Db, type OpenedDatabase } from '../store/db.js';
import { createStores, type Stores } from '../store/index.js';
import { createXeroBudget, type SharedXeroBudget } from '../store/xero-budget.js';
import { createSecretBox, type SecretBox } from '../security/secrets.js';
import { createXeroClient } from '../clients/xero/index.js';
import { createXenditClient } from '../clients/xendit/index.js';
import type { XenditGateway } from '../clients/xendit/types.js';
import type { XeroGateway, XeroOAuth } from '../clients/xero/types.js';
import { createXeroOAuth } from '../clients/xero/oauth.js';
import { systemClock, type Clock } from '../clock.js';
import { createMetrics, type Metrics } from '../metrics/index.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  database: OpenedDatabase;
  stores: Stores;
  xero: XeroGateway;
  xeroBudget: SharedXeroBudget;
  xendit: XenditGateway;
  /** "Connect to Xero", when config.xero.oauth is set (a Xero app, or demo mode). */
  xeroOAuth?: XeroOAuth;
  clock: Clock;
  /** This process's metrics registry (/metrics with METRICS_TOKEN); the clients report their calls to it. */
  metrics: Metrics;
  /** Sends alert digests (SMTP_URL; in demo mode the outbox simulator). Unset: they stay in the outbox table. */
  mailer?: Mailer;
  /** Seals the stored secrets; the in-process worker's stores are made with it too. */
  secretBox: SecretBox;
}

/** Logs never carry secrets: these paths are censored wherever they appear. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers["x-callback-token"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.secretKey',
  '*.clientSecret',
  '*.callbackToken',
  '*.smtpUrl',
  '*.access_token',
  '*.refresh_token',
];

// pino-pretty (30 files with its dependencies) only where a person reads the log: production and
// pipes log JSON and never load it.
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

/** Readable lines for a person at a terminal; JSON for log collectors (production, pipes, files). */
export function logFormatFor(config: Pick<Config, 'logFormat' | 'env'>, stdoutIsTty: boolean): 'json' | 'pretty' {
  return config.logFormat ?? (config.env !== 'production' && stdoutIsTty ? 'pretty' : 'json');
}

export function createLogger(config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'logFormat' | 'env'>>, destination?: NodeJS.WritableStream): Logger {
  const options = { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' } };
  // A destination given (tests, a file) is read by a program: JSON unless pretty was asked for.
  if (logFormatFor({ logFormat: config.logFormat, env: config.env ?? 'development' }, !destination && Boolean(process.stdout.isTTY)) === 'pretty') {
    const stream = loadPretty()({
      colorize: !destination,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,req.headers,res.headers',
      destination: destination ?? 1,
      sync: true,
    });
    return pino(options, stream);
  }
  return pino(options, destination as pino.DestinationStream);
}

/** How an operator gets the first-run setup link outside demo mode (the gateway does not log it there). */
export const SETUP_LINK_COMMAND = 'npm run cli -- users setup-link';

/**
 * Said once at start when alerts would never reach anyone: without SMTP_URL the digests are stored
 * and never sent, which nobody notices until an alert mattered. The demo has its own outbox.
 */
export function alertMailWarning(config: Pick<Config, 'demo' | 'alerts'>): string | undefined {
  if (config.demo || config.alerts.smtpUrl) return undefined;
  return (
    'SMTP_URL is not set: alerts (payments needing review, Xero disconnected, refused Xendit keys) are stored but never e-mailed. ' +
    'Set SMTP_URL, and ALERT_OPERATOR_EMAILS for the operators who are not users of the admin.'
  );
}

/**
 * SECRETS_KEY seals every stored secret. Outside production a missing key is generated into the
 * data directory (with a warning) so `npm start` works on a fresh clone.
 */
export function resolveSecretsKey(config: Config, logger: Logger): string {
  if (config.secretsKey) return config.secretsKey;
  const file = join(resolve(config.dataDir), 'secrets.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(resolve(config.dataDir), { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, key + '\n', { mode: 0o600 });
  logger.warn({ file }, 'SECRETS_KEY not set: generated a key for this machine. Set SECRETS_KEY in production and keep it safe.');
  return key;
}

export async function boot(env: NodeJS.ProcessEnv = process.env, logger?: Logger): Promise<Runtime> {
  const config = loadConfig(env);
  const log = logger ?? createLogger(config);
  const box = createSecretBox(resolveSecretsKey(config, log), config.secretsKeysPrevious);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    onPoolError: (err) => log.warn({ err: err.message }, 'idle database connection lost'),
    logger: log,
  });
  const stores = createStores(database.db, box);
  const metrics = createMetrics({ source: stores.metrics, clock: systemClock, xeroLimits: config.xeroLimits });
  const app = config.xero.oauth;
  return {
    config,
    logger: log,
    database,
    ...onDb(database.db, { config, logger: log, secretBox: box, clock: systemClock, metrics }, stores),
    ...(app
      ? {
          xeroOAuth: createXeroOAuth({ ...app, loginUrl: config.xero.loginUrl, identityUrl: config.xero.identityUrl, apiUrl: config.xero.apiUrl, logger: log }),
        }
      : {}),
    xendit: createXenditClient({ apiUrl: config.xendit.apiUrl, logger: log, observer: metrics.xendit }),
    clock: systemClock,
    metrics,
    secretBox: box,
    ...(config.alerts.smtpUrl ? { mailer: createMailer({ smtpUrl: config.alerts.smtpUrl, from: config.alerts.from }) } : {}),
  };
}

/** What reaches the database through `db`: the stores, the shared Xero budget and the Xero client that spends it. */
function onDb(
  db: Db,
  rt: Pick<Runtime, 'config' | 'logger' | 'secretBox' | 'clock' | 'metrics'>,
  stores = createStores(db, rt.secretBox),
): Pick<Runtime, 'stores' | 'xeroBudget' | 'xero'> {
  const { config, logger } = rt;
  const budget = createXeroBudget(db, rt.clock, config.xeroLimits);
  const app = config.xero.oauth;
  return {
    stores,
    xeroBudget: budget,
    xero: createXeroClient({
      apiUrl: config.xero.apiUrl,
      identityUrl: config.xero.identityUrl,
      logger,
      budget,
      observer: rt.metrics.xero,
      ...(app ? { oauth: { clientId: app.clientId, clientSecret: app.clientSecret, tokens: stores.xeroTokens } } : {}),
    }),
  };
}

/**
 * The worker run inside the web process (bin/start.ts) gets a pool of its own: sharing the web
 * path's, a burst of jobs kept 30 to 45 callbacks a half-second waiting for a connection (their p99
 * 158 ms against 50). Its stores, Xero budget and Xero client use that pool, as a worker process's
 * would; the pool is closed with the database.
 */
export function inProcessWorkerRuntime(runtime: Runtime, poolSize = WORKER_POOL_SIZE): Runtime {
  return { ...runtime, ...onDb(runtime.database.openPool(poolSize), runtime) };
}
