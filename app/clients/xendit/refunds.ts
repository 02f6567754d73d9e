/**
 * Refunds (Xendit's Refund API, GET /refunds/{id} and GET /refunds). xendit-node's Refund model
 * keeps neither status, invoice_id, payment_id nor reason (refund/models/Refund.ts), although Xendit
 * sends them (RefundCallbackData carries all four): the JSON is read here.
 *
 * And the money they take, as the Transactions API lists it (GET /transactions?types=REFUND):
 * REFUND is a type of both the API reference (docs.xendit.co/apidocs/list-transactions `types`) and
 * xendit-node's TransactionTypes. GET /refunds has no date filter (GetAllRefundsRequest: limit,
 * after_id, before_id and a few filters by payment), the Transactions API has one (created[gte],
 * created[lte]): a listing that must resume by time reads these, each tied to its refund by
 * product_id ("You can use this id to match the transaction from this API to each product API",
 * xendit-node TransactionResponse.product_id; whether that is the refund's id or the refunded
 * payment's is documented nowhere, jobs/sync/list-refund-transactions.ts takes either).
 */
import { z } from 'zod';
import { SUPPORTED_CURRENCIES, toDecimal } from '../../money.js';
import { nullWhenNotFound } from '../types.js';
import { json, type XenditCall } from './call.js';
import { minorReader } from './amounts.js';
import { CREATE_REFUND_OP, unexpected } from './errors.js';
import { WITHDRAWAL_PAGE_LIMIT } from './balance.js';
import type { XenditRefundTransaction } from './refund-transactions.js';

export type { RefundTransactionCalls, XenditRefundTransaction } from './refund-transactions.js';
import type { XenditGateway, XenditRefund } from './types.js';

/**
 * Money a refund took from the balance, or will: a REFUND transaction. Only what ties it to its
 * refund is read; the refund itself is read by id.
 */
export const refundSchema = z.object({
  id: z.string().min(1),
  invoice_id: z.string().nullish(),
  payment_id: z.string().nullish(),
  payment_request_id: z.string().nullish(),
  status: z.enum(['PENDING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
  currency: z.enum(SUPPORTED_CURRENCIES),
  amount: z.number(),
  reason: z.string().nullish(),
  reference_id: z.string().nullish(),
  failure_code: z.string().nullish(),
  refund_fee_amount: z.number().nullish(),
  created: z.string().nullish(),
});

/** The fields of a REFUND transaction its refund is found by (xendit-node TransactionResponse). */
const refundTransactionSchema = z.object({
  id: z.string().min(1),
  type: z.literal('REFUND'),
  product_id: z.string().min(1).max(100),
  currency: z.enum(SUPPORTED_CURRENCIES),
  created: z.string(),
});

export function refundCalls(call: XenditCall): Pick<XenditGateway, 'getRefund' | 'listRefunds' | 'createRefund' | 'listRefundTransactions'> {
  return {
    async createRefund(secretKey, r, idempotencyKey) {
      return call(secretKey, CREATE_REFUND_OP, async (api) =>
        parseRefund(
          await json(
            await api.createRefundRaw({
              idempotencyKey,
              data: {
                invoiceId: r.invoiceId,
                referenceId: r.referenceId,
                currency: r.currency,
                amount: Number(toDecimal(r.amount, r.currency)),
                reason: r.reason,
              },
            }),
          ),
        ),
      );
    },

    async getRefund(secretKey, refundId) {
      return nullWhenNotFound(() => call(secretKey, 'getRefund', async (api) => parseRefund(await json(await api.getRefundRaw({ refundID: refundId })))));
    },

    async listRefunds(secretKey, q) {
      return call(secretKey, 'listRefunds', async (api) => {
        const body = (await json(await api.getAllRefundsRaw({ invoiceId: q.invoiceId, limit: q.limit, afterId: q.afterId, beforeId: q.beforeId }))) as {
          data?: unknown;
          has_more?: unknown;
        };
        if (!Array.isArray(body?.data)) throw unexpected('refund list without data');
        const rows = body.data as { id?: unknown }[];
        const refunds = rows.flatMap((r) => {
          try {
            return [parseRefund(r)];
          } catch {
            return []; // another currency, a field we cannot read: not one of ours to record
          }
        });
        const last = rows.at(-1)?.id;
        return { refunds, hasMore: body.has_more === true, ...(typeof last === 'string' ? { lastId: last } : {}) };
      });
    },

    async listRefundTransactions(secretKey, q) {
      return call(secretKey, 'listRefundTransactions', async (api) => {
        const body = (await json(
          await api.getAllTransactionsRaw({
            // Every status: a refund PENDING or FAILED is judged by the refund read by id, not by its transaction.
            types: ['REFUND'],
            currency: q.currency,
            created: { gte: q.createdAfter, lte: q.createdBefore },
            limit: Math.min(q.limit, WITHDRAWAL_PAGE_LIMIT),
            ...(q.afterId ? { afterId: q.afterId } : {}),
          }),
        )) as { data?: unknown; has_more?: unknown };
        if (!Array.isArray(body?.data)) throw unexpected('transaction list without data');
        const rows = body.data as { id?: unknown }[];
        const refunds = rows.flatMap((r): XenditRefundTransaction[] => {
          const t = refundTransactionSchema.safeParse(r);
          // Another type or currency, a shape not understood: not one to tie to a refund.
          if (!t.success || t.data.currency !== q.currency) return [];
          return [{ id: t.data.id, productId: t.data.product_id, currency: t.data.currency, created: t.data.created }];
        });
        const last = rows.at(-1)?.id;
        return { refunds, hasMore: body.has_more === true, ...(typeof last === 'string' ? { lastId: last } : {}) };
      });
    },
  };
}

function parseRefund(body: unknown): XenditRefund {
  const parsed = refundSchema.safeParse(body);
  if (!parsed.success) throw unexpected(`refund: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const j = parsed.data;
  const minor = minorReader(j.currency);
  return {
    id: j.id,
    ...(j.invoice_id ? { invoiceId: j.invoice_id } : {}),
    ...(j.payment_id ? { paymentId: j.payment_id } : {}),
    ...(j.payment_request_id ? { paymentRequestId: j.payment_request_id } : {}),
    status: j.status,
    currency: j.currency,
    amount: minor(j.amount, 'amount'),
    ...(j.reason ? { reason: j.reason } : {}),
    ...(j.reference_id ? { referenceId: j.reference_id } : {}),
    ...(j.failure_code ? { failureCode: j.failure_code } : {}),
    ...(j.refund_fee_amount != null ? { refundFee: minor(j.refund_fee_amount, 'refund_fee_amount') } : {}),
    ...(j.created ? { created: j.created } : {}),
  };
}
