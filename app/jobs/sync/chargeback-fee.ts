/**
 * What Xendit charged on a lost dispute: its CHARGEBACK transaction's `fee` object (xendit_fee,
 * value_added_tax, xendit_withholding_tax, third_party_withholding_tax, status: docs.xendit.co/apidocs/
 * list-transactions; xendit-node balance_and_transaction FeeResponse) leaves the balance besides the
 * disputed amount, so without it the clearing account stays above Xendit's balance by that fee.
 * Booked once by the dispute's LOST job after the chargeback itself, as a payout's fee is
 * (chargeback-fee-entry.ts: a Spend Money out of the clearing account the cash refund left, to the
 * fee account, the VAT and any tax withheld on lines of their own; a manual journal of the same lines
 * when that account is no bank account), Reference `Xendit chargeback fee <transaction id>`, its
 * attempt marked apart from the chargeback's (send-once.ts), so a run that dies between the two, or
 * after Xero took the fee, sends each once.
 * Whether the fee is on top of the transaction's amount or inside it is not documented: its
 * net_amount says (clients/xendit/chargebacks.ts). Inside an amount equal to what the chargeback
 * booked (the dispute's), it left the clearing account with the chargeback: nothing is booked apart.
 *
 * The figures are read once and kept on the chargeback's row (refunds.fee…): by the job through
 * getChargeback (by product_id, the dispute's id, else the disputed payment's: which one Xendit puts
 * there is not documented), or by the chargeback listing, which runs that job
 * again when it learns a fee the job could not read (the transaction not listed yet when it ran, or
 * a chargeback booked before fees were: list-chargebacks.ts). A fee PENDING with no figures is waited
 * for as a payment's is (fee-read.ts FEE_PENDING_WAIT_MS), then a person looks; never taken as none.
 * Fees billed monthly when it was lost are on Xendit's bill (record-fee-bill.ts), never taken from the
 * balance: only tax withheld is booked then.
 */
import type { Merchant } from '../../store/merchants.js';
import { clearingAccountFor } from '../../store/merchants.js';
import type { Refund, ChargebackFeeRead } from '../../store/refunds.js';
import type { XenditChargeback } from '../../clients/xendit/types.js';
import { toDecimal } from '../../money.js';
import { NeedsReview, RetryLater } from '../runner.js';
import { FEE_PENDING_WAIT_MS, NO_WITHHOLDING_ACCOUNT } from './fee-read.js';
import { chargebackFeeEntryOnce } from './chargeback-fee-entry.js';
import { recordFailure } from './record-failure.js';
import { refusedForNewLock } from './org-date.js';
import type { RecordRefundDeps } from './record-refund.js';

/** Reference of the fee's Spend Money: the transaction it was read from, as the withdrawals' and movements' fees (report/chargeback-fees.ts reads it). */
export function chargebackFeeReference(xenditTransactionId: string): string {
  return `Xendit chargeback fee ${xenditTransactionId}`;
}

/** How long a PENDING fee's read waits before it is tried again. */
const PENDING_RETRY_SECONDS = 1800;

/** The figures of a listed chargeback, to keep; null: none yet (PENDING without figures, or unfit: the job says why). */
export function feeRead(c: XenditChargeback): ChargebackFeeRead | null {
  if (c.fee.unfit || (c.fee.pending && c.fee.fee + c.fee.withheld === 0)) return null;
  return { txnId: c.id, fee: c.fee.fee, feeTax: c.fee.feeTax, withheld: c.fee.withheld, amount: c.amount, inAmount: c.fee.inAmount === true };
}

/**
 * Whether the fee came out of the transaction's amount and that amount is what the chargeback booked
 * (`booked`, minor units): the credit note's cash refund took it out of the clearing account already.
 */
export function feeInsideChargeback(f: Pick<ChargebackFeeRead, 'amount' | 'inAmount'>, booked: number): boolean {
  return f.inAmount === true && f.amount === booked;
}

/** Whether a chargeback's fee needs nothing more: read, and none, booked, or left with the chargeback. */
export function chargebackFeeSettled(row: Refund): boolean {
  const f = row.chargebackFee;
  return f !== null && (f.fee + f.withheld === 0 || row.xeroFeeTxnId !== null || feeInsideChargeback(f, row.amount));
}

/**
 * The fee of the chargeback `row` (recorded) into Xero, once; `key`, the Xendit key its dispute was
 * read with. Throws RetryLater while a PENDING fee is awaited, NeedsReview when a person must book it.
 */
export async function bookChargebackFee(
  deps: RecordRefundDeps,
  merchant: Merchant,
  row: Refund,
  key: string,
  opts: { lookFirst: boolean; paymentId?: string | null },
): Promise<void> {
  if (row.kind !== 'chargeback' || row.state !== 'recorded' || chargebackFeeSettled(row)) return;
  const fresh = row.chargebackFee ? null : await readFee(deps, row, key, opts.paymentId ?? null);
  const read = row.chargebackFee ?? fresh?.read;
  if (!read || feeInsideChargeback(read, row.amount)) return;
  const money = (minor: number) => `${toDecimal(minor, row.currency)} ${row.currency}`;
  const billed = (await deps.stores.feeBills.billingAt(merchant))(row.refundedAt) === 'invoiced';
  const fee = billed ? 0 : read.fee;
  if (fee + read.withheld <= 0 || merchant.feePosting === 'off') return;
  const what = `chargeback ${row.xenditRefundId}`;
  const now = () => deps.clock();
  try {
    if (read.withheld > 0 && !merchant.withholdingAccountCode)
      throw new NeedsReview(`${NO_WITHHOLDING_ACCOUNT}: Xendit withheld ${money(read.withheld)} on ${what}; not booked`);
    const entry = await chargebackFeeEntryOnce(
      deps,
      merchant,
      {
        currency: row.currency,
        fee,
        feeTax: billed ? 0 : read.feeTax,
        what,
        ...(read.withheld > 0 ? { withheld: { amount: read.withheld, accountCode: merchant.withholdingAccountCode! } } : {}),
      },
      // Out of the account its cash refund left (the merchant may have switched since).
      row.clearingAccount ?? clearingAccountFor(merchant, row.currency),
      {
        reference: chargebackFeeReference(read.txnId),
        key: `xendit-chargeback-fee-${row.id}`,
        at: row.refundedAt,
        sentAt: row.feeAttemptAt,
        // Tied by the payment's id and the amount, not by the dispute's own id: whatever booked that
        // transaction's fee before (a person, a row since cleared) is looked for, never booked twice.
        lookFirst: opts.lookFirst || fresh?.byPayment === true,
        mark: (at) => deps.stores.refunds.noteFeeAttempt(row.id, at, now()),
      },
    );
    await deps.stores.refunds.feeBooked(row.id, entry.id, entry.kind, now());
    deps.logger.info(
      { merchantId: row.merchantId, xenditDisputeId: row.xenditRefundId, entryId: entry.id, kind: entry.kind },
      'chargeback fee recorded in Xero',
    );
  } catch (err) {
    if (err instanceof NeedsReview) {
      await deps.stores.refunds.noteError(row.id, err.message, now());
      throw err;
    }
    // The chargeback stays recorded: what went wrong is its fee's, on its row and its job.
    await recordFailure(err, 'spend money (chargeback fee)', {
      needsReview: (reason) => deps.stores.refunds.noteError(row.id, reason, now()),
      noteError: (message) => deps.stores.refunds.noteError(row.id, message, now()),
      newLockDate: (e) => refusedForNewLock(deps, merchant, e),
    });
  }
}

/**
 * The fee read from the dispute's CHARGEBACK transaction and kept, and whether it was found by the
 * payment's id; null: not listed (yet), the listing books it once it lists it. Under the payment's
 * id, a transaction another chargeback of the payment holds is not this one's (its own may not be
 * listed yet); one another job took meanwhile is refused by the store and waited for the same way.
 */
async function readFee(
  deps: RecordRefundDeps,
  row: Refund,
  key: string,
  paymentId: string | null,
): Promise<{ read: ChargebackFeeRead; byPayment: boolean } | null> {
  const notListed = () => {
    deps.logger.info(
      { merchantId: row.merchantId, xenditDisputeId: row.xenditRefundId },
      'no CHARGEBACK transaction listed for the dispute yet: its fee is booked once the chargeback listing finds it',
    );
    return null;
  };
  const held = paymentId
    ? (await deps.stores.refunds.forPayment(row.paymentId)).flatMap((r) => (r.id !== row.id && r.chargebackFee ? [r.chargebackFee.txnId] : []))
    : [];
  const c = await deps.xendit.getChargeback(key, row.xenditRefundId, row.currency, paymentId ? { id: paymentId, amount: row.amount, held } : undefined);
  if (!c) return notListed();
  const which = `chargeback ${row.xenditRefundId} (transaction ${c.id})`;
  if (c.fee.unfit)
    throw new NeedsReview(`Xendit's fee on ${which} cannot be read (${c.fee.unfit}): not booked; book it by hand (Reference ${chargebackFeeReference(c.id)})`);
  const read = feeRead(c);
  if (!read) {
    // An unknown fee is never taken as none: PENDING with no figures may be one Xendit has not worked out yet.
    const wait = `Xendit's fee on ${which} is still PENDING (fee.status) and shows no figures`;
    const made = Date.parse(c.created);
    if (deps.clock().getTime() - (Number.isNaN(made) ? row.refundedAt.getTime() : made) < FEE_PENDING_WAIT_MS) {
      await deps.stores.refunds.noteError(row.id, `${wait}: waiting until it is known`, deps.clock());
      throw new RetryLater(wait, PENDING_RETRY_SECONDS);
    }
    throw new NeedsReview(`fee unknown: ${wait} a day after the chargeback; not booked: Retry once Xendit shows it, or book it by hand`);
  }
  if (await deps.stores.refunds.noteChargebackFee(row.id, read, deps.clock())) return { read, byPayment: c.byPayment === true };
  // Not written: read already by the listing meanwhile (those figures stand), or the transaction is another chargeback's.
  const now = await deps.stores.refunds.byXenditId(row.merchantId, row.xenditRefundId);
  return now?.chargebackFee ? { read: now.chargebackFee, byPayment: true } : notListed();
}
