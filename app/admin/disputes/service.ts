/**
 * A merchant's disputes (chargebacks): what the gateway is watching and what it booked, and the
 * Dispute Report upload that finds the disputes whose webhooks never came. Each dispute in the
 * report becomes the same `record-dispute` job a webhook queues (one per dispute and status, by
 * its dedupe key): the job reads the dispute from Xendit, books it only when Xendit says LOST, and
 * watches it daily while open. So an upload books nothing by itself, and two uploads of one report
 * queue nothing twice (but a lost dispute done without a booking, as a LOST webhook read ahead of
 * Xendit leaves it, is read once more).
 */
import type { User } from '../../store/users.js';
import type { Merchant } from '../../store/merchants.js';
import type { OpenDispute } from '../../store/open-disputes.js';
import type { Refund } from '../../store/refunds.js';
import { FormInvalid } from '../../errors.js';
import { enqueue } from '../../jobs/enqueue.js';
import { queueLost } from '../../jobs/sync/record-dispute.js';
import { message } from '../../i18n/index.js';
import { recordChange } from '../audit.js';
import { merchantFor, merchantToChange, type MerchantOnboardingDeps } from '../merchants/service.js';
import { parseDisputeReport } from './dispute-report.js';

export type DisputeDeps = MerchantOnboardingDeps & { onJobEnqueued?: () => void };

/** How many of each list the page shows. */
const SHOWN = 200;
/**
 * An upload's reads are spread out, five a second from now, so that a long report (or made-up ids)
 * never holds up other merchants' payments: jobs are claimed by due time, and these fall due slowly.
 */
export const DISPUTE_READ_SPACING_MS = 200;
/** An upload waits while this many dispute reads of the merchant are still to be made. */
export const MAX_WAITING_READS = 500;

export async function disputesOf(
  deps: DisputeDeps,
  actor: User,
  merchantId: string,
): Promise<{ merchant: Merchant; open: OpenDispute[]; chargebacks: Refund[] }> {
  const merchant = await merchantFor(deps, actor, merchantId);
  const [open, chargebacks] = await Promise.all([
    deps.stores.openDisputes.forMerchant(merchant.id, SHOWN),
    deps.stores.refunds.chargebacksOf(merchant.id, SHOWN),
  ]);
  return { merchant, open, chargebacks };
}

/** Reads the report and queues a look at Xendit for each dispute not already queued; FormInvalid (400) naming what is wrong. */
export async function readDisputeReport(deps: DisputeDeps, actor: User, merchantId: string, csv: string): Promise<{ read: number; queued: number }> {
  const merchant = await merchantToChange(deps, actor, merchantId);
  // Without a key nothing can be read at Xendit: every row would end in review.
  if (!merchant.xenditSecretKey) throw new FormInvalid({ report: 'errors:disputeReportNoKey' }, 400);
  const parsed = parseDisputeReport(csv);
  if ('problems' in parsed) throw new FormInvalid({ report: message('errors:disputeReportUnreadable', { problems: parsed.problems }) }, 400);
  const waiting = await deps.stores.jobs.unfinished(merchant.id, 'record-dispute');
  if (waiting > MAX_WAITING_READS) throw new FormInvalid({ report: message('errors:disputeReportBusy', { count: waiting }) }, 422);
  const start = deps.clock().getTime();
  let queued = 0;
  for (const d of parsed.disputes) {
    const runAt = new Date(start + queued * DISPUTE_READ_SPACING_MS);
    const made =
      d.status === 'LOST'
        ? await queueLost(deps, merchant.id, d.id, { readLost: false, runAt })
        : await enqueue(deps.stores.jobs, 'record-dispute', { merchantId: merchant.id, xenditDisputeId: d.id, status: d.status }, deps.clock(), { runAt });
    if (!made) continue;
    queued++;
    deps.onJobEnqueued?.();
  }
  deps.logger.info({ merchantId: merchant.id, read: parsed.disputes.length, queued }, 'Xendit dispute report read');
  await recordChange(deps, actor, merchant.id, 'xendit_dispute_report_read', { disputes: parsed.disputes.length, queued });
  return { read: parsed.disputes.length, queued };
}
