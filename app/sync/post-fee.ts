import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { Job } from '../store/jobs.js';
import { clearingAccountFor, type Merchant } from '../store/merchants.js';
import type { Payment } from '../store/payments.js';
import { UpstreamError, type XeroGateway } from '../clients/types.js';
import { toDecimal } from '../money.js';
import { NeedsReview } from './runner.js';
import { localDate } from './record-payment.js';

export interface PostFeeDeps {
  stores: Stores;
  xero: XeroGateway;
  clock: Clock;
  logger: Logger;
}

const Payload = z.object({ paymentId: z.string() });

/** The contact Xero requires on a Spend Money transaction. */
export const FEE_CONTACT_NAME = 'Xendit';

/** Reference on the fee's bank transaction: how a retry finds what an earlier attempt created. */
export function feeReference(xenditInvoiceId: string): string {
  return `Xendit fee ${xenditInvoiceId}`;
}

/**
 * Xendit keeps its fee and settles the rest: a Spend Money transaction from the clearing account
 * to the merchant's fee expense account leaves the clearing account at what Xendit pays out.
 * Its own job, queued when the payment is recorded, so a fee problem never touches the payment.
 */
export function postFeeJob(deps: PostFeeDeps) {
  return async (job: Job): Promise<void> => {
    const { paymentId } = Payload.parse(job.payload);
    const payment = await deps.stores.payments.byId(paymentId);
    if (!payment) throw new NeedsReview(`payment ${paymentId} no longer exists`);
    if (payment.feeState === 'posted' || payment.feeState === 'not_needed') return;
    const merchant = await deps.stores.merchants.byId(payment.merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${payment.merchantId} no longer exists`);

    if (merchant.feePosting === 'off' || !payment.fee || payment.fee <= 0) {
      await deps.stores.payments.markFeeNotNeeded(payment.id, deps.clock());
      return;
    }
    if (!merchant.feeAccountCode) return needsReview(deps, payment, 'no fee account is configured for this merchant');

    try {
      const txnId = await postOnce(deps, merchant, payment, merchant.feeAccountCode);
      await deps.stores.payments.markFeePosted(payment.id, txnId, deps.clock());
      deps.logger.info({ paymentId: payment.id, xeroFeeTxnId: txnId }, 'fee posted in Xero');
    } catch (err) {
      if (err instanceof UpstreamError && err.kind === 'rejected') return needsReview(deps, payment, `Xero refused the fee: ${err.message}`);
      await deps.stores.payments.noteFeeError(payment.id, err instanceof Error ? err.message : String(err), deps.clock());
      throw err;
    }
  };
}

async function postOnce(deps: PostFeeDeps, merchant: Merchant, payment: Payment, feeAccountCode: string): Promise<string> {
  const reference = feeReference(payment.xenditInvoiceId);
  const clearing = clearingAccountFor(merchant, payment.currency);
  const existing = await deps.xero.findBankTransactionsByReference(merchant.xero, reference);
  const ours = existing.find((t) => t.bankAccountId === clearing);
  if (ours) return ours.bankTransactionId;
  const created = await deps.xero.createBankTransaction(
    merchant.xero,
    {
      type: 'SPEND',
      bankAccountId: clearing,
      contactName: FEE_CONTACT_NAME,
      date: localDate(payment.paidAt, payment.currency),
      reference,
      currencyCode: payment.currency,
      lineItems: [{ description: `Xendit fee, invoice ${payment.xenditInvoiceId}`, accountCode: feeAccountCode, amount: toDecimal(payment.fee!, payment.currency) }],
    },
    `xendit-fee-${payment.id}`,
  );
  return created.bankTransactionId;
}

async function needsReview(deps: PostFeeDeps, payment: Payment, reason: string): Promise<never> {
  await deps.stores.payments.markFeeNeedsReview(payment.id, reason, deps.clock());
  throw new NeedsReview(reason);
}
