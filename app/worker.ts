import { pathToFileURL } from 'node:url';
import { boot, createLogger, type Runtime } from './bin/bootstrap.js';
import { ConfigError, type Config } from '../config/index.js';
import { EmbeddedDatabaseError } from './store/db.js';
import { VERIFY_CHECKOUT_JOB, verifyCheckoutJob } from './sync/verify-checkout.js';
import { createJobRunner, type JobRunner } from './sync/runner.js';
import { createBankAccountCache, flagPaymentForReview, recordPaymentJob } from './sync/record-payment.js';
import { postFeeJob } from './sync/post-fee.js';
import { recordBackendPaymentJob } from './sync/record-backend-payment.js';
import { RECORD_BACKEND_PAYMENT_JOB } from './store/callbacks.js';
import { POST_FEE_JOB } from './store/payments.js';
import { reconcileJob, scheduleReconcile } from './sync/reconcile.js';
import { crashHook } from './sync/crash-points.js';
import { LIST_PAID_JOB, listPaidInvoicesJob, scheduleListing } from './sync/list-paid.js';
import type { Metrics } from './metrics/index.js';
import { HOUSEKEEPING_JOB, housekeepingJob, scheduleHousekeeping } from './sync/housekeeping.js';

type WorkerRuntime = Pick<Runtime, 'stores' | 'xero' | 'xendit' | 'clock' | 'logger'> & {
  metrics?: Pick<Metrics, 'webhookLag'>;
  config?: Pick<Config, 'reconcile' | 'jobLeaseSeconds' | 'crashAt'> & Partial<Pick<Config, 'backendListing'>>;
};

const RECONCILE_DEFAULTS: Config['reconcile'] = { intervalMinutes: 10, minAgeMinutes: 5, batch: 50 };
const LISTING_DEFAULTS: Config['backendListing'] = { intervalMinutes: 10, pageSize: 100, maxPages: 5, lookbackMinutes: 60 };
/** Invoices paid this recently are left to the next listing run. */
const LISTING_LAG_SECONDS = 60;

/** The job runner with every job kind the gateway knows. */
export function createWorker(runtime: WorkerRuntime) {
  const reconcile = runtime.config?.reconcile ?? RECONCILE_DEFAULTS;
  const listing = runtime.config?.backendListing ?? LISTING_DEFAULTS;
  // Recording payments (their reads included) may spend the share of Xero's daily budget kept for them.
  const payments = { ...runtime, xero: runtime.xero.forPurpose('payment-write'), bankAccounts: createBankAccountCache(runtime.clock) };
  return createJobRunner({
    jobs: runtime.stores.jobs,
    clock: runtime.clock,
    logger: runtime.logger.child({ component: 'worker' }),
    leaseMs: (runtime.config?.jobLeaseSeconds ?? 300) * 1000,
    onNeedsReview: flagPaymentForReview(runtime),
    // A record-payment job is queued in the statement that stores its callback: its age when done
    // is the webhook's lag, callback to payment in Xero.
    onDone: (job, at) => {
      if (job.kind === 'record-payment' && job.createdAt) runtime.metrics?.webhookLag((at.getTime() - job.createdAt.getTime()) / 1000);
    },
    handlers: {
      'record-payment': recordPaymentJob({ ...payments, crash: crashHook(runtime.config?.crashAt) }),
      [POST_FEE_JOB]: postFeeJob(payments),
      [VERIFY_CHECKOUT_JOB]: verifyCheckoutJob(runtime),
      [RECORD_BACKEND_PAYMENT_JOB]: recordBackendPaymentJob({ ...payments, crash: crashHook(runtime.config?.crashAt) }),
      reconcile: reconcileJob(runtime, { minAgeMinutes: reconcile.minAgeMinutes, batch: reconcile.batch }),
      [HOUSEKEEPING_JOB]: housekeepingJob(runtime),
      [LIST_PAID_JOB]: listPaidInvoicesJob(runtime, {
        pageSize: listing.pageSize,
        maxPages: listing.maxPages,
        lookbackMinutes: listing.lookbackMinutes,
        lagSeconds: LISTING_LAG_SECONDS,
      }),
    },
  });
}

/**
 * Queues reconcile, listing and housekeeping runs, each on its own interval (checked each minute;
 * the dedupe key makes every worker's tick in the same interval one run). Returns a stop function.
 */
export function startSchedules(runtime: Pick<Runtime, 'stores' | 'clock' | 'logger' | 'config'>, worker: JobRunner): () => void {
  const stops = [
    every(runtime, worker, runtime.config.reconcile.intervalMinutes, scheduleReconcile, 'reconciliation'),
    every(runtime, worker, runtime.config.backendListing?.intervalMinutes ?? 0, scheduleListing, 'listing of paid Xendit invoices'),
    every(runtime, worker, runtime.config.housekeepingIntervalMinutes ?? 10, scheduleHousekeeping, 'housekeeping'),
  ];
  return () => stops.forEach((stop) => stop());
}

/** Queues a run every `minutes` (checked each minute; the dedupe key makes every worker's tick in one interval one run). */
function every(
  runtime: Pick<Runtime, 'stores' | 'clock' | 'logger'>,
  worker: JobRunner,
  minutes: number,
  schedule: (deps: Pick<Runtime, 'stores' | 'clock'>, intervalMinutes: number) => Promise<boolean>,
  what: string,
): () => void {
  if (minutes <= 0) return () => undefined;
  const tick = async () => {
    try {
      if (await schedule(runtime, minutes)) worker.wake();
    } catch (err) {
      runtime.logger.warn({ err: String(err) }, `could not schedule the ${what}`);
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), Math.min(minutes * 60_000, 60_000));
  timer.unref();
  return () => clearInterval(timer);
}

async function main(): Promise<void> {
  const runtime = await boot();
  const worker = createWorker(runtime);
  worker.start(runtime.config.workerPollMs, runtime.config.workerConcurrency);
  const stopSchedules = startSchedules(runtime, worker);
  runtime.logger.info({ database: runtime.database.kind }, 'worker started');
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    runtime.logger.info({ signal }, 'worker stopping after the job in flight');
    // Bounded: a job stuck past this is abandoned; its lease expires and another worker takes it.
    setTimeout(() => {
      runtime.logger.error({ timeoutMs: runtime.config.shutdownTimeoutMs }, 'job in flight did not finish in time; exiting');
      process.exit(1);
    }, runtime.config.shutdownTimeoutMs).unref();
    stopSchedules();
    await worker.stop();
    await runtime.database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    if (err instanceof ConfigError || err instanceof EmbeddedDatabaseError) console.error(err.message);
    else createLogger({ logLevel: 'error' }).fatal({ err }, 'worker failed to start');
    process.exit(1);
  });
}
