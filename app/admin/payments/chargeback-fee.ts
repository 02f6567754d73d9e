/**
 * How a payment's page shows Xendit's fee on each of its chargebacks (jobs/sync/chargeback-fee.ts):
 * what Xendit charged, where it stands, and its entry in Xero.
 */
import type { JobState } from '../../store/schema.js';
import type { FeeEntryKind, Refund } from '../../store/refunds.js';
import { feeInsideChargeback } from '../../jobs/sync/chargeback-fee.js';

/**
 * - waiting: Xendit shows no figures yet (its CHARGEBACK transaction not listed, or its fee PENDING);
 * - none: Xendit charged none; inside: it came out of the chargeback's own amount, nothing apart;
 * - booked: in Xero (`entry`); review: a person must look (`reason`);
 * - toBook: read, its job to book it; notBooked: its job done without an entry (billed monthly, fee posting off);
 * - handled: its job taken out of review by a person who handled it by hand (admin/review): the gateway books nothing.
 */
export type ChargebackFeeState = 'waiting' | 'none' | 'inside' | 'booked' | 'review' | 'toBook' | 'notBooked' | 'handled';

export interface ChargebackFeeView {
  state: ChargebackFeeState;
  /** Fee, VAT and tax withheld as Xendit shows them (minor units); null: not read yet. */
  amount: number | null;
  entry: { kind: FeeEntryKind; id: string } | null;
  reason: string | null;
}

/** The fee of chargeback `r` booked in Xero (state recorded), as its LOST job (`job`: its state, null: none) left it; null: not a chargeback booked. */
export function chargebackFeeView(r: Refund, job: JobState | null): ChargebackFeeView | null {
  if (r.kind !== 'chargeback' || r.state !== 'recorded') return null;
  const f = r.chargebackFee;
  const amount = f ? f.fee + f.withheld : null;
  const view = (state: ChargebackFeeState, reason: string | null = null): ChargebackFeeView => ({ state, amount, entry: null, reason });
  // A fee booked by a release before the entry's kind was kept is a Spend Money.
  if (r.xeroFeeTxnId) return { ...view('booked'), entry: { kind: r.feeEntryKind ?? 'spend', id: r.xeroFeeTxnId } };
  if (f && amount === 0) return view('none');
  if (f && feeInsideChargeback(f, r.amount)) return view('inside');
  if (job === 'needs_review') return view('review', r.lastError);
  if (job === 'handled') return view('handled');
  if (!f) return view('waiting');
  return view(job === 'done' ? 'notBooked' : 'toBook');
}
