import { readFileSync } from 'node:fs';

/** Peak resident set size of a process so far (VmHWM), in bytes; undefined off Linux. */
export function peakRss(pid: number | 'self' = 'self'): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples this process's RSS while phases run, keeping the peak of each phase. */
export function rssMonitor(intervalMs = 50) {
  const peaks = new Map<string, number>();
  let phase = 'setup';
  const sample = () => peaks.set(phase, Math.max(peaks.get(phase) ?? 0, process.memoryUsage().rss));
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    phase(name: string) {
      sample();
      phase = name;
      sample();
    },
    peaks: () => (sample(), peaks),
    stop: () => clearInterval(timer),
  };
}
