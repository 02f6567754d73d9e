/**
 * The money lost disputes took, as the Transactions API lists it: one CHARGEBACK transaction each,
 * MONEY_OUT, whose product_id names the dispute or, undocumented which, the disputed payment ("You
 * can use this id to match the transaction from this API to each product API", xendit-node
 * TransactionResponse.product_id; jobs/sync/chargeback-dispute.ts ties either to its dispute). CHARGEBACK is a type of
 * the API reference (docs.xendit.co/apidocs/list-transactions, `types`); xendit-node 7's
 * TransactionTypes does not name it, and the SDK passes the name through as it is. Xendit reports
 * disputes by webhook only and lists none (docs.xendit.co "Manage Disputes via API"): this listing
 * is how one whose webhooks never came is found (jobs/sync/list-chargebacks.ts).
 * What Xendit charged on the chargeback is that transaction's `fee` object (docs.xendit.co/apidocs/
 * list-transactions; xendit-node balance_and_transaction FeeResponse: xendit_fee, value_added_tax,
 * xendit_withholding_tax, third_party_withholding_tax, status PENDING | COMPLETED | CANCELED |
 * REVERSED | NOT_APPLICABLE), read by the dispute's job through getChargeback (by product_id, the
 * dispute's id: GetAllTransactionsRequest.productId, else the disputed payment's) and by the report
 * through getChargebackTransaction.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SUPPORTED_CURRENCIES } from '../../money.js';
import { minorReader } from './amounts.js';
import { json, type XenditCall } from './call.js';
import { unexpected } from './errors.js';
import { WITHDRAWAL_PAGE_LIMIT } from './balance.js';
import { movementFeeSchema } from './transactions.js';
import { nullWhenNotFound, UpstreamError } from '../types.js';
import type { ChargebackFee, XenditChargeback, XenditGateway } from './types.js';

const chargebackSchema = z.object({
  id: z.string().min(1),
  type: z.literal('CHARGEBACK'),
  status: z.literal('SUCCESS'),
  product_id: z.string().min(1).max(100),
  reference_id: z.string().nullish(),
  currency: z.enum(SUPPORTED_CURRENCIES),
  amount: z.number(),
  // docs.xendit.co "List transactions" response; not in xendit-node's TransactionResponse.
  net_amount: z.number().nullish(),
  created: z.string(),
  fee: movementFeeSchema.nullish(),
});

export function chargebackCalls(call: XenditCall): Pick<XenditGateway, 'listChargebacks' | 'getChargeback' | 'getChargebackTransaction'> {
  // Accounts (by a digest of the key) whose listing refused `types=CHARGEBACK` (400): an API revision
  // that does not take the name. They are asked without `types` (every type, the documented default)
  // and read past the other types: more pages, nothing missed.
  const untyped = new Set<string>();
  type Query = Omit<Parameters<XenditGateway['listChargebacks']>[1], 'createdAfter' | 'createdBefore'> &
    Partial<Pick<Parameters<XenditGateway['listChargebacks']>[1], 'createdAfter' | 'createdBefore'>> & { productId?: string };
  const page = (secretKey: string, q: Query, typed: boolean) =>
    call(secretKey, 'listChargebacks', async (api) => {
      const body = (await json(
        await api.getAllTransactionsRaw({
          ...(typed ? { types: ['CHARGEBACK'] as never } : {}),
          statuses: ['SUCCESS'],
          currency: q.currency,
          ...(q.createdAfter && q.createdBefore ? { created: { gte: q.createdAfter, lte: q.createdBefore } } : {}),
          ...(q.productId ? { productId: q.productId } : {}),
          limit: Math.min(q.limit, WITHDRAWAL_PAGE_LIMIT),
          ...(q.afterId ? { afterId: q.afterId } : {}),
        }),
      )) as { data?: unknown; has_more?: unknown };
      if (!Array.isArray(body?.data)) throw unexpected('transaction list without data');
      const rows = body.data as { id?: unknown }[];
      const chargebacks = rows.flatMap((r) => readChargeback(r) ?? []);
      const last = rows.at(-1)?.id;
      return { chargebacks, hasMore: body.has_more === true, ...(typeof last === 'string' ? { lastId: last } : {}) };
    });
  const listed = async (secretKey: string, q: Query) => {
    const account = createHash('sha256').update(secretKey).digest('base64url').slice(0, 16);
    if (untyped.has(account)) return page(secretKey, q, false);
    try {
      return await page(secretKey, q, true);
    } catch (err) {
      // A later page's 400 is its cursor's, not the name's (the listing starts again).
      if (!(err instanceof UpstreamError) || err.status !== 400 || q.afterId) throw err;
      const got = await page(secretKey, q, false);
      if (untyped.size >= 10_000) untyped.clear();
      untyped.add(account);
      return got;
    }
  };
  return {
    listChargebacks: listed,
    async getChargeback(secretKey, disputeId, currency, payment) {
      // One dispute takes its money once: its one CHARGEBACK, by product_id (a filter of the listing).
      const { chargebacks } = await listed(secretKey, { currency, limit: 10, productId: disputeId });
      const own = chargebacks.find((c) => c.disputeId === disputeId);
      if (own || !payment) return own ?? null;
      // product_id may name the disputed payment instead (undocumented): its one chargeback of the
      // amount lost, the fee inside it or on top, that no other dispute of it holds already (a second
      // dispute of the same amount, its own transaction not listed yet, is not given the first's);
      // two alike still free are not told apart.
      const lost = (c: XenditChargeback) =>
        c.amount === payment.amount || (c.fee.inAmount === true && c.amount - c.fee.fee - c.fee.withheld === payment.amount);
      const byPayment = (await listed(secretKey, { currency, limit: 10, productId: payment.id })).chargebacks.filter(
        (c) => c.disputeId === payment.id && lost(c) && !payment.held?.includes(c.id),
      );
      return byPayment.length === 1 ? { ...byPayment[0], disputeId, byPayment: true } : null;
    },
    async getChargebackTransaction(secretKey, id) {
      // GET /transactions/{id} (xendit-node TransactionApi getTransactionByID); 404: none of this account's.
      const row = await nullWhenNotFound(() => call(secretKey, 'getChargebackTransaction', async (api) => json(await api.getTransactionByIDRaw({ id }))));
      return row === null ? null : readChargeback(row);
    },
  };
}

/** One CHARGEBACK row; null: another type, a shape not understood, or an amount its currency cannot hold. */
function readChargeback(r: unknown): XenditChargeback | null {
  const t = chargebackSchema.safeParse(r);
  if (!t.success) return null;
  try {
    const minor = minorReader(t.data.currency);
    // Money out: its size, whatever sign Xendit gives it.
    const amount = minor(Math.abs(t.data.amount), 'amount');
    return {
      id: t.data.id,
      disputeId: t.data.product_id,
      currency: t.data.currency,
      amount,
      created: t.data.created,
      fee: feeInAmount(readFee(t.data.fee, minor), amount, t.data.net_amount, minor),
      ...(t.data.reference_id ? { referenceId: t.data.reference_id } : {}),
    };
  } catch {
    return null;
  }
}

/**
 * Whether the fee came out of the amount rather than on top of it: not documented for a chargeback,
 * so the transaction's own net_amount decides, as for a payout's (payout-fee.ts): amount less the
 * fee and the tax withheld, out of it; anything else (or none sent), on top.
 */
function feeInAmount(fee: ChargebackFee, amount: number, net: number | null | undefined, minor: ReturnType<typeof minorReader>): ChargebackFee {
  const taken = fee.fee + fee.withheld;
  if (fee.unfit || taken <= 0 || net == null) return fee;
  try {
    return minor(Math.abs(net), 'net_amount') === amount - taken ? { ...fee, inAmount: true } : fee;
  } catch {
    return fee;
  }
}

/**
 * What Xendit charged on the chargeback. COMPLETED and PENDING carry figures (a PENDING fee with
 * none may not be worked out yet: the job waits, as for a payment's fee, fee-read.ts); CANCELED,
 * REVERSED (given back) and NOT_APPLICABLE, or no fee object, none. A figure that does not fit the
 * currency leaves the fee unfit (a person looks), never the chargeback unread.
 */
function readFee(f: z.infer<typeof chargebackSchema>['fee'], minor: ReturnType<typeof minorReader>): ChargebackFee {
  const none = { fee: 0, feeTax: 0, withheld: 0, pending: false };
  const status = f?.status ?? 'NOT_APPLICABLE';
  if (!f || (status !== 'COMPLETED' && status !== 'PENDING')) return none;
  const figures: [string, number][] = [
    ['xendit_fee', Math.abs(f.xendit_fee ?? 0)],
    ['value_added_tax', Math.abs(f.value_added_tax ?? 0)],
    ['xendit_withholding_tax', Math.abs(f.xendit_withholding_tax ?? 0)],
    ['third_party_withholding_tax', Math.abs(f.third_party_withholding_tax ?? 0)],
  ];
  try {
    const [fee, tax, xenditWithheld, thirdParty] = figures.map(([field, v]) => minor(v, `fee.${field}`));
    return { fee: fee + tax, feeTax: tax, withheld: xenditWithheld + thirdParty, pending: status === 'PENDING' };
  } catch (err) {
    return { ...none, unfit: err instanceof Error ? err.message : String(err) };
  }
}
