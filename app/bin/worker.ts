import { pathToFileURL } from 'node:url';
import { alertMailWarning, boot, createLogger } from './bootstrap.js';
import { ConfigError } from '../../config/index.js';
import { EmbeddedDatabaseError } from '../store/db.js';
import { createJobRunner } from '../jobs/runner.js';
import { jobHandlers, type HandlerDeps } from '../jobs/registry.js';
import { startSchedules } from '../jobs/schedules.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { metricsRouter } from '../metrics/route.js';
import type { Metrics } from '../metrics/index.js';

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

/**
 * A worker process's own /metrics (the Xero and Xendit calls it makes, its registry's job and queue
 * gauges), on WORKER_METRICS_PORT with the same bearer METRICS_TOKEN as the web process.
 */
export async function serveWorkerMetrics(opts: { metrics: Metrics; token: string; port: number; host?: string }): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRouter({ token: opts.token, metrics: opts.metrics }));
  app.use((_req, res) => void res.status(404).end());
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(opts.port, opts.host ?? '127.0.0.1', resolve));
  return server;
}

async function main(): Promise<void> {
  const runtime = await boot();
  const mailWarning = alertMailWarning(runtime.config);
  if (mailWarning) runtime.logger.warn(mailWarning);
  const worker = createWorker(runtime);
  worker.start(runtime.config.workerPollMs, runtime.config.workerConcurrency);
  const stopSchedules = startSchedules(runtime, worker);
  const { workerMetricsPort: port, metricsToken: token } = runtime.config;
  const metricsServer =
    port !== undefined && token ? await serveWorkerMetrics({ metrics: runtime.metrics, token, port, host: runtime.config.host }) : undefined;
  runtime.logger.info(
    { database: runtime.database.kind, metricsPort: metricsServer ? (metricsServer.address() as AddressInfo).port : undefined },
    'worker started',
  );
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
    metricsServer?.close();
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
