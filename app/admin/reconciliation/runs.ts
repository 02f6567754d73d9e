/**
 * One reconciliation report at a time per merchant, and the last one kept a few minutes for its CSV.
 * A report reads every paid Xendit invoice of the range (up to 366 days), its fees one by one, and
 * pages of Xero: a dozen tabs of it would spend the Xero and Xendit budget the merchant's payments
 * need. Held in this web process: each process runs at most one report per merchant.
 */
import { TooManyRequests } from '../../errors.js';

/** How long "Download CSV" reuses the report just shown instead of asking Xero and Xendit again. */
export const REPORT_REUSE_MS = 5 * 60_000;
/** What Retry-After says to someone whose report is refused while another is being prepared. */
export const REPORT_BUSY_RETRY_SECONDS = 30;

/** Another report of this merchant is being prepared: try again shortly. */
export class ReportBusy extends TooManyRequests {
  constructor(merchantId: string) {
    super(`a reconciliation report of merchant ${merchantId} is already being prepared`, REPORT_BUSY_RETRY_SECONDS);
  }
}

export interface ReportRuns<R> {
  /**
   * Runs `compute` unless another report of the merchant is running (ReportBusy). With `reuse`, the
   * merchant's last report of the same range, if made within REPORT_REUSE_MS, is answered instead.
   */
  run(merchantId: string, range: { from: string; to: string }, reuse: boolean, compute: () => Promise<R>): Promise<R>;
}

export function createReportRuns<R>(clock: () => Date, reuseMs = REPORT_REUSE_MS): ReportRuns<R> {
  const running = new Set<string>();
  // Only the merchant's last report: memory stays one report per merchant.
  const last = new Map<string, { range: string; at: number; report: R }>();
  return {
    async run(merchantId, { from, to }, reuse, compute) {
      const range = `${from}/${to}`;
      const kept = last.get(merchantId);
      if (reuse && kept && kept.range === range && clock().getTime() - kept.at <= reuseMs) return kept.report;
      if (running.has(merchantId)) throw new ReportBusy(merchantId);
      running.add(merchantId);
      try {
        const report = await compute();
        last.set(merchantId, { range, at: clock().getTime(), report });
        return report;
      } finally {
        running.delete(merchantId);
      }
    },
  };
}
