/**
 * The worker in a process of its own, as the Procfile's `worker` (npm run worker) runs it beside a
 * gateway on PostgreSQL: with DATABASE_URL, `npm start` runs no worker in the web process
 * (app/bin/start.ts). Started by bench/stack.ts; told to start and stop over IPC.
 */
import { pino } from 'pino';
import { createLogger } from '../app/bin/bootstrap.js';
import { createWorker } from '../app/bin/worker.js';
import { systemClock } from '../app/clock.js';
import { createXenditClient } from '../app/clients/xendit/index.js';
import { createXeroClient } from '../app/clients/xero/index.js';
import { DEFAULT_XERO_BATCH_SIZE } from '../app/jobs/registry.js';
import { createSecretBox } from '../app/security/secrets.js';
import { openDatabase } from '../app/store/db.js';
import { createStores } from '../app/store/index.js';
import { createXeroBudget, type XeroLimits } from '../app/store/xero-budget.js';

export interface WorkerProcessJob {
  databaseUrl: string;
  secretBoxKey: string;
  xeroUrl: string;
  xenditUrl: string;
  xeroLimits: Partial<XeroLimits>;
  xeroBatchSize?: number;
}

export type WorkerProcessCommand = { start: { pollMs: number; concurrency: number } } | { stop: true };

const job = JSON.parse(process.env.BENCH_WORKER_JOB ?? '') as WorkerProcessJob;
// npm run worker's pool (openDatabase's default), its logger and its clients, to a sink.
const database = await openDatabase({ databaseUrl: job.databaseUrl, dataDir: 'unused', migrate: false });
const logger = createLogger({ logLevel: 'info', env: 'production' }, pino.destination('/dev/null') as unknown as NodeJS.WritableStream);
const budget = createXeroBudget(database.db, systemClock, job.xeroLimits);
const worker = createWorker({
  stores: createStores(database.db, createSecretBox(job.secretBoxKey)),
  xero: createXeroClient({ apiUrl: job.xeroUrl, identityUrl: job.xeroUrl, logger, budget, now: systemClock }),
  xendit: createXenditClient({ apiUrl: job.xenditUrl, logger }),
  clock: systemClock,
  logger,
  config: {
    reconcile: { intervalMinutes: 0, minAgeMinutes: 5, batch: 50 },
    jobLeaseSeconds: 86_400,
    crashAt: undefined,
    xeroBatchSize: job.xeroBatchSize ?? DEFAULT_XERO_BATCH_SIZE,
  },
});
process.on('message', (m: WorkerProcessCommand) => {
  if ('start' in m) return worker.start(m.start.pollMs, m.start.concurrency);
  void worker
    .stop()
    .then(() => database.close())
    .then(() => process.send?.('stopped', () => process.exit(0)));
});
process.send?.('ready');
