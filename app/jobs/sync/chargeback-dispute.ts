/**
 * Which dispute a CHARGEBACK transaction took money for. Its product_id names "the product" it came
 * from ("You can use this id to match the transaction from this API to each product API",
 * xendit-node TransactionResponse.product_id); whether that is the dispute's id or the disputed
 * payment's is documented nowhere (docs.xendit.co/apidocs/list-transactions, "Manage Disputes via
 * API"), so both are taken: a dispute the gateway knows, or that Xendit reads by that id, is it;
 * otherwise the id is a payment's, and the dispute is the one of that payment's disputes the gateway
 * knows (store/known-disputes.ts: each dispute its record-dispute job read, with its payment_id;
 * and the chargebacks booked on that payment) whose amount is what the transaction took, the fee
 * inside it or on top (as getChargeback matches, clients/xendit/chargebacks.ts). Xendit lists no
 * disputes, so a payment's dispute none of whose webhooks came is unknown: a person is told.
 */
import type { Stores } from '../../store/index.js';
import type { Merchant } from '../../store/merchants.js';
import type { XenditChargeback, XenditGateway } from '../../clients/xendit/types.js';
import { toDecimal } from '../../money.js';

type Deps = { stores: Pick<Stores, 'knownDisputes' | 'refunds' | 'payments'>; xendit: Pick<XenditGateway, 'getDispute'> };

/** The dispute's id; or why none is (one sentence for a person). */
export type ChargebackDispute = { disputeId: string } | { unmatched: string };

/** Whether the transaction `c` is the money a dispute of `amount` took: that amount, with the fee on top or inside. */
export function chargebackOfAmount(c: Pick<XenditChargeback, 'amount' | 'fee'>, amount: number): boolean {
  return c.amount === amount || (c.fee.inAmount === true && c.amount - c.fee.fee - c.fee.withheld === amount);
}

/** The dispute of the chargeback `c`, read with `key` when it is none the gateway knows (see the file's comment). */
export async function disputeOfChargeback(deps: Deps, merchant: Merchant, key: string, c: XenditChargeback): Promise<ChargebackDispute> {
  const productId = c.disputeId;
  const [known, booked] = await Promise.all([deps.stores.knownDisputes.byId(merchant.id, productId), deps.stores.refunds.byXenditId(merchant.id, productId)]);
  if (known || booked?.kind === 'chargeback') return { disputeId: productId };
  const [paid, ofPayment] = await Promise.all([
    deps.stores.payments.byXenditPaymentId(merchant.id, [productId]),
    deps.stores.knownDisputes.ofPayment(merchant.id, productId),
  ]);
  // Neither a dispute nor a payment the gateway knows: Xendit says whether it is a dispute (one none of whose webhooks came).
  if (!paid && !ofPayment.length && (await deps.xendit.getDispute(key, productId))) return { disputeId: productId };
  const money = `${toDecimal(c.amount, c.currency)} ${c.currency}`;
  const what = `Xendit's chargeback ${c.id} (${money}, product_id ${productId})`;
  if (!paid && !ofPayment.length) return { unmatched: `${what} names no dispute Xendit has, nor a payment the gateway recorded: record it by hand` };

  // The dispute the transaction was read for already (its fee kept) is it; one read with another transaction is not.
  const chargebacks = paid ? (await deps.stores.refunds.forPayment(paid.id)).filter((r) => r.kind === 'chargeback') : [];
  const candidates = new Map<string, { amount: number; txnId?: string }>();
  for (const d of ofPayment) if (d.currency === c.currency && d.status !== 'WON') candidates.set(d.xenditDisputeId, { amount: d.amount });
  for (const r of chargebacks) if (r.currency === c.currency) candidates.set(r.xenditRefundId, { amount: r.amount, txnId: r.chargebackFee?.txnId });
  const own = [...candidates].find(([, d]) => d.txnId === c.id);
  if (own) return { disputeId: own[0] };
  const fits = [...candidates].filter(([, d]) => d.txnId === undefined && chargebackOfAmount(c, d.amount)).map(([id]) => id);
  if (fits.length === 1) return { disputeId: fits[0] };
  if (fits.length > 1)
    return { unmatched: `${what} is of payment ${productId}, and ${fits.length} of its disputes took that amount (${fits.join(', ')}): record it by hand` };
  return {
    unmatched:
      `${what} is of payment ${productId}, and no dispute of it the gateway knows took that amount` +
      (candidates.size ? ` (known: ${[...candidates.keys()].join(', ')})` : ' (none of its dispute webhooks came)') +
      `: paste Xendit's Dispute Report on the Disputes tab, then Retry, or record it by hand`,
  };
}
