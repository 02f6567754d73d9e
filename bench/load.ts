/**
 * The load generator, run as its own process (bench/run.ts spawns it) so that autocannon does not
 * share an event loop with the gateway it measures. Reads one JSON job from stdin, prints one JSON
 * line. Latencies come from autocannon's per-response event (float ms): its own histogram has
 * 1 ms resolution and records only 2xx, and /pay answers 303.
 */
import autocannon from 'autocannon';
import { summarize, type LoadResult } from './stats.js';

export interface LoadJob {
  url: string;
  connections: number;
  /** Seconds; ignored when `bodies` is given (then exactly one request per body). */
  durationSeconds?: number;
  /** Requests per second over all connections (steady rate); unset = as fast as possible. */
  overallRate?: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** POST bodies, each sent once, in order. */
  bodies?: string[];
  /** Warm-up seconds whose responses are not counted. */
  warmupSeconds?: number;
  /** Also return every latency, so runs can be merged. */
  raw?: boolean;
}

async function main(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const job = JSON.parse(input) as LoadJob;
  if (job.warmupSeconds) await run({ ...job, durationSeconds: job.warmupSeconds, bodies: undefined, overallRate: undefined });
  const result = await run(job);
  process.stdout.write(JSON.stringify(result) + '\n');
}

function run(job: LoadJob): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  const bodies = job.bodies;
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

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
