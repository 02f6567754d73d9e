import { alertMailWarning, boot, createLogger, inProcessWorkerRuntime, SETUP_LINK_COMMAND } from './bootstrap.js';
import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import { readPostmasterPid, pidState } from '../store/embedded/postmaster.js';
import { portFree } from '../net.js';
import { join, resolve } from 'node:path';
import { EmbeddedDatabaseError } from '../store/db.js';
import { createApp } from '../server.js';
import { createWorker } from './worker.js';
import { startSchedules } from '../jobs/schedules.js';
import { setupDemo } from './demo.js';
import { closeGracefully, createHttpServer } from '../http.js';
import { issueSetupLinkIfNeeded } from '../admin/auth/service.js';

/** Web entry. With the embedded database (or in demo mode) the worker runs in this process too. */
async function main(): Promise<void> {
  const config0 = loadConfig(process.env);
  // Before anything touches the database or the demo: a second `npm start` in the same directory
  // must leave the first one's state alone and say what it found.
  if (!(await portFree(config0.port, config0.host))) throw new PortInUseError(portInUseMessage(config0));
  const runtime = await boot();
  const { config, logger } = runtime;
  const inProcessWorker = runtime.database.kind === 'embedded' || config.demo;
  const demoSetup = config.demo ? await setupDemo(runtime) : undefined;
  // Its own few connections (bin/bootstrap.ts): the web path keeps its pool to itself; both close with the database.
  const workerRuntime = inProcessWorker ? inProcessWorkerRuntime(runtime) : undefined;
  const worker = workerRuntime ? createWorker({ ...workerRuntime, mailer: runtime.mailer ?? demoSetup?.mailer }) : undefined;
  const mailWarning = alertMailWarning(config);
  if (mailWarning) logger.warn(mailWarning);
  // The demo shows its setup link on the home page and in the log. Elsewhere a working link to create
  // an operator has no place in logs that collectors keep: the operator asks the CLI for one.
  const setupUrl = config.demo ? await issueSetupLinkIfNeeded({ ...runtime, publicUrl: config.publicUrl }) : null;
  if (setupUrl) logger.warn({ setupUrl }, 'No operator yet: open this one-time link (valid 24 hours) to create the first one');
  else if (!config.demo && !(await runtime.stores.users.hasOperator()))
    logger.warn(`No operator yet: run \`${SETUP_LINK_COMMAND}\` for a one-time link (valid 24 hours) that creates the first one`);
  const demo = demoSetup && {
    ...demoSetup,
    setupLink: async () => (setupUrl && !(await runtime.stores.users.hasOperator()) ? setupUrl : undefined),
  };

  const app = createApp({ ...runtime, demo, onJobEnqueued: worker?.wake });
  const server = createHttpServer(app, config.http);
  server.listen(config.port, config.host, () => {
    const listening = config.host ?? 'every interface';
    logger.info({ url: config.publicUrl, listening, demo: config.demo, database: runtime.database.kind, worker: inProcessWorker }, 'gateway listening');
    if (config.demo)
      console.log(
        `\n  Demo gateway ready: ${config.publicUrl}\n  Listening on ${listening}${config.host === '127.0.0.1' ? ' only (this machine); set HOST=0.0.0.0 to open it to the network' : ''}.\n`,
      );
    // At a terminal the link stands apart from the log lines; in JSON logs it is the warn line above.
    if (setupUrl)
      console.log(`\n  ${'─'.repeat(60)}\n  First run: create the operator at ${setupUrl}\n  (one-time link, valid 24 hours)\n  ${'─'.repeat(60)}\n`);
  });
  worker?.start(config.workerPollMs, config.workerConcurrency);
  const stopSchedules = workerRuntime && worker ? startSchedules(workerRuntime, worker) : () => undefined;

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
    await demoSetup?.close();
    await runtime.database.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError || err instanceof EmbeddedDatabaseError || err instanceof PortInUseError) {
    console.error(err.message);
  } else {
    createLogger({ logLevel: 'error' }).fatal({ err }, 'gateway failed to start');
  }
  process.exit(1);
});

class PortInUseError extends Error {}

function portInUseMessage(config: Config): string {
  const pgDir = join(resolve(config.dataDir), 'pg');
  const pm = config.databaseUrl ? undefined : readPostmasterPid(pgDir);
  const running = pm && pidState(pm.pid, pgDir) !== 'gone';
  return (
    `Port ${config.port} is already in use.` +
    (running ? ` The embedded database in ${pgDir} is running (pid ${pm.pid}): a gateway probably runs in this directory already (${config.publicUrl}).` : '') +
    ` Stop the other process, or start this one with another PORT (and DATA_DIR for a separate installation).` +
    ` To run more workers beside a running gateway, use \`npm run worker\`.`
  );
}
