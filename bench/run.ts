/**
 * npm run bench [-- --engines=embedded,postgres] [-- --quick]
 *
 * Starts the simulators (fixed latency), the gateway and a bare baseline on 127.0.0.1 in this
 * process, drives them from a separate load-generator process (autocannon), and prints every figure
 * as a ratio against a reference measured in the same run. Bounded: stops by itself in a few minutes.
 */
import os from 'node:os';
import { startSims, startStack, type Engine, type Latency } from './stack.js';
import { benchFirstClicks, benchRepeatClicks, countUpstreamCalls, type PayRow } from './pay.js';
import { benchCallbacks, type CallbackResult } from './callbacks.js';
import { benchGrowth, type GrowthRow } from './growth.js';
import { benchDrain, type DrainResult } from './drain.js';
import { countRecordingCalls, type RecordingCalls } from './recording.js';
import { DEFAULT_XERO_BATCH_SIZE } from '../app/jobs/registry.js';
import { benchStartup, type StartupResult } from './startup.js';
import { peakRss, rssMonitor } from './memory.js';
import { mb, ms, ratio } from './stats.js';
import { POSTGRES_URL as ADMIN_URL, checkPostgres } from './databases.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const enginesArg = process.argv.find((a) => a.startsWith('--engines='))?.slice('--engines='.length);
// Both engines are the same PostgreSQL server software: the embedded one is managed by the gateway in its data directory.
const engines = (enginesArg ? enginesArg.split(',') : ['postgres', 'embedded']) as Engine[];
// --only=callbacks: that phase alone, on a fresh stack per engine, to compare changes to the callback path quickly.
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
if (only !== undefined && only !== 'callbacks') throw new Error(`--only=${only}: only --only=callbacks is known`);

const LATENCY: Latency = { xeroMs: 20, xenditMs: 30 };
const CONCURRENCY = [1, 10, 50];
// Repeat clicks go round one open invoice in each of this many organisations.
const PAY_ORGS = 20;
const PAY_SECONDS = quick ? 2 : 6; // per concurrency and side, split over 2 alternating rounds
const CALLBACK_RATE = 200;
const CALLBACK_SECONDS = quick ? 3 : 30;
const GROWTH_SIZES = quick ? [10, 1000, 10_000] : [10, 1000, 100_000];
const GROWTH_SECONDS = quick ? 2 : 4;
const FIRST_CLICKS = quick ? 6 : 21;
const DRAIN_ORGS = 20;
// 10 000 events (quick: 1 000); about 5 Xero calls each, so every organisation needs far more than a minute's 60.
const DRAIN_EVENTS_PER_ORG = quick ? 50 : 500;
// Simulated time runs DRAIN_COMPRESSION × faster; the run stops after DRAIN_WINDOW_MINUTES simulated
// minutes (DRAIN_WINDOW_MINUTES × 60 / DRAIN_COMPRESSION real seconds) unless drained before. Real
// time by default: batched, the drain is bound by this machine's CPU, not by Xero's limits, and a
// faster clock would count each second of CPU as several of Xero's minute (docs/performance.md).
const DRAIN_COMPRESSION = Number(process.env.BENCH_DRAIN_COMPRESSION ?? 1);
const DRAIN_WINDOW_MINUTES = Number(process.env.BENCH_DRAIN_MINUTES ?? (quick ? 1 : 3));
const DRAIN_CONCURRENCY = 20;
const DRAIN_BATCH = Number(process.env.BENCH_XERO_BATCH_SIZE ?? DEFAULT_XERO_BATCH_SIZE);
const RECORDED_ONE_BY_ONE = quick ? 3 : 10;
// npm start's peak RSS is read after this many seconds of 50 clients clicking a demo pay link.
const STARTUP_LOAD_SECONDS = quick ? 2 : 5;

interface EngineResult {
  engine: Engine;
  calls: Awaited<ReturnType<typeof countUpstreamCalls>>;
  recording: RecordingCalls;
  first: Awaited<ReturnType<typeof benchFirstClicks>>;
  pay: PayRow[];
  callbacks: CallbackResult;
  growth: GrowthRow[];
  drain: DrainResult;
}

const log = (line = '') => console.log(line);
const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);

async function main(): Promise<void> {
  const started = performance.now();
  const cpus = os.cpus();
  log(`Gateway bench — ${new Date().toISOString()}`);
  log(
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, ${mb(os.totalmem())} RAM, Node ${process.version}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  log(`upstreams: Xero simulator +${LATENCY.xeroMs} ms, Xendit simulator +${LATENCY.xenditMs} ms per request; all on 127.0.0.1`);
  log(`baseline: a bare Express handler making the same upstream calls with the same clients (app/clients) and redirecting`);
  log();

  if (only === 'callbacks') return callbacksOnly();
  const memory = rssMonitor();
  const sims = await startSims(LATENCY);
  const results: EngineResult[] = [];
  try {
    for (const engine of engines) {
      if (engine === 'postgres' && !(await checkPostgres())) {
        log(`PostgreSQL unreachable at ${ADMIN_URL}: skipping the postgres runs`);
        continue;
      }
      log(`[${engine}] pay clicks…`);
      memory.phase(`${engine}: pay`);
      const stack = await startStack(engine, sims);
      let r: Partial<EngineResult> = { engine };
      try {
        r.calls = await countUpstreamCalls(stack);
        r.recording = await countRecordingCalls(stack, RECORDED_ONE_BY_ONE);
        r.first = await benchFirstClicks(stack, FIRST_CLICKS);
        r.pay = await benchRepeatClicks(stack, CONCURRENCY, PAY_SECONDS, PAY_ORGS);
        log(`[${engine}] callbacks at ${CALLBACK_RATE}/s for ${CALLBACK_SECONDS} s while Xero hangs…`);
        memory.phase(`${engine}: callbacks`);
        r.callbacks = await benchCallbacks(stack, LATENCY, CALLBACK_RATE, CALLBACK_SECONDS);
      } finally {
        await stack.close();
      }
      log(`[${engine}] growth ${GROWTH_SIZES.join(' / ')} rows…`);
      memory.phase(`${engine}: growth`);
      const growthStack = await startStack(engine, sims);
      try {
        r.growth = await benchGrowth(growthStack, GROWTH_SIZES, GROWTH_SECONDS);
      } finally {
        await growthStack.close();
      }
      log(
        `[${engine}] backlog drain, ${DRAIN_ORGS} organisations × ${DRAIN_EVENTS_PER_ORG} PAID events, Xero at 60/min and 5 in flight per organisation, time ×${DRAIN_COMPRESSION}…`,
      );
      memory.phase(`${engine}: drain`);
      r.drain = await benchDrain(engine, LATENCY, {
        orgs: DRAIN_ORGS,
        eventsPerOrg: DRAIN_EVENTS_PER_ORG,
        compression: DRAIN_COMPRESSION,
        windowMinutes: DRAIN_WINDOW_MINUTES,
        concurrency: DRAIN_CONCURRENCY,
        batchSize: DRAIN_BATCH,
      });
      results.push(r as EngineResult);
      r = {};
    }
  } finally {
    await sims.close();
  }
  memory.phase('startup');
  log(`npm start (demo) to first 200…`);
  const startup = await benchStartup(engines.includes('postgres') && (await checkPostgres()), STARTUP_LOAD_SECONDS);
  const peaks = memory.peaks();
  memory.stop();

  log();
  report(results, startup, peaks);
  log();
  log(
    `finished in ${((performance.now() - started) / 1000).toFixed(0)} s; load average now ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

function report(results: EngineResult[], startup: StartupResult, peaks: Map<string, number>): void {
  for (const r of results) {
    log(`== ${r.engine} ==`);
    const calls = (c: { xero: string[]; xendit: string[] }) =>
      `${c.xero.length} Xero + ${c.xendit.length} Xendit (${[...c.xero, ...c.xendit].join(', ') || '–'})`;
    log(`upstream calls per click (simulators' request logs): first ${calls(r.calls.first)}; repeat ${calls(r.calls.repeat)}`);
    log(
      `Xero calls per recorded payment with its fee, ${r.recording.payments} payments one at a time (normal path): ${r.recording.perPayment.toFixed(2)} (${[...new Set(r.recording.calls)].join(', ')})`,
    );
    log(
      `first click, sequential (${r.first.clicks}): p50 ${ms(r.first.oursP50)} vs baseline ${ms(r.first.baselineP50)} ` +
        `(Xero read + Xendit create) → added ${ms(r.first.oursP50 - r.first.baselineP50)}, ratio ${ratio(r.first.oursP50 / r.first.baselineP50)}`,
    );
    log(
      `repeat click over ${PAY_ORGS} organisations (open checkout reused; added = ours − baseline at the same percentile; upstream = ${LATENCY.xeroMs} ms Xero read):`,
    );
    log(
      `  ${pad('conns', 6)}${lpad('req/s ours', 11)}${lpad('baseline', 10)}${lpad('ratio', 7)}${lpad('p50 ours', 10)}${lpad('base', 8)}${lpad('added', 8)}${lpad('p99 ours', 10)}${lpad('base', 8)}${lpad('added', 8)}`,
    );
    for (const row of r.pay) {
      const o = row.ours;
      const b = row.baseline;
      log(
        `  ${pad(row.connections, 6)}${lpad(o.rps.toFixed(0), 11)}${lpad(b.rps.toFixed(0), 10)}${lpad(ratio(o.rps / b.rps), 7)}` +
          `${lpad(o.p50.toFixed(1), 10)}${lpad(b.p50.toFixed(1), 8)}${lpad((o.p50 - b.p50).toFixed(1), 8)}` +
          `${lpad(o.p99.toFixed(1), 10)}${lpad(b.p99.toFixed(1), 8)}${lpad((o.p99 - b.p99).toFixed(1), 8)}`,
      );
    }
    callbackLines(r.callbacks);
    const small = r.growth[0];
    log(`growth (repeat click, 1 connection): ` + r.growth.map((g) => `${g.rows} rows p50 ${ms(g.load.p50)} p99 ${ms(g.load.p99)}`).join('; '));
    const large = r.growth[r.growth.length - 1];
    log(`  ratio ${large.rows}/${small.rows} rows: p50 ${ratio(large.load.p50 / small.load.p50)}, p99 ${ratio(large.load.p99 / small.load.p99)}`);
    const d = r.drain;
    log(
      `backlog drain: ${d.events} PAID events stored over ${d.orgs} organisations (set up in ${d.setupSeconds.toFixed(1)} s); the Xero simulator, the gateway's ` +
        `shared Xero budget and the worker (${DRAIN_CONCURRENCY} jobs at once) on one clock running ×${d.compression}, so Xero's 60/min is 60 per ${(60 / d.compression).toFixed(0)} real seconds:`,
    );
    log(
      `  batches of up to ${d.batchSize} payments (or fees) of one organisation per Xero call: ${d.perOrgPerMinute.toFixed(0)} payments recorded per organisation per simulated minute; ` +
        `Xero's 60 calls a minute would allow ${(60 / Math.max(d.callsPerEvent, 1e-9)).toFixed(0)} at this many calls per payment`,
    );
    log(
      `  ${d.recorded}/${d.events} recorded in ${(d.simulatedSeconds / 60).toFixed(1)} simulated minutes (${d.seconds.toFixed(0)} s real)${d.timedOut ? ', stopped at the end of the window' : ''}; ` +
        `${d.xeroCalls} Xero calls (${d.callsPerEvent.toFixed(2)} per recorded event incl. its fee), ${d.xero429} × 429, ${d.needsReview} jobs in needs_review`,
    );
    log(
      `  Xendit calls ${d.xenditCallsPerPayment.toFixed(2)} per payment (its invoice and its fee read as listings): ${Object.entries(d.xenditCalls)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')}`,
    );
    log(
      `  achieved ${d.achievedPerSecond.toFixed(1)} Xero calls per simulated second vs ceiling ${d.ceilingPerSecond}/s (60/min × ${d.orgs}) → ${ratio(d.achievedPerSecond / d.ceilingPerSecond)}` +
        (d.timedOut
          ? `; at this rate the whole backlog takes ${((d.events * d.callsPerEvent) / d.achievedPerSecond / 60).toFixed(0)} simulated minutes (ceiling: ${((d.events * d.callsPerEvent) / d.ceilingPerSecond / 60).toFixed(0)})`
          : ''),
    );
    log(
      `  calls: ${Object.entries(d.calls)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')}`,
    );
    log();
  }
  log(`== memory and start-up ==`);
  log(`peak RSS of this process (gateway web + worker + both simulators; the database servers are other processes), by phase:`);
  for (const [phase, bytes] of peaks) log(`  ${pad(phase, 22)} ${mb(bytes)}`);
  const hwm = peakRss();
  if (hwm) log(`  overall peak (VmHWM)   ${mb(hwm)}`);
  const rss = (b?: number) => (b ? `, peak RSS ${mb(b)}` : '');
  log(
    `npm start → first 200 on / (demo mode: web + in-process worker + simulators), then a page, a pay click and (existing data dir, PostgreSQL) ${STARTUP_LOAD_SECONDS} s of 50 clients clicking it:`,
  );
  log(`  embedded DB, new data dir       ${ms(startup.embeddedFirst.ms, 0)}${rss(startup.embeddedFirst.rss)}`);
  log(`  embedded DB, existing data dir  ${ms(startup.embeddedAgain.ms, 0)}${rss(startup.embeddedAgain.rss)}`);
  if (startup.embeddedAgain.serverMemory)
    log(`  embedded PostgreSQL server after the load (PSS of all its processes): ${mb(startup.embeddedAgain.serverMemory)}`);
  if (startup.postgres) log(`  PostgreSQL (new database)       ${ms(startup.postgres.ms, 0)}${rss(startup.postgres.rss)}`);
  log();
  log(`== goals ==`);
  const mark = (ok: boolean) => (ok ? 'met    ' : 'NOT met');
  for (const r of results) {
    for (const row of r.pay.filter((p) => p.connections <= 10)) {
      log(
        `  ${mark(row.ours.rps / row.baseline.rps >= 0.9)} ${r.engine} c=${row.connections}: repeat-click req/s ratio ≥ 0.90 (${ratio(row.ours.rps / row.baseline.rps)})`,
      );
    }
    const calls = r.calls;
    log(
      `  ${mark(calls.first.xero.length === 1 && calls.first.xendit.length === 1 && calls.repeat.xero.length === 1 && calls.repeat.xendit.length === 0)} ${r.engine}: first click 1 Xero + 1 Xendit, repeat click 1 Xero`,
    );
    log(`  ${mark(r.callbacks.load.p99 < 50)} ${r.engine}: callback p99 < 50 ms at ${CALLBACK_RATE}/s while Xero hangs (${ms(r.callbacks.load.p99)})`);
    log(
      `  ${mark(r.callbacks.lost === 0 && (r.callbacks.load.statuses['200'] ?? 0) === r.callbacks.sent)} ${r.engine}: zero lost callbacks (${r.callbacks.lost} lost)`,
    );
    const g = r.growth;
    log(
      `  ${mark(g[g.length - 1].load.p50 / g[0].load.p50 <= 1.2)} ${r.engine}: pay latency flat with ${g[g.length - 1].rows} rows (p50 ratio ${ratio(g[g.length - 1].load.p50 / g[0].load.p50)} ≤ 1.20)`,
    );
    const d = r.drain;
    log(`  ${mark(d.xero429 === 0)} ${r.engine}: no 429 from Xero while draining (${d.xero429})`);
    log(
      `  ${mark(r.recording.perPayment <= 2)} ${r.engine}: ≤ 2 Xero calls per payment with its fee on the normal path (${r.recording.perPayment.toFixed(2)})`,
    );
    log(
      `  ${mark(d.perOrgPerMinute >= 1000)} ${r.engine}: backlog drain ≥ 1 000 payments per organisation per simulated minute (${d.perOrgPerMinute.toFixed(0)})`,
    );
  }
  const embeddedRss = Math.max(startup.embeddedFirst.rss ?? 0, startup.embeddedAgain.rss ?? 0);
  if (embeddedRss)
    log(`  ${mark(embeddedRss < 150 * 1024 * 1024)} peak RSS of the gateway's Node process < 150 MB, embedded DB, under load (${mb(embeddedRss)})`);
  log(`  ${mark(startup.embeddedFirst.ms < 3_000)} npm start to first 200 < 3 s, embedded, new data dir (${ms(startup.embeddedFirst.ms, 0)})`);
  log(`  ${mark(startup.embeddedAgain.ms < 2_000)} npm start to first 200 < 2 s, embedded, existing data dir (${ms(startup.embeddedAgain.ms, 0)})`);
}

function callbackLines(c: CallbackResult): void {
  const w = c.load.warmup;
  log(
    `callbacks: ${c.sent} distinct PAID at ${CALLBACK_RATE}/s (achieved ${c.load.rps.toFixed(0)}/s) while every Xero call hangs, worker running: ` +
      `200s ${c.load.statuses['200'] ?? 0}/${c.sent}${Object.keys(c.load.statuses).some((k) => k !== '200') || c.load.errors ? ` (answers ${JSON.stringify(c.load.statuses)}, ${c.load.errors} connection errors${c.load.errorCodes ? ` ${JSON.stringify(c.load.errorCodes)}` : ''})` : ''}, p50 ${ms(c.load.p50)}, p99 ${ms(c.load.p99)}, max ${ms(c.load.max)}; ` +
      `events stored ${c.stored}, jobs queued ${c.jobs}, lost ${c.lost}`,
  );
  if (w) log(`  the first ${w.requests} (1 s warm-up: new connections and pool, cold code) are not in p50/p99: their p99 ${ms(w.p99)}, max ${ms(w.max)}`);
}

async function callbacksOnly(): Promise<void> {
  const sims = await startSims(LATENCY);
  try {
    for (const engine of engines) {
      if (engine === 'postgres' && !(await checkPostgres())) {
        log(`PostgreSQL unreachable at ${ADMIN_URL}: skipping the postgres runs`);
        continue;
      }
      const stack = await startStack(engine, sims);
      try {
        log(`== ${engine} ==`);
        const c = await benchCallbacks(stack, LATENCY, CALLBACK_RATE, CALLBACK_SECONDS);
        callbackLines(c);
        log(`  ${c.load.p99 < 50 && c.lost === 0 ? 'met    ' : 'NOT met'} ${engine}: callback p99 < 50 ms with none lost`);
      } finally {
        await stack.close();
      }
    }
  } finally {
    await sims.close();
  }
  log(
    `load average now ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
