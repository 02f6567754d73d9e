/**
 * Everything the bench measures, started in this process on 127.0.0.1: the Xero and Xendit
 * simulators behind a fixed-latency delay, the gateway (createApp + worker, as `npm start` wires
 * them) and a bare Express baseline that makes the same upstream calls with the same clients.
 */
import express, { type RequestHandler } from 'express';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { loadConfig, type Config } from '../config/index.js';
import { createApp } from '../app/server.js';
import { createHttpServer } from '../app/http.js';
import { DEFAULT_XERO_BATCH_SIZE } from '../app/jobs/registry.js';
import { createWorker } from '../app/bin/worker.js';
import { createLogger } from '../app/bin/bootstrap.js';
import { createStores, type Stores } from '../app/store/index.js';
import { openDatabase, WORKER_POOL_SIZE, type OpenedDatabase } from '../app/store/db.js';
import { createSecretBox } from '../app/security/secrets.js';
import { createXeroClient } from '../app/clients/xero/index.js';
import { createXenditClient } from '../app/clients/xendit/index.js';
import type { XenditGateway } from '../app/clients/xendit/types.js';
import { unlimitedXeroBudget } from '../app/clients/xero/budget.js';
import type { XeroGateway } from '../app/clients/xero/types.js';
import { createXeroSimulator, type XeroSimLimits } from '../app/simulators/xero/index.js';
import { createXeroBudget, type XeroLimits } from '../app/store/xero-budget.js';
import type { Clock } from '../app/clock.js';
import { createXenditSimulator } from '../app/simulators/xendit/index.js';
import type { Merchant } from '../app/store/merchants.js';
import { callbackPathFor } from '../app/paths.js';
import { systemClock } from '../app/clock.js';
import { createPostgresDatabase } from './databases.js';
import type { WorkerProcessCommand, WorkerProcessJob } from './worker-process.js';

export type Engine = 'embedded' | 'postgres';

/** Upstream latency each simulator adds to every request; mutable so setup can run at full speed. */
export interface Latency {
  xeroMs: number;
  xenditMs: number;
}

const delay =
  (get: () => number): RequestHandler =>
  (_req, _res, next) => {
    const ms = get();
    if (ms > 0) setTimeout(next, ms);
    else next();
  };

async function listen(handler: express.Express): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** `now`: the simulators' clock (the drain compresses time); `limits`: Xero's, default unlimited. */
export async function startSims(latency: Latency, opts: { now?: () => Date; limits?: Partial<XeroSimLimits> } = {}) {
  // The latency is inside Xero's admission: a call is in flight (for the 5-concurrent limit) while it takes.
  const xero = createXeroSimulator({
    now: opts.now,
    latencyMs: () => latency.xeroMs,
    limits: { perMinute: 1e9, perDay: 1e9, appPerMinute: 1e9, ...opts.limits },
  });
  const xeroApp = express();
  // Answers of Xero's API by status, as the customer of the API sees them (429s included).
  const xeroStatuses = new Map<number, number>();
  // And by "METHOD /Resource status", to see what each drained event costs.
  const xeroCalls = new Map<string, number>();
  xeroApp.use((req, res, next) => {
    if (req.path.startsWith('/api.xro/'))
      res.on('finish', () => {
        xeroStatuses.set(res.statusCode, (xeroStatuses.get(res.statusCode) ?? 0) + 1);
        const key = `${req.method} ${req.path.split('/')[3]} ${res.statusCode}`;
        xeroCalls.set(key, (xeroCalls.get(key) ?? 0) + 1);
      });
    next();
  });
  xeroApp.use(xero.router);
  const xeroSrv = await listen(xeroApp);

  const xenditApp = express();
  // Xendit's API calls by "METHOD /resource": what each drained payment costs at Xendit.
  const xenditCalls = new Map<string, number>();
  xenditApp.use((req, _res, next) => {
    const key = `${req.method} /${req.path.split('/')[1] === 'v2' ? `v2/${req.path.split('/')[2]}${req.path.split('/').length > 3 ? '/:id' : ''}` : req.path.split('/')[1]}`;
    xenditCalls.set(key, (xenditCalls.get(key) ?? 0) + 1);
    next();
  });
  // The checkout base URL is only known once listening: mount the router lazily.
  // eslint-disable-next-line prefer-const -- set once listening; the handler above reads it later
  let xenditRouter: express.Router | undefined;
  xenditApp.use(
    delay(() => latency.xenditMs),
    (req, res, next) => xenditRouter!(req, res, next),
  );
  const xenditSrv = await listen(xenditApp);
  // Xendit's 60 calls a minute per endpoint of a test account would cap the bench's sequential
  // clicks and its set-up (hundreds of invoices made through the API in seconds): the bench measures
  // the gateway, so it lifts them, as it does Xero's; the drain reports its Xendit calls per payment.
  const xendit = createXenditSimulator({ checkoutBaseUrl: xenditSrv.url, limits: { testPerMinute: 1e9, livePerMinute: 1e9 } });
  xenditRouter = xendit.router;

  return {
    xero,
    xendit,
    xeroStatuses,
    xeroCalls,
    xenditCalls,
    xeroUrl: xeroSrv.url,
    xenditUrl: xenditSrv.url,
    close: () => closeAll([xeroSrv.server, xenditSrv.server]),
  };
}
export type Sims = Awaited<ReturnType<typeof startSims>>;

async function closeAll(servers: Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.closeAllConnections();
          s.close(() => resolve());
        }),
    ),
  );
}

/** An empty database of that engine: PGlite on disk in a temp dir (as `npm start`), or a temp PostgreSQL database. */
export async function openBenchDatabase(engine: Engine): Promise<OpenedDatabase & { url?: string }> {
  if (engine === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
    const opened = await openDatabase({ dataDir: dir });
    return { ...opened, close: async () => (await opened.close(), rmSync(dir, { recursive: true, force: true })) };
  }
  const created = await createPostgresDatabase();
  const opened = await openDatabase({ databaseUrl: created.url, dataDir: 'unused' });
  return { ...opened, url: created.url, close: async () => (await opened.close(), await created.drop()) };
}

/** The worker started and stopped as a whole (bench/callbacks.ts), in this process or its own. */
export interface BenchWorker {
  start(pollMs: number, concurrency: number): void;
  stop(): Promise<void>;
}

const workerScript = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/** bench/worker-process.ts started: resolves once its database is open. */
async function startWorkerProcess(job: WorkerProcessJob): Promise<BenchWorker> {
  const child = spawn(process.execPath, [...process.execArgv, workerScript], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_WORKER_JOB: JSON.stringify(job) },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`bench worker process exited with ${code}`)));
  });
  const send = (m: WorkerProcessCommand) => child.send(m);
  return {
    start: (pollMs, concurrency) => send({ start: { pollMs, concurrency } }),
    async stop() {
      if (child.exitCode === null) send({ stop: true });
      await exited;
    },
  };
}

export interface Stack {
  engine: Engine;
  sims: Sims;
  stores: Stores;
  merchant: Merchant;
  tenantId: string;
  shortCode: string;
  gatewayUrl: string;
  baselineUrl: string;
  callbackPath: string;
  callbackToken: string;
  worker: ReturnType<typeof createWorker>;
  /**
   * On PostgreSQL, the worker in a process of its own, as the Procfile runs it there (`npm start`
   * runs it in the web process only with the embedded database); undefined: `worker` is the one.
   */
  separateWorker?: () => Promise<BenchWorker>;
  workerConcurrency: number;
  xendit: XenditGateway;
  addInvoice(invoiceNumber: string): { invoiceId: string; invoiceNumber: string };
  payPath(invoiceNumber: string): string;
  /** One new invoice in each of `orgs` organisations (the stack's own and orgs − 1 new merchants): their pay paths. */
  payPathsOver(orgs: number, tag: string): Promise<string[]>;
  count(table: 'callback_events' | 'jobs' | 'checkouts' | 'payments'): Promise<number>;
  close(): Promise<void>;
}

/**
 * The gateway's configuration, as `npm start` reads it from its environment. The per-IP and
 * per-ShortCode click counters stay on (their upsert is part of every click), with limits a load
 * generator on one address does not reach.
 */
function gatewayConfig(publicUrl: string, xenditUrl: string, secretsKey: string): Config {
  return loadConfig({
    PUBLIC_URL: publicUrl,
    DEMO: 'false',
    XENDIT_CHECKOUT_HOSTS: new URL(xenditUrl).host,
    NODE_ENV: 'production',
    SECRETS_KEY: secretsKey,
    LOG_LEVEL: 'info',
    PAY_RATE_LIMIT_PER_IP: '1000000000',
    PAY_RATE_LIMIT_PER_SHORTCODE: '1000000000',
    PAY_RATE_LIMIT_PER_INVOICE: '1000000000',
    PAY_UNKNOWN_PER_WINDOW: '1000000000',
    PAY_RATE_LIMIT_PER_CLIENT: '1000000000',
    PAY_UNKNOWN_PER_CLIENT: '1000000000',
    PAY_UNKNOWN_PER_NETWORK: '1000000000',
    PAY_UNKNOWN_XERO_PERCENT: '100',
    // Every repeat click reads Xero, as the baseline's does: the ratio compares the same work (the
    // 30 s reuse of a fresh read and the day shares of known links would skip or refuse reads).
    PAY_READ_REUSE_SECONDS: '0',
    PAY_INVOICE_XERO_PERCENT: '100',
    PAY_KNOWN_XERO_PERCENT: '100',
  });
}

let seq = 0;

export interface StackOptions {
  /** The gateway's clock (the drain compresses time; the simulators run on the same one). */
  clock?: Clock;
  /** Xero limits of the gateway's shared budget (app/store/xero-budget.ts, as `npm start` wires it). */
  xeroLimits?: Partial<XeroLimits>;
  workerConcurrency?: number;
  /** XERO_BATCH_SIZE of the worker (default: the configuration's default). */
  xeroBatchSize?: number;
  /** A migrated database to run on instead of a new one of the engine's (the tests: their suite's); closed with the stack. */
  database?: OpenedDatabase;
}

/** Limits no bench phase but the drain reaches: the budget still counts every call in the database. */
export const UNREACHED_XERO_LIMITS: Partial<XeroLimits> = { perMinute: 1e9, perDay: 1e9, appPerMinute: 1e9, maxInFlight: 1e6 };

export async function startStack(engine: Engine, sims: Sims, opts: StackOptions = {}): Promise<Stack> {
  const clock = opts.clock ?? systemClock;
  const database: OpenedDatabase & { url?: string } = opts.database ?? (await openBenchDatabase(engine));
  // Request logs are written as in production (npm start's logger: info, one line per request, its
  // redactions), to a sink. A bare pino logged each callback's x-callback-token, at less cost.
  const logger = createLogger({ logLevel: 'info', env: 'production' }, pino.destination('/dev/null') as unknown as NodeJS.WritableStream);
  const secretBoxKey = randomBytes(32).toString('base64');
  const box = createSecretBox(secretBoxKey);
  const stores = createStores(database.db, box);
  const budget = createXeroBudget(database.db, clock, opts.xeroLimits ?? UNREACHED_XERO_LIMITS);
  const xero = createXeroClient({ apiUrl: sims.xeroUrl, identityUrl: sims.xeroUrl, logger, budget, now: clock });
  const xendit = createXenditClient({ apiUrl: sims.xenditUrl, logger });
  // The worker on its own pool, as npm start runs it (inProcessWorkerRuntime in app/bin/bootstrap.ts).
  const workerDb = database.openPool(WORKER_POOL_SIZE);
  const workerBudget = createXeroBudget(workerDb, clock, opts.xeroLimits ?? UNREACHED_XERO_LIMITS);
  const workerXero = createXeroClient({ apiUrl: sims.xeroUrl, identityUrl: sims.xeroUrl, logger, budget: workerBudget, now: clock });
  // The baseline is the least a /pay can do: no budget bookkeeping in our database.
  const bareXero = createXeroClient({ apiUrl: sims.xeroUrl, identityUrl: sims.xeroUrl, logger, budget: unlimitedXeroBudget });

  const secretsKey = randomBytes(32).toString('base64');
  // The server `npm start` runs (app/http.ts: keep-alive 65 s, its header and request timeouts), not
  // Node's defaults. With Node's 5 s keep-alive the load generator's agent drops an idle socket after
  // 4 s and the gateway after 6 s, so a stall of 2 s in either process at the wrong moment leaves a
  // callback written on a socket the gateway closes unanswered (ECONNRESET), which npm start's server
  // does not do within a run. Its timeouts do not depend on the URL, only known once listening.
  // eslint-disable-next-line prefer-const -- set once listening; the server's handler reads it later
  let app: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const gatewayServer = createHttpServer((req, res) => app!(req, res), gatewayConfig('http://127.0.0.1', sims.xenditUrl, secretsKey).http);
  await new Promise<void>((resolve) => gatewayServer.listen(0, '127.0.0.1', resolve));
  const gatewayUrl = `http://127.0.0.1:${(gatewayServer.address() as AddressInfo).port}`;
  /** One more organisation in the simulated Xero with its merchant in the gateway (and its Xendit account). */
  async function addMerchant() {
    const n = ++seq;
    const creds = { clientId: `bench-${n}`, clientSecret: `secret-${n}`, shortCode: `!B${n}x`, xenditKey: `xnd_development_bench${n}`, token: `cb-${n}` };
    const org = sims.xero.addOrganisation({
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      name: `Bench ${n}`,
      shortCode: creds.shortCode,
      baseCurrency: 'IDR',
    });
    const clearing = sims.xero.bankAccountFor(org.tenantId, 'Xendit');
    const merchant = await stores.merchants.add({
      name: `Bench ${n}`,
      shortCode: creds.shortCode,
      xero: { clientId: creds.clientId, clientSecret: creds.clientSecret, tenantId: '' },
      xenditSecretKey: creds.xenditKey,
      callbackToken: creds.token,
      clearingAccountId: clearing.accountId,
      clearingCurrency: 'IDR', // as the admin's account picker stores it: the click does not read it from Xero
      xeroTestOrganisation: true, // a simulated test company: test-key payments are recorded
    });
    baselineMerchants.set(creds.shortCode, { creds: merchant.xero, xenditKey: creds.xenditKey });
    sims.xendit.registerAccount({
      secretKey: creds.xenditKey,
      callbackToken: creds.token,
      callbackUrl: gatewayUrl + callbackPathFor(merchant.id),
      businessName: `Bench ${n}`,
    });
    return { creds, org, merchant };
  }
  const baselineMerchants = new Map<string, BaselineMerchant>();
  const { creds, org, merchant } = await addMerchant();
  const addInvoiceTo = (tenantId: string, invoiceNumber: string) =>
    sims.xero.addInvoice({
      tenantId,
      invoiceNumber,
      type: 'ACCREC',
      status: 'AUTHORISED',
      currency: 'IDR',
      contact: { name: 'Budi', email: 'budi@example.co.id' },
      lineItems: [{ description: 'Kopi', quantity: '2', unitAmount: '75000' }],
    });
  const payPathOf = (shortCode: string, invoiceNumber: string) =>
    `/pay?${new URLSearchParams({ invoiceNo: invoiceNumber, currency: 'IDR', amount: '150000.00', shortCode })}`;

  // A long lease: a compressed clock must not make a job look abandoned while it runs.
  const worker = createWorker({
    stores: createStores(workerDb, box),
    xero: workerXero,
    xendit,
    clock,
    logger,
    config: {
      reconcile: { intervalMinutes: 0, minAgeMinutes: 5, batch: 50 },
      jobLeaseSeconds: 86_400,
      crashAt: undefined,
      xeroBatchSize: opts.xeroBatchSize ?? DEFAULT_XERO_BATCH_SIZE,
    },
  });
  const workerConcurrency = opts.workerConcurrency ?? 10;
  app = createApp({
    config: gatewayConfig(gatewayUrl, sims.xenditUrl, secretsKey),
    stores,
    xero,
    xeroBudget: budget,
    xendit,
    clock,
    logger,
    onJobEnqueued: worker.wake,
  });
  const callbackPath = callbackPathFor(merchant.id);

  const baseline = await listen(baselineApp({ xero: bareXero, xendit, merchants: baselineMerchants }));

  return {
    engine,
    sims,
    stores,
    merchant,
    tenantId: org.tenantId,
    shortCode: creds.shortCode,
    gatewayUrl,
    baselineUrl: baseline.url,
    callbackPath,
    callbackToken: creds.token,
    worker,
    // Not with another clock (the drain's compressed one is this process's): the worker must share it.
    separateWorker:
      database.url && !opts.clock
        ? () =>
            startWorkerProcess({
              databaseUrl: database.url!,
              secretBoxKey,
              xeroUrl: sims.xeroUrl,
              xenditUrl: sims.xenditUrl,
              xeroLimits: opts.xeroLimits ?? UNREACHED_XERO_LIMITS,
              xeroBatchSize: opts.xeroBatchSize,
            })
        : undefined,
    workerConcurrency,
    xendit,
    addInvoice: (invoiceNumber) => addInvoiceTo(org.tenantId, invoiceNumber),
    payPath: (invoiceNumber) => payPathOf(creds.shortCode, invoiceNumber),
    async payPathsOver(orgs, tag) {
      const paths = [payPathOf(creds.shortCode, addInvoiceTo(org.tenantId, `${tag}-0`).invoiceNumber)];
      for (let i = 1; i < orgs; i++) {
        const more = await addMerchant();
        paths.push(payPathOf(more.creds.shortCode, addInvoiceTo(more.org.tenantId, `${tag}-${i}`).invoiceNumber));
      }
      return paths;
    },
    async count(table) {
      const r = await database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async close() {
      await worker.stop();
      await closeAll([gatewayServer, baseline.server]);
      await database.close();
    },
  };
}

/**
 * The least a /pay can do: read the invoice from Xero with the same client and redirect.
 * /pay = a repeat click (the checkout URL is already known); /pay-first also creates the Xendit
 * invoice, as a first click must.
 */
interface BaselineMerchant {
  creds: Merchant['xero'];
  xenditKey: string;
}

function baselineApp(deps: { xero: XeroGateway; xendit: XenditGateway; merchants: Map<string, BaselineMerchant> }): express.Express {
  const app = express();
  const known = new Map<string, string>();
  const merchantOf = (req: express.Request) => deps.merchants.get(String(req.query.shortCode));
  app.get('/pay', async (req, res) => {
    const number = String(req.query.invoiceNo);
    const m = merchantOf(req);
    if (!m) return void res.status(404).end();
    const invoice = await deps.xero.findInvoiceByNumber(m.creds, number);
    if (!invoice) return void res.status(404).end();
    res.redirect(303, known.get(number) ?? `https://checkout.example/${invoice.invoiceId}`);
  });
  app.get('/pay-first', async (req, res) => {
    const number = String(req.query.invoiceNo);
    const m = merchantOf(req);
    if (!m) return void res.status(404).end();
    const invoice = await deps.xero.findInvoiceByNumber(m.creds, number);
    if (!invoice) return void res.status(404).end();
    const created = await deps.xendit.createInvoice(m.xenditKey, {
      externalId: `baseline-${invoice.invoiceId}`,
      currency: 'IDR',
      amount: 150000,
      description: `Invoice ${number}`,
      payerEmail: invoice.contactEmail,
      invoiceDurationSeconds: 86400,
      successRedirectUrl: 'https://merchant.example/paid',
      failureRedirectUrl: 'https://merchant.example/failed',
    });
    known.set(number, created.invoiceUrl);
    res.redirect(303, created.invoiceUrl);
  });
  // A request cut off when a run ends (its upstream closed) is not worth a stack trace.
  app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(503).end();
  });
  return app;
}
