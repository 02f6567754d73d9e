/**
 * Disputes (chargebacks) of card and QR payments: GET /v1/disputes/{id} (docs.xendit.co "Manage
 * Disputes via API": disputes reach merchants by webhook; the GET endpoint returns the same
 * object). xendit-node 7 has no Disputes module, so the call is made through the SDK's own
 * runtime (BaseAPI.request, as its generated APIs do): same auth, base URL and fetch as every
 * other call. Amounts are decimal strings ("1000.00").
 */
import { z } from 'zod';
import { SUPPORTED_CURRENCIES } from '../../money.js';
import { nullWhenNotFound } from '../types.js';
import { json, type XenditCall } from './call.js';
import { minorReader } from './amounts.js';
import { unexpected } from './errors.js';
import type { XenditDispute, XenditGateway } from './types.js';

const decimal = z.union([z.string(), z.number()]).transform(String);

export const disputeSchema = z.object({
  id: z.string().min(1),
  status: z.enum(['ACTION_REQUIRED', 'UNDER_REVIEW', 'WON', 'LOST']),
  currency: z.enum(SUPPORTED_CURRENCIES),
  amount: z.object({ initial: decimal, terminal: decimal.nullish() }),
  payment_id: z.string().nullish(),
  reference_id: z.string().nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
});

export function disputeCalls(call: XenditCall): Pick<XenditGateway, 'getDispute'> {
  return {
    async getDispute(secretKey, disputeId) {
      return nullWhenNotFound(() => call(secretKey, 'getDispute', async (api) => parseDispute(await json(await api.getDisputeRaw({ disputeId })))));
    },
  };
}

function parseDispute(body: unknown): XenditDispute {
  const parsed = disputeSchema.safeParse(body);
  if (!parsed.success) throw unexpected(`dispute: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const j = parsed.data;
  const minor = minorReader(j.currency);
  return {
    id: j.id,
    status: j.status,
    currency: j.currency,
    amount: minor(j.amount.initial, 'amount.initial'),
    ...(j.amount.terminal != null ? { finalAmount: minor(j.amount.terminal, 'amount.terminal') } : {}),
    ...(j.payment_id ? { paymentId: j.payment_id } : {}),
    ...(j.reference_id ? { referenceId: j.reference_id } : {}),
    ...(j.updated_at ? { updatedAt: j.updated_at } : {}),
  };
}
