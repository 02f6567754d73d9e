/** The dashboard's reconciliation page: the same report as `npm run cli -- report`, for one merchant the actor may see. */
import type { User } from '../../store/users.js';
import type { Merchant } from '../../store/merchants.js';
import { UpstreamError } from '../../clients/types.js';
import { FormInvalid, ServiceUnavailable } from '../../errors.js';
import { reconciliationReport, type Report } from '../../report/reconcile.js';
import { reportKeys } from '../../report/xendit-accounts.js';
import { csvLines, REPORT_CSV_HEADER, reportCsvCells } from '../../report/output.js';
import { merchantFor, type MerchantOnboardingDeps } from '../merchants/service.js';
import { balances, type BalanceRow } from '../payments/balances.js';
import type { ReportRuns } from './runs.js';

export const NOT_READY = 'errors:merchantNotReady';

/** A report row with what people know the payment by: the Xero invoice number and the customer. */
export type LabelledRow = Report['rows'][number] & { invoiceNumber: string | null; customer: string | null };
export type LabelledReport = Omit<Report, 'rows' | 'clearingEntries' | 'formerClearingAccounts'> & {
  rows: LabelledRow[];
  /** Today's balances, Xendit's next to the clearing account's, when the range reaches today; else []. */
  balances: BalanceRow[];
  /** Some currency's balances, both known, differ: what Xendit holds is not what Xero says. */
  balancesDiffer: boolean;
  /**
   * Currencies whose balances today could not be compared (a side not read, Xero's figure in the
   * base currency only, a clearing account that is not a bank account). "Reconciled" means the
   * balances agree, so it is not said while one is unknown.
   */
  balancesUncompared: string[];
  /** The report's own verdict on the rows and totals, before the balances. */
  entriesReconciled: boolean;
};

/**
 * The report for one merchant the actor may see, made through `runs` (one per merchant at a time;
 * with `reuse`, the last one of the same range if it is recent). The actor's access is checked first,
 * so a reused report is never shown to someone who may not see it.
 */
export async function merchantReport(
  deps: MerchantOnboardingDeps,
  actor: User,
  q: { merchantId: string; from: string; to: string },
  runs: ReportRuns<LabelledReport>,
  reuse = false,
): Promise<LabelledReport> {
  const merchant = await merchantFor(deps, actor, q.merchantId);
  if (!merchant.xenditSecretKey || !merchant.clearingAccountId) throw new FormInvalid({ merchant: NOT_READY });
  return runs.run(merchant.id, q, reuse, () => freshReport(deps, merchant, q));
}

async function freshReport(deps: MerchantOnboardingDeps, merchant: Merchant, q: { from: string; to: string }): Promise<LabelledReport> {
  try {
    const report = await reconciliationReport({ xero: deps.xero, xendit: deps.xendit, stores: deps.stores }, merchant, { from: q.from, to: q.to });
    const ids = report.rows.map((r) => r.xenditInvoiceId).filter((id): id is string => id !== null);
    const labels = await deps.stores.dashboard.labels(merchant.id, ids);
    // Balances are today's: they speak for a range that reaches today (a day's slack for time zones).
    const reachesToday = q.to >= new Date(deps.clock().getTime() - 86_400_000).toISOString().slice(0, 10);
    // Xendit's side: every account whose money the report compared (a test company may hold a test and a live one).
    const keys = reportKeys(merchant).map((k) => k.key);
    const now = reachesToday ? await balances(deps, merchant, report.clearingEntries, report.formerClearingAccounts, keys) : [];
    const balancesDiffer = now.some((b) => b.xendit !== null && b.xero !== null && !b.balanced);
    const balancesUncompared = now.filter((b) => b.xendit === null || b.xero === null).map((b) => b.currency);
    const { clearingEntries: _, formerClearingAccounts: __, ...shown } = report;
    return {
      ...shown,
      reconciled: report.reconciled && !balancesDiffer && !balancesUncompared.length,
      entriesReconciled: report.reconciled,
      balances: now,
      balancesDiffer,
      balancesUncompared,
      rows: report.rows.map((r) => ({ ...r, invoiceNumber: null, customer: null, ...(r.xenditInvoiceId ? labels.get(r.xenditInvoiceId) : {}) })),
    };
  } catch (err) {
    if (err instanceof UpstreamError) throw new ServiceUnavailable(`reconciliation report: ${err.message}`, err.retryAfterSeconds ?? 30);
    throw err;
  }
}

/** The report's CSV with the invoice number and customer after the Xendit invoice id. */
export function labelledCsv(report: LabelledReport): string {
  const head = [...REPORT_CSV_HEADER];
  return csvLines([
    [...head.slice(0, 2), 'invoice_number', 'customer', ...head.slice(2)],
    ...report.rows.map((r) => {
      const cells = reportCsvCells(r);
      return [...cells.slice(0, 2), r.invoiceNumber, r.customer, ...cells.slice(2)];
    }),
  ]);
}
