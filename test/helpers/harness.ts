import type { AddressInfo } from 'node:net';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import request from 'supertest';
import { sql } from 'kysely';
import { loadConfig } from '../../config/index.js';
import { ONE_ADDRESS_MANY_CUSTOMERS } from './pay-limits.js';
import { createApp, type AppDeps } from '../../app/server.js';
import { createStores, type Stores } from '../../app/store/index.js';
import { createSecretBox } from '../../app/security/secrets.js';
import { createWorker } from '../../app/bin/worker.js';
import type { Db } from '../../app/store/db.js';
import type { Merchant } from '../../app/store/merchants.js';
import { callbackPathFor, refundCallbackPathFor } from '../../app/paths.js';
import { getSims, REFUNDABLE, resetSims, SIM_CLIENT_TIMEOUT_MS, type PaidBy } from './sims.js';

export { REFUNDABLE };
import { createXeroClient } from '../../app/clients/xero/index.js';
import { createXeroBudget, type XeroLimits } from '../../app/store/xero-budget.js';

/** The harness's SECRETS_KEY, for a CLI run against the same database. */
export const SECRETS_KEY = randomBytes(32).toString('base64');
export const box = createSecretBox(SECRETS_KEY);

/** A clock tests move by hand. */
export function manualClock(start = new Date('2026-11-25T03:00:00Z')) {
  let now = start.getTime();
  const clock = () => new Date(now);
  clock.advance = (ms: number) => {
    now += ms;
  };
  return clock;
}

export interface Harness {
  app: ReturnType<typeof createApp>;
  /** What app was built from, to build a variant (another logger, say). */
  deps: AppDeps;
  baseUrl: string;
  stores: Stores;
  merchant: Merchant;
  tenantId: string;
  clearingAccountId: string;
  clearingPhpAccountId: string;
  clock: ReturnType<typeof manualClock>;
  sims: Awaited<ReturnType<typeof getSims>>;
  worker: ReturnType<typeof createWorker>;
  addInvoice(seed: Partial<Parameters<Awaited<ReturnType<typeof getSims>>['xero']['addInvoice']>[0]>): { invoiceId: string; invoiceNumber: string };
  payUrl(invoiceNumber: string, extra?: Record<string, string>): string;
  callbackPath: string;
  count(table: 'callback_events' | 'jobs' | 'checkouts' | 'payments'): Promise<number>;
  /** Serve another build of the app (other deps) at baseUrl from now on. */
  serve(app: (req: IncomingMessage, res: ServerResponse) => void): void;
  close(): Promise<void>;
}

let seq = 0;

/**
 * Empties the tables a harness starts from. A delivery the simulators had in flight to the previous
 * test's app (a callback, a signed Xero webhook) may still be writing: TRUNCATE's locks can then
 * deadlock with it, and PostgreSQL aborts one of the two (40P01); the truncate is simply tried again.
 */
async function truncateAll(db: Db): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`truncate jobs, payments, callback_events, checkouts, merchants, rate_limits restart identity cascade`.execute(db);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt === 5) throw err;
    }
  }
}

/**
 * The gateway as it runs in production (createApp + worker), wired to the simulators and a real
 * database, listening on an ephemeral port so the Xendit simulator can call back.
 */
export async function createHarness(
  db: Db,
  opts: {
    creationWaitMs?: number;
    env?: Record<string, string>;
    /** Count Xero calls in the DB with these limits (default: unlimited). */ xeroLimits?: Partial<XeroLimits>;
  } = {},
): Promise<Harness> {
  const sims = await getSims();
  resetSims();
  await truncateAll(db);
  const clock = manualClock();
  const logger = pino({ level: 'silent' });
  const stores = createStores(db, box);
  const n = ++seq;
  const creds = { clientId: `client-${n}`, clientSecret: `secret-${n}`, shortCode: `!T${n}x`, xenditKey: `xnd_development_k${n}`, token: `cb-token-${n}` };
  const org = sims.xero.addOrganisation({
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    name: 'Toko Test',
    shortCode: creds.shortCode,
    baseCurrency: 'IDR',
  });
  const clearing = sims.xero.bankAccountFor(org.tenantId, 'Xendit');
  const clearingPhp = sims.xero.addAccount(org.tenantId, { code: '092', name: 'Xendit PHP', type: 'BANK', currencyCode: 'PHP' });
  const merchant = await stores.merchants.add({
    name: 'Toko Test',
    shortCode: creds.shortCode,
    xero: { clientId: creds.clientId, clientSecret: creds.clientSecret, tenantId: '' },
    xenditSecretKey: creds.xenditKey,
    callbackToken: creds.token,
    clearingAccountId: clearing.accountId,
    clearingCurrency: clearing.currencyCode ?? org.baseCurrency,
    clearingAccounts: { PHP: clearingPhp.accountId },
    // The simulated organisation is a test company: the harness's test-key payments are recorded in it.
    xeroTestOrganisation: true,
  });

  const xeroBudget = opts.xeroLimits ? createXeroBudget(db, clock, opts.xeroLimits) : undefined;
  const xero = xeroBudget
    ? createXeroClient({ apiUrl: sims.xeroUrl, identityUrl: sims.xeroUrl, timeoutMs: SIM_CLIENT_TIMEOUT_MS, now: clock, budget: xeroBudget })
    : sims.xeroClient;
  const worker = createWorker({ stores, xero, xendit: sims.xenditClient, clock, logger });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const deps: AppDeps = {
    config: loadConfig({
      PUBLIC_URL: baseUrl,
      DEMO: 'false',
      XENDIT_CHECKOUT_HOSTS: new URL(sims.xenditUrl).host,
      LOG_LEVEL: 'silent',
      // A test's customers all click from its one address; pay-rate-limit.test.ts sets these limits itself.
      ...ONE_ADDRESS_MANY_CUSTOMERS,
      ...opts.env,
    }),
    stores,
    xero,
    xeroBudget,
    xendit: sims.xenditClient,
    clock,
    logger,
    creationWaitMs: opts.creationWaitMs,
  };
  const app = createApp(deps);
  let serving: (req: IncomingMessage, res: ServerResponse) => void = app;
  server.on('request', (req, res) => serving(req, res));

  const callbackPath = callbackPathFor(merchant.id);
  sims.xendit.registerAccount({ secretKey: creds.xenditKey, callbackToken: creds.token, callbackUrl: baseUrl + callbackPath, businessName: 'Toko Test' });

  return {
    app,
    deps,
    baseUrl,
    stores,
    merchant,
    tenantId: org.tenantId,
    clearingAccountId: clearing.accountId,
    clearingPhpAccountId: clearingPhp.accountId,
    clock,
    sims,
    worker,
    callbackPath,
    addInvoice(seed) {
      const invoiceNumber = seed.invoiceNumber ?? `INV-${n}-${Math.random().toString(36).slice(2, 7)}`;
      const created = sims.xero.addInvoice({
        tenantId: org.tenantId,
        type: 'ACCREC',
        status: 'AUTHORISED',
        currency: 'IDR',
        contact: { name: 'Budi', email: 'budi@example.co.id' },
        lineItems: [{ description: 'Kopi', quantity: '2', unitAmount: '75000' }],
        ...seed,
        invoiceNumber,
      });
      return { invoiceId: created.invoiceId, invoiceNumber };
    },
    payUrl(invoiceNumber, extra = {}) {
      // What Xero fills in when the customer opens the invoice now: its currency and amount due. Nothing
      // due (paid, voided): the link the customer kept from while it was due, as zero proves nothing (link-hint.ts).
      const inv = sims.xero.listInvoices(org.tenantId).find((i) => i.invoiceNumber === invoiceNumber);
      const amount = inv && Number(inv.amountDue) > 0 ? inv.amountDue : inv?.total;
      const hint = inv ? { currency: inv.currencyCode, amount: amount! } : { currency: 'IDR', amount: '1.00' };
      return `/pay?${new URLSearchParams({ invoiceNo: invoiceNumber, ...hint, shortCode: creds.shortCode, ...extra })}`;
    },
    async count(table) {
      const r = await db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    serve(next) {
      serving = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The database dates the harness's merchant by the wall clock, which is after the test's clock (it
 * starts in the past). A test whose Xendit simulator dates money by the test's clock (useClock) has
 * the merchant added at the test's start instead: a key stored with its merchant is listed from the
 * merchant's creation (jobs/sync/key-business.ts listedSince), and money older than that is not.
 */
export async function addedAtTheTestsStart(h: Harness): Promise<void> {
  await h.stores.db.updateTable('merchants').set({ created_at: h.clock() }).where('id', '=', h.merchant.id).execute();
  h.merchant = (await h.stores.merchants.byId(h.merchant.id))!;
}

/**
 * A customer pays an invoice through the gateway: the pay click, payment at the Xendit simulator
 * (its own callback held back), then the PAID callback. The worker is not run. `afterCheckout` acts
 * in Xero once the checkout exists; `beforeCallback` changes what Xendit reports (fee, VAT, paid_at…).
 */
export async function paidThroughGateway(
  h: Harness,
  opts: {
    invoice?: Parameters<Harness['addInvoice']>[0];
    afterCheckout?: (inv: { invoiceId: string }) => void;
    beforeCallback?: (x: { id: string; external_id: string }) => void;
    /** How the customer pays at Xendit; a BCA virtual account (never refundable) unless given. */
    paidBy?: PaidBy;
  } = {},
) {
  const inv = h.addInvoice(opts.invoice ?? {});
  await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
  opts.afterCheckout?.(inv);
  const x = h.sims.xendit.listInvoices().at(-1)!;
  await h.sims.xendit.pay(x.id, { sendCallback: false, ...opts.paidBy });
  opts.beforeCallback?.(x);
  await paidCallback(h, x);
  return { inv, x };
}

/**
 * A sale made outside Xero, as the backend flow takes it: the merchant's backend flow on, an invoice
 * of IDR 150 000 made at the Xendit simulator (not through /pay) and paid by a refundable channel.
 * `sendCallback: false` holds its PAID callback back. Returns the invoice and Xendit's answer to the payment.
 */
export async function backendSalePaid(h: Harness, opts: { sendCallback?: boolean } = {}) {
  await h.stores.db.updateTable('merchants').set({ backend_flow: true }).where('id', '=', h.merchant.id).execute();
  const x = h.sims.xendit.createInvoice({
    account: h.merchant.xenditSecretKey,
    currency: 'IDR',
    amount: 150_000,
    description: 'Catering',
    customerName: 'Sari',
  });
  const paid = await h.sims.xendit.pay(x.id, { ...(opts.sendCallback === false ? { sendCallback: false } : {}), ...REFUNDABLE });
  return { x, paid };
}

/** Xendit's refund.succeeded webhook for a refund (only a hint: the job reads the refund). */
export function refundWebhook(h: Harness, refundId: string, token = h.merchant.callbackToken) {
  return request(h.app)
    .post(refundCallbackPathFor(h.merchant.id))
    .set('x-callback-token', token)
    .send({ event: 'refund.succeeded', business_id: 'b', created: new Date().toISOString(), data: { id: refundId, status: 'SUCCEEDED', amount: 1 } });
}

/** Xendit's PAID callback of an invoice paid at the simulator, delivered to the gateway (200). */
export async function paidCallback(h: Harness, x: { id: string; external_id: string }) {
  // The body Xendit sends (its payment_id among it) for an invoice the simulator holds.
  await request(h.app)
    .post(h.callbackPath)
    .set('x-callback-token', h.merchant.callbackToken)
    .send({ ...h.sims.xendit.test.callbackBody(x.id), id: x.id, external_id: x.external_id, status: 'PAID' })
    .expect(200);
}
