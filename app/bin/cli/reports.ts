/** report (Xendit's paid invoices against the clearing account) and reconcile (ask Xendit now about open checkouts). */
import { parseArgs } from 'node:util';
import { reconcile } from '../../jobs/sync/reconcile.js';
import { reconciliationReport } from '../../report/reconcile.js';
import { toCsv, toText } from '../../report/output.js';
import type { Runtime } from '../bootstrap.js';
import { UsageError, type Command, type Io } from './io.js';
import { merchantArg } from './merchant-arg.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;

async function report(runtime: Runtime, args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { merchant: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, csv: { type: 'boolean', default: false } },
    strict: true,
  });
  const { merchant: id, from, to } = values;
  if (!id || !from || !to) throw new UsageError('report needs --merchant, --from and --to');
  for (const d of [from, to]) if (!DATE.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`))) throw new UsageError(`not a date (YYYY-MM-DD): ${d}`);
  if (from > to) throw new UsageError('--from is after --to');
  if (Date.parse(to) - Date.parse(from) > 366 * 86_400_000) throw new UsageError('a report covers at most 366 days');
  const merchant = await merchantArg(runtime, id, 'report needs --merchant, --from and --to');
  const r = await reconciliationReport(runtime, merchant, { from, to });
  io.out(values.csv ? toCsv(r).trimEnd() : toText(r));
  return r.reconciled ? 0 : 1;
}

async function reconcileNow(runtime: Runtime, args: string[], io: Io): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { merchant: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string', default: '1000' }, json: { type: 'boolean', default: false } },
    strict: true,
  });
  const merchant = await merchantArg(runtime, values.merchant, '--merchant ID is required');
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime())) throw new UsageError(`--since ${values.since} is not a date (use e.g. 2026-11-01)`);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new UsageError('--limit must be a whole number from 1 to 10000');
  const summary = await reconcile(runtime, { merchantId: merchant.id, since, minAgeMinutes: 0, batch: limit });
  if (values.json) {
    io.out(JSON.stringify(summary));
    return;
  }
  io.out(
    `Checked ${summary.checked} open checkout(s) of ${merchant.name}: ${summary.paid} paid (queued for recording in Xero), ` +
      `${summary.expired} expired, ${summary.pending} still pending, ${summary.unknown} unknown at Xendit, ${summary.failed} not answered.`,
  );
  if (summary.failed) io.out('Xendit did not answer for some checkouts: run this again later.');
}

export const reportCommands: Record<string, Command> = { report, reconcile: reconcileNow };
