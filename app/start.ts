import { boot, createLogger } from './bootstrap.js';
import { ConfigError } from '../config/index.js';
import { DatabaseLockedError } from './store/db.js';
import { createApp } from './server.js';
import { createWorker, startSchedules } from './worker.js';
import { setupDemo } from './demo.js';
import { closeGracefully, createHttpServer } from './http.js';
import { issueSetupLinkIfNeeded } from './onboarding/service.js';

/** Web entry. With the embedded database (or in demo mode) the worker runs in this process too. */
async function main(): Promise<void> {
  const runtime = await boot();
  const { config, logger } = runtime;
  const inProcessWorker = runtime.database.kind === 'embedded' || config.demo;
  const worker = inProcessWorker ? createWorker(runtime) : undefined;
  const demoSetup = config.demo ? await setupDemo(runtime) : undefined;
  const setupUrl = await issueSetupLinkIfNeeded({ ...runtime, publicUrl: config.publicUrl });
  if (setupUrl) logger.warn({ setupUrl }, 'No operator yet: open this one-time link (valid 24 hours) to create the first one');
  const demo = demoSetup && {
    ...demoSetup,
    setupLink: async () => (setupUrl && !(await runtime.stores.users.hasOperator()) ? setupUrl : undefined),
  };

  const app = createApp({ ...runtime, demo, onJobEnqueued: worker?.wake });
  const server = createHttpServer(app, config.http);
  server.listen(config.port, () => {
    logger.info({ url: config.publicUrl, demo: config.demo, database: runtime.database.kind, worker: inProcessWorker }, 'gateway listening');
    if (config.demo) console.log(`\n  Demo gateway ready: ${config.publicUrl}\n`);
    if (config.demo && setupUrl) console.log(`  First run: create the operator at ${setupUrl}\n`);
  });
  worker?.start(config.workerPollMs, config.workerConcurrency);
  const stopSchedules = worker ? startSchedules(runtime, worker) : () => undefined;

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs).unref();
    stopSchedules();
    await closeGracefully(server);
    await worker?.stop();
    demoSetup?.flush();
    await runtime.database.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof DatabaseLockedError) {
    console.error(err.message);
  } else {
    createLogger({ logLevel: 'error' }).fatal({ err }, 'gateway failed to start');
  }
  process.exit(1);
});
