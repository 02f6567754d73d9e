/**
 * A CPU profile of this process (gateway + simulators) while the pay path, then the callback path,
 * is under load; setup (database creation, module loading) is left out.
 *   npx tsx bench/profile.ts [embedded|postgres] [seconds]   → /tmp/gw-prof-{pay,callback}.cpuprofile
 *   npx tsx bench/top.ts /tmp/gw-prof-pay.cpuprofile
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { startSims, startStack, type Engine } from './stack.js';
import { runLoad } from './load-runner.js';
import { callbackBodies, prepareCallbacks } from './callbacks.js';

const engine = (process.argv[2] ?? 'embedded') as Engine;
const seconds = Number(process.argv[3] ?? 8);
const latency = { xeroMs: 20, xenditMs: 30 };
const sims = await startSims(latency);
const stack = await startStack(engine, sims);
const session = new Session();
session.connect();
await session.post('Profiler.enable');

async function profiled(name: string, load: () => Promise<string>): Promise<void> {
  await session.post('Profiler.start');
  const summary = await load();
  const { profile } = await session.post('Profiler.stop');
  const file = `/tmp/gw-prof-${name}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  console.log(`${summary} → ${file}`);
}

const { invoiceNumber } = stack.addInvoice('PROFILE-1');
const url = stack.gatewayUrl + stack.payPath(invoiceNumber);
await fetch(url, { redirect: 'manual' });
await profiled('pay', async () => {
  const r = await runLoad({ url, connections: 10, durationSeconds: seconds });
  return `pay, 10 connections, ${engine}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`;
});

const events = await prepareCallbacks(stack, latency, 200 * seconds);
await profiled('callback', async () => {
  const r = await runLoad({
    url: stack.gatewayUrl + stack.callbackPath,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-callback-token': stack.callbackToken },
    bodies: callbackBodies(events),
    connections: 10,
    overallRate: 200,
  });
  return `callbacks at 200/s, ${engine}: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`;
});

session.disconnect();
await new Promise((resolve) => setTimeout(resolve, 200));
await stack.close();
await sims.close();
