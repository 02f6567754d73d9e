/**
 * A CHARGEBACK transaction the chargeback listing (list-chargebacks.ts) could tie to no one dispute
 * (chargeback-dispute.ts): its product_id names a payment none of whose disputes the gateway knows
 * took that amount (no webhook of it came yet), several alike, or nothing Xendit or the gateway
 * knows. A dispute webhook still on its way makes the dispute known when its job reads it, so the
 * job tries again for a day from the transaction; tied then, it queues the dispute's LOST job (the
 * one its webhook queues: one job, booked once); else it waits for a person with the reason, and a
 * Retry (after a Dispute Report pasted on the Disputes tab, say) ties it again.
 */
import type { Job } from '../../store/jobs.js';
import { MatchChargebackPayload } from '../kinds.js';
import { NeedsReview, RetryLater } from '../runner.js';
import { readWithPaymentKey } from './checkout-key.js';
import { disputeOfChargeback } from './chargeback-dispute.js';
import { queueLost } from './record-dispute.js';
import type { RecordRefundDeps } from './record-refund.js';

/** How long a late dispute webhook is waited for, and how often the transaction is tied again meanwhile. */
const WAIT_MS = 86_400_000;
const RETRY_SECONDS = 7200;

export function matchChargebackJob(deps: RecordRefundDeps) {
  return async (job: Job): Promise<void> => {
    const { merchantId, xenditTransactionId } = MatchChargebackPayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);
    const { found: c, key } = await readWithPaymentKey(deps, deps.xendit, merchant, null, (k) => deps.xendit.getChargebackTransaction(k, xenditTransactionId));
    if (!c) throw new NeedsReview(`Xendit has no CHARGEBACK transaction ${xenditTransactionId}`);
    const tied = await disputeOfChargeback(deps, merchant, key, c);
    if ('disputeId' in tied) {
      await queueLost(deps, merchantId, tied.disputeId, { readLost: false });
      deps.logger.info({ merchantId, xenditTransactionId, xenditDisputeId: tied.disputeId }, 'chargeback tied to its dispute: its LOST job books it');
      return;
    }
    const made = Date.parse(c.created);
    if (!Number.isNaN(made) && deps.clock().getTime() - made < WAIT_MS) throw new RetryLater(tied.unmatched, RETRY_SECONDS);
    throw new NeedsReview(tied.unmatched);
  };
}
