/**
 * One reconciliation report at a time per merchant, and the last one kept a few minutes for its CSV.
 * A report reads every paid Xendit invoice of the range (up to 366 days), its fees one by one, and
 * pages of Xero: a dozen tabs of it would spend the Xero and Xendit budget the merchant's payments
 * need. The guard is a leased row in the database (store/report-runs.ts), so it holds across every
 * web process; the report kept for the CSV link is this process's own.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { TooManyRequests } from '../../errors.js';
import type { ReportRunStore } from '../../store/report-runs.js';

/** How long "Download CSV" reuses the report just shown instead of asking Xero and Xendit again. */
export const REPORT_REUSE_MS = 5 * 60_000;
/** What Retry-After says to someone whose report is refused while another is being prepared. */
export const REPORT_BUSY_RETRY_SECONDS = 30;
/**
 * How long a run holds the merchant without renewing: the longest a process that died mid-report
 * keeps the merchant's next report waiting. A live run renews it four times as often.
 */
export const REPORT_LEASE_MS = 2 * 60_000;

/** Another report of this merchant is being prepared: try again shortly. */
export class ReportBusy extends TooManyRequests {
  constructor(merchantId: string) {
    super(`a reconciliation report of merchant ${merchantId} is already being prepared`, REPORT_BUSY_RETRY_SECONDS);
  }
}

export interface ReportRuns<R> {
  /**
   * Runs `compute` unless another report of the merchant is running in any process (ReportBusy). With
   * `reuse`, this process's last report of the merchant for the same range, if made within
   * REPORT_REUSE_MS, is answered instead.
   */
  run(merchantId: string, range: { from: string; to: string }, reuse: boolean, compute: () => Promise<R>): Promise<R>;
}

/** Calls `fn` every `ms` until the returned function is called. */
export type Every = (ms: number, fn: () => void) => () => void;

const realTimer: Every = (ms, fn) => {
  const timer = setInterval(fn, ms);
  // A run's renewal never keeps a process from exiting.
  timer.unref();
  return () => clearInterval(timer);
};

export function createReportRuns<R>(opts: {
  clock: () => Date;
  leases: Pick<ReportRunStore, 'take' | 'renew' | 'release'>;
  logger: Pick<Logger, 'warn'>;
  reuseMs?: number;
  leaseMs?: number;
  every?: Every;
}): ReportRuns<R> {
  const { clock, leases, logger, reuseMs = REPORT_REUSE_MS, leaseMs = REPORT_LEASE_MS, every = realTimer } = opts;
  const until = () => new Date(clock().getTime() + leaseMs);
  // Only the merchant's last report: memory stays one report per merchant.
  const last = new Map<string, { range: string; at: number; report: R }>();
  return {
    async run(merchantId, { from, to }, reuse, compute) {
      const range = `${from}/${to}`;
      const kept = last.get(merchantId);
      if (reuse && kept && kept.range === range && clock().getTime() - kept.at <= reuseMs) return kept.report;
      const holder = randomUUID();
      if (!(await leases.take(merchantId, holder, clock(), until()))) throw new ReportBusy(merchantId);
      const renew = () => {
        leases.renew(merchantId, holder, until()).then(
          (held) => held || logger.warn({ merchantId }, 'reconciliation report ran past its lease: another run may have started'),
          (err: unknown) => logger.warn({ merchantId, err: String(err) }, 'reconciliation report lease not renewed'),
        );
      };
      const stop = every(Math.floor(leaseMs / 4), renew);
      // Released however the run ends: a report, an error, or a client that hung up (the run goes on
      // to its end, so its Xero and Xendit reads are never made twice at once).
      try {
        const report = await compute();
        last.set(merchantId, { range, at: clock().getTime(), report });
        return report;
      } finally {
        stop();
        // Not released (the database away): the lease lapses on its own within REPORT_LEASE_MS.
        await leases
          .release(merchantId, holder)
          .catch((err: unknown) => logger.warn({ merchantId, err: String(err) }, 'reconciliation report lease not released'));
      }
    },
  };
}
