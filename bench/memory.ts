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

/**
 * Memory of the embedded PostgreSQL server of a data directory: the proportional set size (PSS)
 * of the postmaster and its children, so shared buffers are counted once, not once per backend.
 */
export function embeddedServerMemory(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(`${dataDir}/pg/postmaster.pid`, 'utf8').split('\n')[0]);
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    let total = 0;
    for (const p of [pid, ...children]) {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'));
      total += m ? Number(m[1]) * 1024 : 0;
    }
    return total;
  } catch {
    return undefined;
  }
}
