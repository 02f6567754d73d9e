/**
 * A merchant's disputes (chargebacks): what the gateway is watching and what it booked, and the
 * Dispute Report upload that finds the disputes whose webhooks never came. Each dispute in the
 * report becomes the same `record-dispute` job a webhook queues (one per dispute and status, by
 * its dedupe key): the job reads the dispute from Xendit, books it only when Xendit says LOST, and
 * watches it daily while open. So an upload books nothing by itself, and two uploads of one report
 * queue nothing twice.
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
  const parsed = parseDisputeReport(csv);
  if ('problems' in parsed) throw new FormInvalid({ report: message('errors:disputeReportUnreadable', { problems: parsed.problems }) }, 400);
  let queued = 0;
  for (const d of parsed.disputes) {
    const made =
      d.status === 'LOST'
        ? await queueLost(deps, merchant.id, d.id)
        : await enqueue(deps.stores.jobs, 'record-dispute', { merchantId: merchant.id, xenditDisputeId: d.id, status: d.status }, deps.clock());
    if (!made) continue;
    queued++;
    deps.onJobEnqueued?.();
  }
  deps.logger.info({ merchantId: merchant.id, read: parsed.disputes.length, queued }, 'Xendit dispute report read');
  await recordChange(deps, actor, merchant.id, 'xendit_dispute_report_read', { disputes: parsed.disputes.length, queued });
  return { read: parsed.disputes.length, queued };
}
