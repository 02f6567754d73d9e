import express from 'express';
import { pino } from 'pino';
import { createXeroSimulator } from './xero/index.js';
import { createXenditSimulator } from './xendit/index.js';
import { seedDemoXendit, seedDemoXero } from './demo-data.js';

/**
 * The simulators on ports of their own, for pointing any build (ours or someone else's) at them:
 *   XERO_SIM_PORT=4001 XENDIT_SIM_PORT=4002 npm run sims
 * then XERO_API_URL=XERO_IDENTITY_URL=http://127.0.0.1:4001 and XENDIT_API_URL=http://127.0.0.1:4002.
 * They hold the demo organisation and Xendit account (credentials in demo-data.ts), so
 * `npm run cli -- merchants add` can be pointed at them; set XENDIT_SIM_CALLBACK_URL to where the
 * simulated checkout should send its callbacks.
 */
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' });
const xeroPort = Number(process.env.XERO_SIM_PORT ?? 4001);
const xenditPort = Number(process.env.XENDIT_SIM_PORT ?? 4002);
const xenditPublic = process.env.XENDIT_SIM_PUBLIC_URL ?? `http://127.0.0.1:${xenditPort}`;

const xero = createXeroSimulator({ logger });
const xendit = createXenditSimulator({ checkoutBaseUrl: xenditPublic, logger });
seedDemoXero(xero);
seedDemoXendit(xendit, process.env.XENDIT_SIM_CALLBACK_URL);

express()
  .use(xero.router)
  .listen(xeroPort, '127.0.0.1', () => logger.info({ url: `http://127.0.0.1:${xeroPort}` }, 'Xero simulator listening'));
express()
  .use(xendit.router)
  .listen(xenditPort, '127.0.0.1', () => logger.info({ url: xenditPublic }, 'Xendit simulator listening'));
