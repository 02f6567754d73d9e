/**
 * What Xendit kept from a payment, read once from its transaction for the post-fee job: the fee,
 * the VAT on it and any tax withheld, or why a person must look.
 */
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Merchant } from '../../store/merchants.js';
import type { Payment } from '../../store/payments.js';
import { UpstreamError } from '../../clients/types.js';
import type { FeeTaxLookup, FeeTaxQuery, XenditGateway } from '../../clients/xendit/types.js';
import { exponentOf, toDecimal } from '../../money.js';
import { NeedsReview, RetryLater } from '../runner.js';
import { keyGone, paymentAtXendit, replacedNote } from './checkout-key.js';

export interface FeeReadDeps {
  stores: Stores;
  clock: Clock;
}

/** Reference on the fee's bank transaction (Narration on its manual journal): how a retry finds what an earlier attempt created. */
export function feeReference(xenditInvoiceId: string): string {
  return `Xendit fee ${xenditInvoiceId}`;
}

/** Why a fee with tax withheld waits for a person: the setting that would book it. */
export const NO_WITHHOLDING_ACCOUNT =
  'Xendit withheld tax from this payment besides its fee and VAT, and no withholding tax account is configured (the merchant\'s Accounts: "Withholding tax account")';

/** How long after the payment Xendit's ledger may still not list its transaction. */
export const LEDGER_LAG_MS = 60 * 60_000;

/** How long after the payment a fee Xendit shows PENDING with no figures is waited for, before a person looks. */
export const FEE_PENDING_WAIT_MS = 24 * 3600_000;

/** What picks the payment's transaction out of those of its external id. */
export function feeTaxQueryOf(payment: Payment, externalId: string): FeeTaxQuery {
  return { id: payment.xenditInvoiceId, externalId, paidAmount: payment.amount, currency: payment.currency, paidAt: payment.paidAt };
}

/**
 * Xendit's fee, the VAT on it and any tax it withheld, read once from the payment's transaction and
 * kept on the payment. Not listed yet: retried for an hour after the payment, then a person looks;
 * never taken as "no fee". `billedMonthly`: the fee is on Xendit's monthly bill, so only the tax
 * withheld left the payment; whether its transaction's net_amount shows the billed fee as taken is
 * not documented, so either is accepted.
 */
export async function feeFromTransactionOrReview(
  deps: FeeReadDeps,
  xendit: XenditGateway,
  merchant: Merchant,
  payment: Payment,
  billedMonthly = false,
): Promise<{ fee: number; tax: number; withheld: number }> {
  const feeText = billedMonthly
    ? `the tax Xendit withheld from ${toDecimal(payment.amount, payment.currency)} ${payment.currency} (its fee is billed monthly)`
    : `Xendit's fee for ${toDecimal(payment.amount, payment.currency)} ${payment.currency}`;
  let lookup: FeeTaxLookup;
  let externalId: string | null;
  const at = await paymentAtXendit(deps, xendit, merchant, payment);
  const { key } = at;
  if (!key.key) return feeNeedsReview(deps, payment, `fee unknown: ${keyGone(key)}; ${feeText} not posted: read it there and post it by hand`);
  try {
    externalId = await at.externalId();
    if (externalId === null)
      return feeNeedsReview(deps, payment, `fee unknown: Xendit has no invoice ${payment.xenditInvoiceId}${replacedNote(key)}; ${feeText} not posted`);
    lookup = await xendit.getFeeTax(key.key, feeTaxQueryOf(payment, externalId));
  } catch (err) {
    if (err instanceof UpstreamError && (err.kind === 'rejected' || err.kind === 'unauthorized')) {
      return feeNeedsReview(deps, payment, `could not read Xendit's fee and its VAT (Transactions API): ${err.message}; ${feeText} not posted`);
    }
    throw err;
  }
  const which = `invoice ${payment.xenditInvoiceId} (external id ${externalId}, paid ${toDecimal(payment.amount, payment.currency)} ${payment.currency})`;
  if (lookup.kind === 'ambiguous') {
    const count = lookup.more ? `more than ${lookup.count}` : String(lookup.count);
    return feeNeedsReview(
      deps,
      payment,
      `fee unknown: Xendit lists ${count} payment transactions that fit ${which} and nothing tells them apart; ${feeText} not posted`,
    );
  }
  if (lookup.kind === 'unfit') {
    // fee_raw keeps the fee (or its VAT) as sent; another figure that does not fit is in the message only.
    if (lookup.field === 'xendit_fee' || lookup.field === 'value_added_tax') await deps.stores.payments.noteFeeRaw(payment.id, lookup.raw, deps.clock());
    const unit = unitOf(payment.currency);
    return feeNeedsReview(
      deps,
      payment,
      `Xendit reported a ${lookup.field} of ${lookup.raw} ${payment.currency} for ${which}, which does not fit ${payment.currency} (${unit}): not posted; post it by hand`,
    );
  }
  if (lookup.kind === 'not_found') {
    if (deps.clock().getTime() - payment.paidAt.getTime() < LEDGER_LAG_MS) {
      const wait = `waiting for Xendit to list the payment transaction of ${which} (its fee and VAT)`;
      await deps.stores.payments.noteFeeError(payment.id, wait, deps.clock());
      throw new RetryLater(wait);
    }
    return feeNeedsReview(deps, payment, `fee unknown: Xendit lists no payment transaction for ${which}${replacedNote(key)}; ${feeText} not posted`);
  }
  const money = (minor: number) => `${toDecimal(minor, payment.currency)} ${payment.currency}`;
  const withheld = (lookup.withholding?.xendit ?? 0) + (lookup.withholding?.thirdParty ?? 0);
  // A billed fee and its VAT stay out of what is kept, whatever the transaction shows of them.
  const [fee, tax] = billedMonthly ? [0, 0] : [lookup.fee, lookup.tax];
  if (lookup.feePending && !billedMonthly && lookup.fee + lookup.tax + withheld === 0) {
    // An unknown fee is never taken as zero: fee.status PENDING (xendit-node FeeResponse) with no
    // figures may be a fee Xendit has not worked out yet. Nothing is kept, so the next try reads again.
    // Not waited for when billed monthly: the fee may stay PENDING until the month's bill; tax
    // withheld later still shows in the report and the balances.
    const wait = `Xendit's fee for ${which} is still PENDING (fee.status) and shows no figures`;
    if (deps.clock().getTime() - payment.paidAt.getTime() < FEE_PENDING_WAIT_MS) {
      await deps.stores.payments.noteFeeError(payment.id, `${wait}: waiting until it is known`, deps.clock());
      throw new RetryLater(wait);
    }
    return feeNeedsReview(deps, payment, `fee unknown: ${wait} a day after the payment; ${feeText} not posted`);
  }
  const kept = billedMonthly
    ? `withholding tax ${money(withheld)}`
    : `fee ${money(fee)} + VAT ${money(tax)}` + (withheld ? ` + withholding tax ${money(withheld)}` : '');
  const settles = [payment.amount - fee - tax - withheld, ...(billedMonthly ? [payment.amount - lookup.fee - lookup.tax - withheld] : [])];
  if (lookup.netAmount !== undefined && !settles.includes(lookup.netAmount)) {
    // Posting what is kept would leave the clearing account off what Xendit settles.
    return feeNeedsReview(
      deps,
      payment,
      `Xendit settles ${money(lookup.netAmount)} (net_amount) of ${which}, but paid less ${kept} is ${money(settles[0])}: ` +
        `Xendit kept something the gateway does not know of; ${feeText} not posted: check the transaction at Xendit and post what it kept by hand`,
    );
  }
  if (withheld > 0 && !merchant.withholdingAccountCode) {
    // Not kept: once the account is set, a Retry reads the transaction again.
    const parts = `xendit_withholding_tax ${money(lookup.withholding?.xendit ?? 0)}, third_party_withholding_tax ${money(lookup.withholding?.thirdParty ?? 0)}`;
    return feeNeedsReview(
      deps,
      payment,
      `Xendit withheld tax from ${which} (${parts}) besides its fee and VAT, and no withholding tax account is configured (the merchant's Accounts: "Withholding tax account"): ` +
        `${kept} not posted; set it and Retry, or post them by hand (Reference ${feeReference(payment.xenditInvoiceId)}) so the clearing account ends at ${money(settles[0])}`,
    );
  }
  // The transaction's own figures are kept (a billed fee too, for the record); post-fee books a billed payment's withholding alone.
  await deps.stores.payments.setFeeFromTransaction(payment.id, { fee: lookup.fee, tax: lookup.tax, ...(withheld ? { withheld } : {}) }, deps.clock());
  return { fee, tax, withheld };
}

export async function feeNeedsReview(deps: FeeReadDeps, payment: Payment, reason: string): Promise<never> {
  await deps.stores.payments.markFeeNeedsReview(payment.id, reason, deps.clock());
  throw new NeedsReview(reason);
}

/** How a currency's amounts are written, for messages about a figure that does not fit it. */
export function unitOf(currency: Payment['currency']): string {
  return exponentOf(currency) === 0 ? `whole ${currency}` : `${exponentOf(currency)} decimals`;
}
