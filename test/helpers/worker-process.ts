import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../app/store/db.js';
import { createStores, type Stores } from '../../app/store/index.js';
import { createSecretBox } from '../../app/security/secrets.js';
import { jobRow } from '../../app/jobs/enqueue.js';
import { createPostgresDatabase, requirePostgres, type Engine } from './db.js';
import { getSims, REFUNDABLE, resetSims, type Sims } from './sims.js';
import { exitOf, waitFor, type Spawned } from './spawn.js';
import type { Job } from '../../app/store/jobs.js';

export interface ProcessDb {
  /** Environment for a spawned gateway process (worker, web, CLI) on this database and the simulators. */
  env: Record<string, string>;
  /** The stores on the same database, from this process. */
  withStores<T>(fn: (stores: Stores) => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}

export async function processDatabase(_engine: Engine, sims: Sims, extraEnv: Record<string, string> = {}): Promise<ProcessDb> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gw-proc-'));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
    PUBLIC_URL: 'https://gw.example.com',
    XERO_API_URL: sims.xeroUrl,
    XERO_IDENTITY_URL: sims.xeroUrl,
    XENDIT_API_URL: sims.xenditUrl,
    DEMO: 'false',
    WORKER_POLL_MS: '50',
    RECONCILE_INTERVAL_MINUTES: '0',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  // Every process of the test (worker, web, CLI, this one) shares one database on the test server.
  const made = await createPostgresDatabase();
  env.DATABASE_URL = made.url;
  const drop = made.drop;
  let shared: Promise<{ stores: Stores; close(): Promise<void> }> | undefined;
  const open = async () => {
    const opened = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir, poolSize: 2 });
    return { stores: createStores(opened.db, createSecretBox(env.SECRETS_KEY)), close: opened.close };
  };
  return {
    env,
    async withStores(fn) {
      shared ??= open();
      return fn((await shared).stores);
    },
    async cleanup() {
      if (shared) await (await shared).close();
      await drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A merchant whose customer opened a checkout: its Xendit invoice is PENDING, the checkout open. */
export async function seedOpenCheckout(stores: Stores, sims: Sims, tag: string) {
  const creds = { clientId: `proc-${tag}`, clientSecret: `secret-${tag}`, xenditKey: `xnd_development_${tag}` };
  const org = sims.xero.addOrganisation({
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    name: 'Toko Proc',
    shortCode: `!P${tag}`,
    baseCurrency: 'IDR',
  });
  const clearing = sims.xero.bankAccountFor(org.tenantId, 'Xendit');
  const inv = sims.xero.addInvoice({
    tenantId: org.tenantId,
    type: 'ACCREC',
    status: 'AUTHORISED',
    currency: 'IDR',
    invoiceNumber: `INV-${tag}`,
    contact: { name: 'Budi', email: 'budi@example.co.id' },
    lineItems: [{ description: 'Kopi', quantity: '1', unitAmount: '150000' }],
  });
  sims.xendit.registerAccount({ secretKey: creds.xenditKey, callbackToken: 'tok', businessName: 'Toko Proc' });
  const merchant = await stores.merchants.add({
    name: 'Toko Proc',
    shortCode: `!P${tag}`,
    xero: { clientId: creds.clientId, clientSecret: creds.clientSecret, tenantId: '' },
    xenditSecretKey: creds.xenditKey,
    callbackToken: 'tok',
    clearingAccountId: clearing.accountId,
    xeroTestOrganisation: true, // a simulated test company: test-key payments are recorded
  });
  const now = new Date();
  const checkoutId = randomUUID();
  const externalId = `xero-INV-${tag}-${checkoutId}`;
  const createFixtureInvoice = () =>
    sims.xenditClient.createInvoice(creds.xenditKey, {
      externalId,
      currency: 'IDR',
      amount: 150000,
      description: `Invoice INV-${tag}`,
      successRedirectUrl: 'https://gw.example.com/ok',
      failureRedirectUrl: 'https://gw.example.com/no',
      invoiceDurationSeconds: 86400,
    });
  // Fixture set-up, not code under test: on a loaded machine a pooled keep-alive socket was seen
  // reset (ECONNRESET) now and then; one more try keeps the test about what it tests.
  const x = await createFixtureInvoice().catch((err: unknown) => {
    if (!/ECONNRESET|socket hang up|fetch failed/i.test(String(err))) throw err;
    return createFixtureInvoice();
  });
  const claimed = await stores.checkouts.claim(
    {
      id: checkoutId,
      merchantId: merchant.id,
      xeroInvoiceId: inv.invoiceId,
      invoiceNumber: inv.invoiceNumber,
      currency: 'IDR',
      amount: 150000,
      externalId,
      expiresAt: new Date(now.getTime() + 86400_000),
    },
    now,
  );
  await stores.checkouts.open(claimed!.id, claimed!.updatedAt, x.id, x.invoiceUrl, now);
  return { merchantId: merchant.id, tenantId: org.tenantId, xenditKey: creds.xenditKey, xeroInvoiceId: inv.invoiceId, xenditInvoiceId: x.id, checkoutId };
}

/**
 * A merchant whose customer paid at Xendit, with the record-payment job queued exactly as the PAID
 * callback queues it: what a worker process picks up first.
 */
export async function seedPaidCheckout(stores: Stores, sims: Sims, tag: string) {
  const { checkoutId, ...seeded } = await seedOpenCheckout(stores, sims, tag);
  const x = { id: seeded.xenditInvoiceId };
  const now = new Date();
  await sims.xendit.pay(x.id, { sendCallback: false, ...REFUNDABLE });
  const recording = jobRow('record-payment', { merchantId: seeded.merchantId, xenditInvoiceId: x.id }, now);
  await stores.checkouts.markPaid((await stores.checkouts.byId(checkoutId))!, recording, now);
  const job = (await stores.jobs.list()).find((j) => j.payload.xenditInvoiceId === x.id)!;
  return {
    ...seeded,
    jobId: job.id,
    dedupeKey: recording.dedupe_key!,
  };
}

/**
 * The frame of a suite that kills worker processes (SIGKILL at crash points): each scenario spawns
 * two workers (~1 s each to start when idle, many times that on a loaded 2-core CI), so the waits
 * are on events and these bounds only stop a hang; PostgreSQL required; the shared simulators reset.
 */
export function crashSuite(suite: Mocha.Suite): {
  guardMs: number;
  exitOf: (w: Spawned) => Promise<string>;
  /** The restarted worker ends the job done (not in review), then stops cleanly on SIGTERM. */
  survivorFinishes: (point: string, survivor: Spawned, job: () => Promise<Job | null>) => Promise<void>;
} {
  const guardMs = 240_000;
  suite.timeout(300_000);
  before(async function () {
    await requirePostgres(this, 'crash points');
    await getSims();
    resetSims();
  });
  const exitOfSuite = (w: Spawned) => exitOf(w, guardMs);
  async function survivorFinishes(point: string, survivor: Spawned, job: () => Promise<Job | null>): Promise<void> {
    const settled = await waitFor(
      'the restarted worker to finish the job',
      async () => {
        const j = await job();
        return j && ['done', 'needs_review'].includes(j.state) ? j : undefined;
      },
      guardMs,
    ).catch((err: Error) => {
      throw new Error(`${point}: ${err.message}\n${survivor.output()}`);
    });
    assert.equal(settled.state, 'done', `${point}: job ${settled.state}: ${settled.lastError}`);
    survivor.child.kill('SIGTERM');
    assert.equal(await exitOfSuite(survivor), 'code 0', `${point}: clean exit`);
  }
  return { guardMs, exitOf: exitOfSuite, survivorFinishes };
}
