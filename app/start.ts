import { boot, createLogger } from './bootstrap.js';
import { ConfigError } from '../config/index.js';
import { DatabaseLockedError } from './store/db.js';
import { createApp } from './server.js';
import { createWorker } from './worker.js';
import { setupDemo } from './demo.js';
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
  const server = app.listen(config.port, () => {
    logger.info({ url: config.publicUrl, demo: config.demo, database: runtime.database.kind, worker: inProcessWorker }, 'gateway listening');
    if (config.demo) console.log(`\n  Demo gateway ready: ${config.publicUrl}\n`);
    if (config.demo && setupUrl) console.log(`  First run: create the operator at ${setupUrl}\n`);
  });
  // Longer than a load balancer's idle timeout, so it never reuses a socket we just closed.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  worker?.start(config.workerPollMs);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 20_000).unref();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await worker?.stop();
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
