/**
 * Money in or out of the Xendit balance that the gateway does not book on its own: every transaction
 * type of the Transactions API other than PAYMENT, REFUND, WITHDRAWAL and CHARGEBACK (payments,
 * refunds, withdrawals and lost disputes each have their own booking) and the reserve's
 * (IN_BALANCE_TYPES) — payouts to third parties, transfers between accounts (the one into the Billing
 * Balance that pays monthly fees), top-ups, platform fees, cashback, adjustments. The report lists
 * them, and a merchant who picked an account for them has them booked (jobs/sync/list-other-movements.ts).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { SUPPORTED_CURRENCIES } from '../../money.js';
import { minorReader } from './amounts.js';
import { payoutFee } from './payout-fee.js';
import { json, type XenditCall } from './call.js';
import { unexpected } from './errors.js';
import { WITHDRAWAL_PAGE_LIMIT } from './balance.js';
import { nullWhenNotFound, UpstreamError } from '../types.js';
import type { XenditGateway, XenditMovement } from './types.js';

/**
 * Moves inside the merchant's own balance, never booked: a reserve's funds "are still yours", "moved
 * from Available Balance to Reserve Balance" and "released back to your available balance"
 * (docs.xendit.co/reserves). The balances count what Xendit holds (HOLDING) with the cash as still in
 * the clearing account (admin/payments/balances.ts), so a hold booked out of it would differ for the
 * reserve's life, and the release of a hold made before the setting was on would add money that never left.
 */
export const IN_BALANCE_TYPES: ReadonlySet<string> = new Set(['RESERVES_HOLD', 'RESERVES_RELEASE']);

/** Booked elsewhere or never: listed without `types`, these are left out on our side. */
const NOT_OTHER_TYPES = new Set(['PAYMENT', 'REFUND', 'WITHDRAWAL', 'CHARGEBACK', ...IN_BALANCE_TYPES]);

/**
 * The `types` asked for. Xendit's own lists disagree: xendit-node's TransactionTypes (BATCH_DISBURSEMENT,
 * TRANSFER, PLATFORM_FEE, CASHBACK, REMITTANCE_COLLECTION, OTHER, …), the API reference before its
 * 2025-11 revision (adds CONVERSION), and after it (docs.xendit.co/apidocs/list-transactions:
 * TRANSFER_IN/OUT, ADJUSTMENT_ADD/DEDUCT, RESERVES_HOLD/RELEASE, FOREX_*, CASHBACK_FEE/VAT, …, and
 * none of BATCH_DISBURSEMENT, PLATFORM_FEE, CASHBACK, TRANSFER, REMITTANCE_COLLECTION). Every name of
 * each but the reserve's is asked, so whichever Xendit speaks is listed. An account whose listing
 * Xendit refuses (400) is asked by the reference's names alone, then, refused again, without `types` (all types, the
 * documented default) and read past what is booked elsewhere: more pages, nothing missed.
 */
export const OTHER_TYPES = [
  'ADJUSTMENT_ADD',
  'ADJUSTMENT_DEDUCT',
  'BATCH_DISBURSEMENT',
  'BNPL_PARTNER_SETTLEMENT_CREDIT',
  'BNPL_PARTNER_SETTLEMENT_DEBIT',
  'CASHBACK',
  'CASHBACK_FEE',
  'CASHBACK_VAT',
  'CONVERSION',
  'DISBURSEMENT',
  'FOREX_DEDUCTION',
  'FOREX_DEPOSIT',
  'IN_PERSON_PAYMENT',
  'OTHER',
  'PLATFORM_FEE',
  'REMITTANCE',
  'REMITTANCE_COLLECTION',
  'REMITTANCE_COLLECTION_PAYMENT',
  'REMITTANCE_PAYOUT',
  'TOPUP',
  'TRANSFER',
  'TRANSFER_IN',
  'TRANSFER_OUT',
] as const;

const movementSchema = z.object({
  id: z.string().min(1),
  type: z.string(),
  status: z.enum(['SUCCESS', 'REVERSED']),
  updated: z.string().nullish(),
  cashflow: z.enum(['MONEY_IN', 'MONEY_OUT']),
  currency: z.enum(SUPPORTED_CURRENCIES),
  amount: z.number(),
  created: z.string(),
  // docs.xendit.co "List transactions" (not in xendit-node's TransactionResponse).
  net_amount: z.number().nullish(),
  // xendit-node TransactionResponse.fee (FeeResponse): every transaction carries one, a payout's charged.
  fee: z.object({ xendit_fee: z.number().nullish(), value_added_tax: z.number().nullish(), status: z.string().nullish() }).nullish(),
});

/** The names of the API reference since its 2025-11 revision alone: asked next when the whole list is refused. */
const REFERENCE_TYPES = OTHER_TYPES.filter(
  (t) => !['BATCH_DISBURSEMENT', 'CASHBACK', 'OTHER', 'PLATFORM_FEE', 'REMITTANCE', 'REMITTANCE_COLLECTION', 'TRANSFER'].includes(t),
);

/** What each account is asked by, in turn, while Xendit refuses (400): every name, the reference's, none (every type). */
const ASKS: (readonly string[] | undefined)[] = [OTHER_TYPES, REFERENCE_TYPES, undefined];

export function movementCalls(call: XenditCall): Pick<XenditGateway, 'listOtherMovements' | 'getOtherMovement'> {
  // Per account and currency (the key by a digest): the ask of ASKS Xendit last answered. Moved only
  // when a first page is refused (400) and a later ask of it answered: a later page's 400 is its
  // cursor's (the listing starts again), and a 400 every ask gets (a currency the account never
  // held) says nothing of the names.
  const step = new Map<string, number>();
  type Query = Parameters<XenditGateway['listOtherMovements']>[1];
  const page = (secretKey: string, q: Query, types: readonly string[] | undefined) =>
    call(secretKey, 'listOtherMovements', async (api) => {
      const body = (await json(
        await api.getAllTransactionsRaw({
          // xendit-node types the names of its own enum; the later reference's are sent as they are (the SDK passes them through).
          ...(types ? { types: [...types] as never } : {}),
          // REVERSED: a payout sent, then returned into the balance (xendit-node TransactionStatuses), read so that one booked is booked back.
          statuses: ['SUCCESS', 'REVERSED'],
          currency: q.currency,
          created: { ...(q.createdAfter ? { gte: q.createdAfter } : {}), lte: q.createdBefore },
          // Changed since (xendit-node GetAllTransactionsRequest `updated`, TransactionResponse.updated
          // "Transaction updated timestamp"): one made before the created window, sent back (or its fee changed) since.
          ...(q.updatedAfter ? { updated: { gte: q.updatedAfter } } : {}),
          limit: Math.min(q.limit, WITHDRAWAL_PAGE_LIMIT),
          ...(q.afterId ? { afterId: q.afterId } : {}),
        }),
      )) as { data?: unknown; has_more?: unknown };
      return readPage(body);
    });
  return {
    async getOtherMovement(secretKey, id) {
      // GET /transactions/{id} (xendit-node TransactionApi getTransactionByID); 404 DATA_NOT_FOUND: no transaction of this account with that id.
      const row = await nullWhenNotFound(() => call(secretKey, 'getOtherMovement', async (api) => json(await api.getTransactionByIDRaw({ id }))));
      return row === null ? null : readMovement(row);
    },
    async listOtherMovements(secretKey, q) {
      const account = `${createHash('sha256').update(secretKey).digest('base64url').slice(0, 16)} ${q.currency}`;
      const from = step.get(account) ?? 0;
      if (q.afterId) return page(secretKey, q, ASKS[from]);
      let refused: unknown;
      for (let i = from; i < ASKS.length; i++) {
        try {
          const got = await page(secretKey, q, ASKS[i]);
          if (i !== from) {
            if (step.size >= 10_000) step.clear();
            step.set(account, i);
          }
          return got;
        } catch (err) {
          if (!(err instanceof UpstreamError) || err.status !== 400) throw err;
          refused = err;
        }
      }
      throw refused;
    },
  };
}

function readPage(body: { data?: unknown; has_more?: unknown }): Awaited<ReturnType<XenditGateway['listOtherMovements']>> {
  if (!Array.isArray(body?.data)) throw unexpected('transaction list without data');
  const rows = body.data as { id?: unknown }[];
  const movements: XenditMovement[] = rows.flatMap((r) => readMovement(r) ?? []);
  const last = rows.at(-1)?.id;
  return { movements, hasMore: body.has_more === true, ...(typeof last === 'string' ? { lastId: last } : {}) };
}

/** One transaction as a movement the gateway books; null: another type, a shape not understood, or an amount its currency cannot hold. */
function readMovement(r: unknown): XenditMovement | null {
  const t = movementSchema.safeParse(r);
  if (!t.success) return null;
  if (NOT_OTHER_TYPES.has(t.data.type)) return null;
  try {
    // The direction is the cashflow's; the amount is taken as a size whatever its sign.
    const read = minorReader(t.data.currency);
    const minor = read(Math.abs(t.data.amount), 'amount');
    return {
      id: t.data.id,
      type: t.data.type,
      currency: t.data.currency,
      amount: t.data.cashflow === 'MONEY_OUT' ? -minor : minor,
      created: t.data.created,
      status: t.data.status,
      ...(t.data.updated ? { updated: t.data.updated } : {}),
      ...payoutFee(t.data, minor, t.data.cashflow === 'MONEY_OUT', read),
    };
  } catch {
    return null;
  }
}
