/**
 * Money in or out of the Xendit balance that the gateway does not book: every transaction type of
 * the Transactions API (xendit-node balance_and_transaction TransactionTypes) other than PAYMENT,
 * REFUND and WITHDRAWAL — payouts to third parties, transfers between accounts, top-ups, platform
 * fees, cashback, adjustments. The report lists them so a difference between Xendit's balance and
 * the clearing account has a reason to point at.
 */
import { z } from 'zod';
import { SUPPORTED_CURRENCIES } from '../../money.js';
import { minorReader } from './amounts.js';
import { json, type XenditCall } from './call.js';
import { unexpected } from './errors.js';
import { WITHDRAWAL_PAGE_LIMIT } from './balance.js';
import type { XenditGateway, XenditMovement } from './types.js';

const OTHER_TYPES = [
  'BATCH_DISBURSEMENT',
  'DISBURSEMENT',
  'REMITTANCE',
  'REMITTANCE_PAYOUT',
  'REMITTANCE_COLLECTION',
  'TRANSFER',
  'PLATFORM_FEE',
  'CASHBACK',
  'TOPUP',
  'OTHER',
] as const;

const movementSchema = z.object({
  id: z.string().min(1),
  type: z.string(),
  cashflow: z.enum(['MONEY_IN', 'MONEY_OUT']),
  currency: z.enum(SUPPORTED_CURRENCIES),
  amount: z.number(),
  created: z.string(),
});

export function movementCalls(call: XenditCall): Pick<XenditGateway, 'listOtherMovements'> {
  return {
    async listOtherMovements(secretKey, q) {
      return call(secretKey, 'listOtherMovements', async (api) => {
        const body = (await json(
          await api.getAllTransactionsRaw({
            types: [...OTHER_TYPES],
            statuses: ['SUCCESS'],
            currency: q.currency,
            created: { gte: q.createdAfter, lte: q.createdBefore },
            limit: Math.min(q.limit, WITHDRAWAL_PAGE_LIMIT),
            ...(q.afterId ? { afterId: q.afterId } : {}),
          }),
        )) as { data?: unknown; has_more?: unknown };
        if (!Array.isArray(body?.data)) throw unexpected('transaction list without data');
        const rows = body.data as { id?: unknown }[];
        const movements: XenditMovement[] = rows.flatMap((r) => {
          const t = movementSchema.safeParse(r);
          if (!t.success) return []; // another currency or a shape not understood: not listed
          try {
            // The direction is the cashflow's; the amount is taken as a size whatever its sign.
            const minor = minorReader(t.data.currency)(Math.abs(t.data.amount), 'amount');
            return [
              {
                id: t.data.id,
                type: t.data.type,
                currency: t.data.currency,
                amount: t.data.cashflow === 'MONEY_OUT' ? -minor : minor,
                created: t.data.created,
              },
            ];
          } catch {
            return [];
          }
        });
        const last = rows.at(-1)?.id;
        return { movements, hasMore: body.has_more === true, ...(typeof last === 'string' ? { lastId: last } : {}) };
      });
    },
  };
}
