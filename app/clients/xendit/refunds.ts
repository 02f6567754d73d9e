/**
 * Refunds (Xendit's Refund API, GET /refunds/{id} and GET /refunds). xendit-node's Refund model
 * keeps neither status, invoice_id, payment_id nor reason (refund/models/Refund.ts), although Xendit
 * sends them (RefundCallbackData carries all four): the JSON is read here.
 */
import { z } from 'zod';
import { SUPPORTED_CURRENCIES, toDecimal } from '../../money.js';
import { nullWhenNotFound } from '../types.js';
import { json, type XenditCall } from './call.js';
import { minorReader } from './amounts.js';
import { CREATE_REFUND_OP, unexpected } from './errors.js';
import type { XenditGateway, XenditRefund } from './types.js';

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

export function refundCalls(call: XenditCall): Pick<XenditGateway, 'getRefund' | 'listRefunds' | 'createRefund'> {
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
