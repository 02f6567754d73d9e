/**
 * What Xendit charged for a payout: a withdrawal, or another movement of the balance (a payout to a
 * supplier, a top-up). The Transactions API lists no fee rows of their own ("Fee transactions will
 * not be included", help.xendit.co on the transactions tab): a payout's fee is its transaction's fee
 * object, deducted from the cash balance when the payout completes under direct deduction ("Fees are
 * applied once payouts are completed", docs.xendit.co/transaction-fees). Counted once COMPLETED:
 * PENDING is not taken yet, NOT_APPLICABLE none. Whether money out's fee came out of `amount` or on
 * top is not documented: net_amount decides when it equals amount − fee (came out of it); otherwise
 * on top, as a direct-deduction fee is its own deduction. Money in's always leaves the balance
 * (net_amount, as a payment's, is what it brought in).
 * A REVERSED transaction: whether its fee comes back is not documented either, so its fee's own
 * status says (xendit-node FeeResponse.status PENDING | COMPLETED | CANCELED | REVERSED |
 * NOT_APPLICABLE): COMPLETED, Xendit kept it; REVERSED, taken and given back (its amount still read,
 * as it left the balance with the payout); CANCELED, given back or never taken (feeBack, no amount).
 * The VAT is kept apart (feeTax): booked on a line of its own, as a payment fee's is (post-fee feeLines).
 */
import type { minorReader } from './amounts.js';

interface FeeOf {
  status?: string | null;
  net_amount?: number | null;
  fee?: { xendit_fee?: number | null; value_added_tax?: number | null; status?: string | null } | null;
}

export interface PayoutFee {
  fee?: number;
  feeTax?: number;
  feeInAmount?: boolean;
  feeBack?: boolean;
  /** PENDING: nothing taken yet, and not final (a row read again by its id is read later: jobs/sync/unlisted-rows.ts). */
  feePending?: boolean;
}

export function payoutFee(t: FeeOf, amount: number, moneyOut: boolean, minor: ReturnType<typeof minorReader>): PayoutFee {
  const status = t.fee?.status;
  const back = t.status === 'REVERSED' && (status === 'REVERSED' || status === 'CANCELED') ? { feeBack: true } : {};
  if (status === 'PENDING') return { feePending: true };
  if (status !== 'COMPLETED' && !(t.status === 'REVERSED' && status === 'REVERSED')) return back;
  const tax = minor(t.fee?.value_added_tax ?? 0, 'fee.value_added_tax');
  const fee = minor(t.fee?.xendit_fee ?? 0, 'fee.xendit_fee') + tax;
  if (fee <= 0) return back;
  const net = t.net_amount == null ? undefined : minor(Math.abs(t.net_amount), 'net_amount');
  return { fee, ...(tax > 0 ? { feeTax: tax } : {}), feeInAmount: moneyOut && net === amount - fee, ...back };
}
