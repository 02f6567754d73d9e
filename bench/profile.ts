/**
 * A CPU profile of this process (gateway + worker + simulators) while a path is under load; setup
 * (database creation, module loading, the drain's backlog) is left out.
 *   npx tsx bench/profile.ts [embedded|postgres] [seconds] [pay,callback,drain]
 *     → /tmp/gw-prof-{pay,callback,drain}.cpuprofile
 *   npx tsx bench/top.ts /tmp/gw-prof-pay.cpuprofile
 * The pay profile clicks spread over 20 organisations, as the bench does; the drain is the bench's
 * (20 organisations × 500 PAID events, real time unless BENCH_DRAIN_COMPRESSION says otherwise).
 */
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { startSims, startStack, type Engine } from './stack.js';
import { runLoad } from './load-runner.js';
import { callbackBodies, prepareCallbacks } from './callbacks.js';
import { benchDrain } from './drain.js';
import { DEFAULT_XERO_BATCH_SIZE } from '../app/jobs/registry.js';

const engine = (process.argv[2] ?? 'embedded') as Engine;
const seconds = Number(process.argv[3] ?? 8);
const phases = new Set((process.argv[4] ?? 'pay,callback').split(','));
const latency = { xeroMs: 20, xenditMs: 30 };
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

if (phases.has('pay') || phases.has('callback')) {
  const sims = await startSims(latency);
  const stack = await startStack(engine, sims);
  if (phases.has('pay')) {
    const paths = await stack.payPathsOver(20, 'PROFILE');
    for (const path of paths) await fetch(stack.gatewayUrl + path, { redirect: 'manual' });
    await profiled('pay', async () => {
      const r = await runLoad({ url: stack.gatewayUrl + paths[0], paths, connections: 10, durationSeconds: seconds });
      return `pay, 10 connections over 20 organisations, ${engine}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`;
    });
  }
  if (phases.has('callback')) {
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
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  await stack.close();
  await sims.close();
}

if (phases.has('drain')) {
  // The profiler runs from the first claim to the end (benchDrain's onStart/onEnd hooks).
  let started: Promise<unknown> | undefined;
  const d = await benchDrain(engine, latency, {
    orgs: 20,
    eventsPerOrg: Number(process.env.BENCH_DRAIN_EVENTS ?? 500),
    compression: Number(process.env.BENCH_DRAIN_COMPRESSION ?? 1),
    windowMinutes: 3,
    concurrency: 20,
    batchSize: DEFAULT_XERO_BATCH_SIZE,
    onStart: () => void (started = session.post('Profiler.start')),
  });
  await started;
  const { profile } = await session.post('Profiler.stop');
  writeFileSync('/tmp/gw-prof-drain.cpuprofile', JSON.stringify(profile));
  console.log(
    `drain, ${engine}: ${d.recorded}/${d.events} recorded in ${d.seconds.toFixed(1)} s real, ${d.perOrgPerMinute.toFixed(0)} per organisation per simulated minute, ` +
      `${d.xeroCalls} Xero calls, ${d.xero429} × 429, ${d.needsReview} needs_review → /tmp/gw-prof-drain.cpuprofile`,
  );
  console.log(`  Xendit calls per payment ${d.xenditCallsPerPayment.toFixed(2)}: ${JSON.stringify(d.xenditCalls)}; Xero: ${JSON.stringify(d.calls)}`);
}

session.disconnect();
