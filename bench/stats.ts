export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  statuses: Record<string, number>;
  errors: number;
  /** The steady rate's connection errors by code (ECONNRESET, …): why a request got no answer. */
  errorCodes?: Record<string, number>;
  latencies?: number[];
  /** Requests sent during a warm-up (steady rate only), not in the figures above. */
  warmup?: { requests: number; p99: number; max: number };
}

/** Nearest-rank percentile of an unsorted list (ms). */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summarize(latencies: number[], statuses: Record<string, number>, errors: number, seconds: number): LoadResult {
  return {
    requests: latencies.length,
    seconds,
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.reduce((m, v) => Math.max(m, v), 0),
    statuses,
    errors,
  };
}

export const ms = (v: number, digits = 1) => `${v.toFixed(digits)} ms`;
export const ratio = (v: number) => v.toFixed(2);
export const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** One result from several runs of the same load (each returned with raw latencies). */
export function merge(runs: LoadResult[]): LoadResult {
  const latencies = runs.flatMap((r) => r.latencies ?? []);
  const statuses: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  return summarize(
    latencies,
    statuses,
    runs.reduce((s, r) => s + r.errors, 0),
    seconds,
  );
}
