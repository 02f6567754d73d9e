/**
 * The reconciliation report's rows for a withdrawal the bank sent back before the gateway booked
 * its transfer out (transfers.ts): nothing is booked for what left and came back, besides a fee
 * Xendit kept (record-withdrawal books that fee alone). Between the two days Xendit's balance is
 * below the clearing account by it, so a range holding only one of them counts that half on Xendit's
 * side (`not_in_xero`: not reconciled), and one holding both nets it to nothing, as other movements
 * sent back before they were booked (movements.ts sentBackFirst).
 */
import type { XenditWithdrawal } from '../clients/xendit/types.js';
import type { XenditFeeBilling } from '../store/merchants.js';
import { format, type ReportRow } from './rows.js';
import { inAccount, type ReportKey } from './xendit-accounts.js';

/** What the withdrawal took from Xendit's balance: its amount, and a fee charged on top unless billed monthly when it was made. */
export function balanceDrop(billingAt: (at: Date) => XenditFeeBilling, w: XenditWithdrawal): number {
  return w.fee && !w.feeInAmount && billingAt(new Date(w.created)) !== 'invoiced' ? w.amount + w.fee : w.amount;
}

/** A reversed withdrawal's fee Xendit kept (fee status COMPLETED): what comes back is that much less than what left. */
export function feeKept(billingAt: (at: Date) => XenditFeeBilling, w: XenditWithdrawal): number {
  return w.status === 'REVERSED' && w.fee && !w.feeBack && billingAt(new Date(w.created)) !== 'invoiced' ? w.fee : 0;
}

type InRange = (date: string | undefined) => boolean;

/**
 * Sent back before anything was booked, no fee kept (record-withdrawal books nothing, in any month):
 * the range holds one of its two days, `half` (hundredths) being what Xendit's balance did on it.
 */
export function unbookedRow(
  account: ReportKey | undefined,
  w: { id: string; out: string; back: string; currency: string },
  half: bigint,
  inRange: InRange,
): ReportRow {
  const note = `withdrawal ${w.id} left on ${w.out} and was sent back by the bank on ${w.back}, before anything was booked: nothing is booked for it, so Xendit's balance differs from the clearing account by it until ${inRange(w.out) ? w.back : 'then'}`;
  return row(account, inRange(w.out) ? w.out : w.back, w.currency, format(half), null, 'not_in_xero', note);
}

/**
 * Sent back before anything was booked, its fee kept by Xendit: all it took from Xendit's balance
 * for good is that fee, and the fee is all record-withdrawal books (dated the day it left, or the
 * first open day after a lock date). The fee counts on both sides in the range its entry is dated in,
 * or, not booked yet (in review), the one it left in; the rest, what left and came back besides that
 * fee, in each range holding one of its two days alone (unbookedRow's reasoning). Both days in a range
 * whose fee is dated in another (a lock date): the fee shown, uncounted. A fee Xendit gave back after
 * it was booked so (`givenBack`) is booked back: that half counts, as the first, in the range of its
 * entry's day (not booked back yet: the day it came back), so each range shows the halves it holds.
 */
export function keptFeeRows(
  account: ReportKey | undefined,
  w: { id: string; out: string; back: string; currency: string; size: bigint; kept: bigint },
  /** Its fee's entries in the range, net, hundredths (positive: out of the clearing account). */
  fee: bigint | undefined,
  /** The first day its fee is booked on, at any date. */
  feeOn: string | undefined,
  inRange: InRange,
  /** Given back since its fee was booked: the first day its return is booked on, at any date, and the day Xendit gave it back. */
  givenBack?: { on: string | undefined; at?: string | undefined },
): { rows: ReportRow[]; xendit: bigint; xero: bigint } {
  const what = `withdrawal ${w.id} left on ${w.out} and came back on ${w.back} (sent back by the bank before its transfer was booked)`;
  const kept = givenBack ? `the fee Xendit charged (${format(w.kept)})` : `the fee Xendit kept (${format(w.kept)})`;
  const rows: ReportRow[] = [];
  let xendit = 0n;
  let xero = 0n;
  const backOn = givenBack && (givenBack.on ?? givenBack.at ?? w.back);
  const spent = feeOn ? inRange(feeOn) : inRange(w.out);
  const feeHere = fee !== undefined || spent || inRange(backOn);
  if (feeHere) {
    const counted = (spent ? -w.kept : 0n) + (inRange(backOn) ? w.kept : 0n);
    const booked = fee === undefined ? null : -fee;
    const status = booked === null ? 'missing_in_xero' : booked === counted ? 'transferred' : 'amount_differs';
    const date = [w.out, w.back, feeOn, backOn].find(inRange) ?? feeOn ?? w.out;
    const where = booked === null ? 'is not booked in Xero yet' : `is booked${feeOn && !inRange(w.out) ? ` on ${feeOn}` : ''}`;
    const note = !givenBack
      ? `${what}: ${kept} is all it took from the balance, and ${where}`
      : `${what}: ${kept} was booked alone on ${feeOn} and given back since, ${givenBack.on ? `booked back on ${givenBack.on}` : 'not booked back in Xero yet'}; this period holds ${
          spent && inRange(backOn) ? 'both' : spent ? 'the fee' : 'its return'
        }`;
    rows.push(row(account, date, w.currency, format(counted), booked === null ? null : format(booked), status, note));
    xendit += counted;
    xero += booked ?? 0n;
  }
  const half = (inRange(w.out) ? w.kept - w.size : 0n) + (inRange(w.back) ? w.size - w.kept : 0n);
  const where = feeHere ? 'counted on its own row' : feeOn ? `booked on ${feeOn}: counted there` : `not booked yet: counted in the period that holds ${w.out}`;
  if (half) {
    const note = `${what}: nothing is booked for what left and came back besides ${kept}, so Xendit's balance differs from the clearing account by it until ${inRange(w.out) ? w.back : 'then'}; the fee is ${where}`;
    rows.push(row(account, inRange(w.out) ? w.out : w.back, w.currency, format(half), null, 'not_in_xero', note));
    xendit += half;
  } else if (!feeHere && !givenBack) rows.push(row(account, w.out, w.currency, format(-w.kept), null, 'xendit_only', `${what}: ${kept} is ${where}`));
  return { rows, xendit, xero };
}

export function row(
  account: ReportKey | undefined,
  date: string,
  currency: string,
  xendit: string | null,
  xero: string | null,
  status: ReportRow['status'],
  note: string,
): ReportRow {
  return inAccount({ date, xenditInvoiceId: null, currency, xenditAmount: xendit, xenditFee: null, xeroPayment: xero, xeroFee: null, status, note }, account);
}
