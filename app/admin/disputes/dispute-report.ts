/**
 * Xendit's Dispute Report (docs.xendit.co "Dispute Report"): the CSV the dashboard's Disputes page
 * exports, one row per dispute with its current status (dispute_id, payment_id, status, reason, …).
 * Xendit has no API that lists disputes, so this file is how a dispute none of whose webhooks
 * arrived reaches the gateway. Only the ids are trusted to name something: each dispute is read
 * from Xendit before anything is booked; the status is a hint that picks the job.
 */
import { message, type Message } from '../../i18n/index.js';
import { disputeHint, type DisputeHint } from '../../jobs/kinds.js';
import { csvTable, fewProblems } from '../csv.js';

export interface ReportedDispute {
  id: string;
  status: DisputeHint;
}

/** Years of a small business's disputes; more is split into several uploads. */
export const MAX_REPORTED_DISPUTES = 2000;

/** Xendit's ids are letters, digits, '-' and '_' (e.g. "mi-dspt-…"); what may not be one is refused. */
const DISPUTE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

export function parseDisputeReport(text: string): { disputes: ReportedDispute[] } | { problems: Message[] } {
  const table = csvTable(text, { maxRows: MAX_REPORTED_DISPUTES, tooMany: message('errors:disputeReportTooLong', { max: MAX_REPORTED_DISPUTES }) });
  if ('problem' in table) return { problems: [table.problem] };
  const idCol = table.col('dispute_id');
  const statusCol = table.col('status');
  if (idCol === -1) return { problems: [message('errors:disputeReportColumns')] };
  if (!table.body.length) return { problems: [message('errors:disputeReportNoRows')] };

  const problems: Message[] = [];
  const seen = new Map<string, ReportedDispute>();
  for (const { cells, line } of table.body) {
    const id = (cells[idCol] ?? '').trim();
    if (!DISPUTE_ID.test(id)) {
      problems.push(message('errors:disputeReportId', { line, value: id.slice(0, 40) }));
      continue;
    }
    const said = statusCol === -1 ? '' : (cells[statusCol] ?? '').trim().toUpperCase();
    // An id listed twice (two exports pasted together) is one dispute; the last status listed wins.
    seen.set(id, { id, status: disputeHint(said) });
  }
  if (problems.length) return { problems: fewProblems(problems) };
  return { disputes: [...seen.values()] };
}
