import { pathToFileURL } from 'node:url';
import { boot, createLogger } from './bootstrap.js';
import { ConfigError } from '../config/index.js';
import { EmbeddedDatabaseError } from './store/db.js';
import { createJobRunner } from './jobs/runner.js';
import { jobHandlers, type HandlerDeps } from './jobs/registry.js';
import { startSchedules } from './jobs/schedules.js';

/** The job runner with every job kind in the registry. */
export function createWorker(runtime: HandlerDeps) {
  return createJobRunner({
    jobs: runtime.stores.jobs,
    clock: runtime.clock,
    logger: runtime.logger.child({ component: 'worker' }),
    leaseMs: (runtime.config?.jobLeaseSeconds ?? 300) * 1000,
    ...jobHandlers(runtime),
  });
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
