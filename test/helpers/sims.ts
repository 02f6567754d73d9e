/**
 * One Xero simulator and one Xendit simulator for the whole mocha process, each on its own
 * ephemeral 127.0.0.1 port, with gateway clients pointed at them. Call resetSims() between tests.
 */
import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createXenditClient } from '../../app/clients/xendit/index.js';
import { createXeroClient } from '../../app/clients/xero/index.js';
import type { XenditGateway } from '../../app/clients/xendit/types.js';
import { unlimitedXeroBudget } from '../../app/clients/xero/budget.js';
import type { XeroGateway } from '../../app/clients/xero/types.js';
import { createXenditSimulator, type XenditSimulator } from '../../app/simulators/xendit/index.js';
import { createXeroSimulator, type XeroSimulator } from '../../app/simulators/xero/index.js';

export interface Sims {
  xero: XeroSimulator;
  xendit: XenditSimulator;
  xeroUrl: string; // both the API and the identity URL
  xenditUrl: string; // API URL and checkout base
  xeroClient: XeroGateway;
  xenditClient: XenditGateway;
}

/** Generous enough for a loaded CI machine; tests of timeouts make their own short-timeout clients. */
export const SIM_CLIENT_TIMEOUT_MS = 5000;

let started: Promise<Sims> | undefined;
let current: Sims | undefined;
const servers: Server[] = [];

export function getSims(): Promise<Sims> {
  started ??= startSims();
  return started;
}

/** Clears both simulators' state and faults. A no-op before getSims(). */
export function resetSims(): void {
  current?.xero.reset();
  current?.xendit.reset();
}

/** Closes both servers; the next getSims() starts fresh ones. */
export async function stopSims(): Promise<void> {
  resetSims();
  const closing = servers.splice(0).map(
    (server) =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  started = undefined;
  current = undefined;
  await Promise.all(closing);
}

async function startSims(): Promise<Sims> {
  const xeroApp = express();
  const xeroUrl = await listen(xeroApp);
  const xero = createXeroSimulator();
  xeroApp.use(xero.router);

  const xenditApp = express();
  const xenditUrl = await listen(xenditApp);
  const xendit = createXenditSimulator({ checkoutBaseUrl: xenditUrl });
  xenditApp.use(xendit.router);

  current = {
    xero,
    xendit,
    xeroUrl,
    xenditUrl,
    xeroClient: createXeroClient({ apiUrl: xeroUrl, identityUrl: xeroUrl, timeoutMs: SIM_CLIENT_TIMEOUT_MS, budget: unlimitedXeroBudget }),
    xenditClient: createXenditClient({ apiUrl: xenditUrl, timeoutMs: SIM_CLIENT_TIMEOUT_MS }),
  };
  return current;
}

async function listen(app: express.Express): Promise<string> {
  const server = createServer(app);
  // Outlive the client's idle keep-alive sockets (Node's agent drops them after 5 s), so a test never
  // races a server-side close; the client's own retry of reads covers that race in production.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref(); // never keeps mocha alive
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export interface PaidBy {
  paymentMethod: string;
  paymentChannel: string;
}

/**
 * How tests that refund have their customers pay: ShopeePay, which Xendit refunds whole or in part
 * and voids (app/clients/xendit/refund-support.ts); a virtual account, the simulator's default, is
 * never refunded.
 */
export const REFUNDABLE: PaidBy = { paymentMethod: 'EWALLET', paymentChannel: 'SHOPEEPAY' };
