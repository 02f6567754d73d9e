/**
 * The money lost disputes took, as the Transactions API lists it: one CHARGEBACK transaction each,
 * MONEY_OUT, whose product_id names the dispute ("You can use this id to match the transaction from
 * this API to each product API", xendit-node TransactionResponse.product_id). CHARGEBACK is a type of
 * the API reference (docs.xendit.co/apidocs/list-transactions, `types`); xendit-node 7's
 * TransactionTypes does not name it, and the SDK passes the name through as it is. Xendit reports
 * disputes by webhook only and lists none (docs.xendit.co "Manage Disputes via API"): this listing
 * is how one whose webhooks never came is found (jobs/sync/list-chargebacks.ts).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SUPPORTED_CURRENCIES } from '../../money.js';
import { minorReader } from './amounts.js';
import { json, type XenditCall } from './call.js';
import { unexpected } from './errors.js';
import { WITHDRAWAL_PAGE_LIMIT } from './balance.js';
import { UpstreamError } from '../types.js';
import type { XenditChargeback, XenditGateway } from './types.js';

const chargebackSchema = z.object({
  id: z.string().min(1),
  type: z.literal('CHARGEBACK'),
  status: z.literal('SUCCESS'),
  product_id: z.string().min(1).max(100),
  reference_id: z.string().nullish(),
  currency: z.enum(SUPPORTED_CURRENCIES),
  amount: z.number(),
  created: z.string(),
});

export function chargebackCalls(call: XenditCall): Pick<XenditGateway, 'listChargebacks'> {
  // Accounts (by a digest of the key) whose listing refused `types=CHARGEBACK` (400): an API revision
  // that does not take the name. They are asked without `types` (every type, the documented default)
  // and read past the other types: more pages, nothing missed.
  const untyped = new Set<string>();
  type Query = Parameters<XenditGateway['listChargebacks']>[1];
  const page = (secretKey: string, q: Query, typed: boolean) =>
    call(secretKey, 'listChargebacks', async (api) => {
      const body = (await json(
        await api.getAllTransactionsRaw({
          ...(typed ? { types: ['CHARGEBACK'] as never } : {}),
          statuses: ['SUCCESS'],
          currency: q.currency,
          created: { gte: q.createdAfter, lte: q.createdBefore },
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
  return {
    async listChargebacks(secretKey, q) {
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
    },
  };
}

/** One CHARGEBACK row; null: another type, a shape not understood, or an amount its currency cannot hold. */
function readChargeback(r: unknown): XenditChargeback | null {
  const t = chargebackSchema.safeParse(r);
  if (!t.success) return null;
  try {
    return {
      id: t.data.id,
      disputeId: t.data.product_id,
      currency: t.data.currency,
      // Money out: its size, whatever sign Xendit gives it.
      amount: minorReader(t.data.currency)(Math.abs(t.data.amount), 'amount'),
      created: t.data.created,
      ...(t.data.reference_id ? { referenceId: t.data.reference_id } : {}),
    };
  } catch {
    return null;
  }
}
