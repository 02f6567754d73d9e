import { pathToFileURL } from 'node:url';
import { boot, createLogger, type Runtime } from './bootstrap.js';
import { ConfigError } from '../config/index.js';
import { DatabaseLockedError } from './store/db.js';
import { createJobRunner } from './sync/runner.js';
import { recordPaymentJob } from './sync/record-payment.js';
import { postFeeJob } from './sync/post-fee.js';
import { POST_FEE_JOB } from './store/payments.js';

/** The job runner with every job kind the gateway knows. */
export function createWorker(runtime: Pick<Runtime, 'stores' | 'xero' | 'xendit' | 'clock' | 'logger'>) {
  return createJobRunner({
    jobs: runtime.stores.jobs,
    clock: runtime.clock,
    logger: runtime.logger.child({ component: 'worker' }),
    handlers: {
      'record-payment': recordPaymentJob(runtime),
      [POST_FEE_JOB]: postFeeJob(runtime),
    },
  });
}

async function main(): Promise<void> {
  const runtime = await boot();
  const worker = createWorker(runtime);
  worker.start(runtime.config.workerPollMs);
  runtime.logger.info({ database: runtime.database.kind }, 'worker started');
  const shutdown = async (signal: string) => {
    runtime.logger.info({ signal }, 'worker stopping after the job in flight');
    await worker.stop();
    await runtime.database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    if (err instanceof ConfigError || err instanceof DatabaseLockedError) console.error(err.message);
    else createLogger({ logLevel: 'error' }).fatal({ err }, 'worker failed to start');
    process.exit(1);
  });
}
