import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import type { Runtime } from '../../app/bin/bootstrap.js';
import type { Db } from '../../app/store/db.js';
import { createStores } from '../../app/store/index.js';
import { createXeroBudget } from '../../app/store/xero-budget.js';
import { createXeroClient } from '../../app/clients/xero/index.js';
import { createXenditClient } from '../../app/clients/xendit/index.js';
import { createXeroOAuth } from '../../app/clients/xero/oauth.js';
import { systemClock } from '../../app/clock.js';
import { createApp } from '../../app/server.js';
import { createWorker } from '../../app/bin/worker.js';
import { setupDemo, type DemoSetup } from '../../app/bin/demo.js';
import { box } from './harness.js';
import { createMetrics } from '../../app/metrics/index.js';

export interface DemoRun {
  runtime: Runtime;
  demo: DemoSetup;
  app: ReturnType<typeof createApp>;
  worker: ReturnType<typeof createWorker>;
  base: string;
  /** As on SIGTERM: the server closes and pending simulator state is written. */
  close(): Promise<void>;
}

/**
 * What `npm start` builds in demo mode (start.ts), on a test database and a data directory, listening
 * on `port` because the demo's loopback URLs name it. Saves wait for flush(): no timer fires.
 */
export async function startDemo(db: Db, dataDir: string, port: number): Promise<DemoRun> {
  const config = loadConfig({ DEMO: 'true', DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'silent', SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') });
  const logger = pino({ level: 'silent' });
  const stores = createStores(db, box);
  const oauth = config.xero.oauth!;
  const xeroBudget = createXeroBudget(db, systemClock, config.xeroLimits);
  const runtime: Runtime = {
    config,
    logger,
    database: { db, kind: 'postgres', openPool: () => db, close: async () => undefined },
    stores,
    xeroBudget,
    xero: createXeroClient({
      apiUrl: config.xero.apiUrl,
      identityUrl: config.xero.identityUrl,
      budget: xeroBudget,
      oauth: { clientId: oauth.clientId, clientSecret: oauth.clientSecret, tokens: stores.xeroTokens },
    }),
    secretBox: box,
    xeroOAuth: createXeroOAuth({ ...oauth, loginUrl: config.xero.loginUrl, identityUrl: config.xero.identityUrl, apiUrl: config.xero.apiUrl }),
    xendit: createXenditClient({ apiUrl: config.xendit.apiUrl }),
    metrics: createMetrics({ source: stores.metrics, clock: systemClock, xeroLimits: config.xeroLimits }),
    clock: systemClock,
  };
  const demo = await setupDemo(runtime, { timers: { set: () => 'never', clear: () => undefined } });
  const app = createApp({ ...runtime, demo });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    runtime,
    demo,
    app,
    worker: createWorker({ ...runtime, mailer: demo.mailer }),
    base: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      demo.flush();
      await demo.close();
    },
  };
}
