/**
 * The load generator, run as its own process (bench/run.ts spawns it) so that autocannon does not
 * share an event loop with the gateway it measures. Reads one JSON job from stdin, prints one JSON
 * line. Latencies come from autocannon's per-response event (float ms): its own histogram has
 * 1 ms resolution and records only 2xx, and /pay answers 303.
 */
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { percentile, summarize, type LoadResult } from './stats.js';

export interface LoadJob {
  url: string;
  connections: number;
  /** Seconds; ignored when `bodies` is given (then exactly one request per body). */
  durationSeconds?: number;
  /** Requests per second over all connections; with `bodies`, sent open-loop at that steady rate (see steady()); unset = as fast as possible. */
  overallRate?: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Paths (with query) on the url's host, taken in turn by the requests (a load spread over many invoices). */
  paths?: string[];
  /** POST bodies, each sent once, in order. */
  bodies?: string[];
  /** Warm-up seconds whose responses are not counted in the latencies (with `bodies`: their statuses are, and their latencies are summarised apart). */
  warmupSeconds?: number;
  /** Also return every latency, so runs can be merged. */
  raw?: boolean;
}

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const job = JSON.parse(input) as LoadJob;
  // A steady run warms up on its own first bodies (steady()): a warm-up here would POST empty bodies.
  const isSteady = Boolean(job.bodies && job.overallRate);
  if (job.warmupSeconds && !isSteady) await run({ ...job, durationSeconds: job.warmupSeconds, bodies: undefined, overallRate: undefined });
  const result = isSteady ? await steady(job, job.bodies!, job.overallRate!) : await run(job);
  process.stdout.write(JSON.stringify(result) + '\n');
}

function run(job: LoadJob): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const bodies = job.bodies;
  const paths = job.paths?.length ? job.paths : undefined;
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        ...(bodies ? { amount: bodies.length } : { duration: job.durationSeconds ?? 5 }),
        ...(job.overallRate ? { overallRate: job.overallRate } : {}),
        timeout: 30,
        requests: [
          {
            method: job.method ?? 'GET',
            headers: job.headers,
            ...(bodies ? { setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) } : {}),
            ...(paths ? { setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) } : {}),
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const seconds = result?.duration || Number(process.hrtime.bigint() - started) / 1e9;
        resolve({ ...summarize(latencies, statuses, errors, seconds), ...(job.raw ? { latencies } : {}) });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      latencies.push(responseTime);
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
    instance.on('reqError', () => {
      errors++;
    });
  });
}

/**
 * An open-loop sender: body k goes out at start + k / rate whatever earlier answers do (as Xendit
 * sends callbacks), over up to `connections` keep-alive sockets. Latency runs from the scheduled
 * time, so a stall shows in full instead of delaying what follows (no coordinated omission).
 * autocannon's overallRate sends in bursts per connection: a handler that answers in 0.1 ms
 * measured p50 21 ms / p99 134 ms with 50 connections at 200/s.
 */
function steady(job: LoadJob, bodies: string[], rate: number): Promise<LoadResult> {
  const url = new URL(job.url);
  const agent = new Agent({ keepAlive: true, maxSockets: job.connections });
  const latencies: number[] = [];
  const warm: number[] = [];
  const warmupMs = (job.warmupSeconds ?? 0) * 1000;
  const statuses: Record<string, number> = {};
  let errors = 0;
  const errorCodes: Record<string, number> = {};
  let done = 0;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const finish = () => {
      if (++done < bodies.length) return;
      agent.destroy();
      const measured = summarize(latencies, statuses, errors, (performance.now() - t0 - warmupMs) / 1000);
      const result = errors ? { ...measured, errorCodes } : measured;
      resolve(warm.length ? { ...result, warmup: { requests: warm.length, p99: percentile(warm, 99), max: Math.max(...warm) } } : result);
    };
    const send = (k: number) => {
      const due = t0 + (k * 1000) / rate;
      const req = request(
        url,
        { method: job.method ?? 'POST', headers: { ...job.headers, 'content-length': Buffer.byteLength(bodies[k]) }, agent, timeout: 30_000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            (due - t0 < warmupMs ? warm : latencies).push(performance.now() - due);
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
            finish();
          });
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        errors++;
        errorCodes[err.code ?? err.message] = (errorCodes[err.code ?? err.message] ?? 0) + 1;
        finish();
      });
      req.end(bodies[k]);
    };
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (next < bodies.length && t0 + (next * 1000) / rate <= now) send(next++);
      if (next < bodies.length) setTimeout(tick, Math.max(0, t0 + (next * 1000) / rate - performance.now()));
    };
    tick();
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
