/**
 * Money leaving the merchant's Xendit balance for their bank, and the balance itself (Xendit's
 * Balance and Transaction API, xendit-node balance_and_transaction):
 * - GET /transactions?types=WITHDRAWAL&statuses=SUCCESS: manual withdrawals from the dashboard's
 *   Balance page and scheduled Auto-Withdrawals (docs.xendit.co/withdrawal, /auto-withdrawal) are
 *   transactions of type WITHDRAWAL, cashflow MONEY_OUT (xendit-node TransactionTypes,
 *   TransactionResponse.cashflow); newest first, `after_id` continues after the last row
 *   (TransactionsResponse.has_more).
 * - GET /balance?account_type=CASH&currency=: the cash balance (xendit-node BalanceApi, Balance.balance).
 */
import { z } from 'zod';
import { SUPPORTED_CURRENCIES } from '../../money.js';
import { minorReader } from './amounts.js';
import { payoutFee } from './payout-fee.js';
import { json, type XenditCall } from './call.js';
import { unexpected } from './errors.js';
import { CursorWalk } from './paging.js';
import { movementFeeSchema, withholdingTaken } from './transactions.js';
import { nullWhenNotFound } from '../types.js';
import type { UnsettledPayment, XenditGateway, XenditWithdrawal } from './types.js';

/** The fields of a transaction a withdrawal is read from (all in xendit-node's TransactionResponse). */
export const withdrawalSchema = z.object({
  id: z.string().min(1),
  type: z.literal('WITHDRAWAL'),
  status: z.enum(['SUCCESS', 'REVERSED']),
  cashflow: z.string().nullish(),
  currency: z.enum(SUPPORTED_CURRENCIES),
  amount: z.number(),
  channel_code: z.string().nullish(),
  account_identifier: z.string().nullish(),
  created: z.string(),
  updated: z.string().nullish(),
  // docs.xendit.co "List transactions" (not in xendit-node's TransactionResponse).
  net_amount: z.number().nullish(),
  // xendit-node TransactionResponse.fee (FeeResponse): every transaction carries one.
  fee: movementFeeSchema.nullish(),
});

/** Xendit's largest page of transactions (docs.xendit.co Transactions API: limit 1–50). */
export const WITHDRAWAL_PAGE_LIMIT = 50;

/** What a payment not yet settled is read from (xendit-node TransactionResponse, FeeResponse). */
const unsettledSchema = z.object({
  id: z.string().min(1),
  cashflow: z.string().nullish(),
  settlement_status: z.string().nullish(),
  amount: z.number(),
  // xendit-node TransactionResponse.created: when the customer paid (which fee billing it fell under).
  created: z.string().nullish(),
  // docs.xendit.co "List transactions" (not in xendit-node's TransactionResponse): what it settles.
  net_amount: z.number().nullish(),
  fee: movementFeeSchema.nullish(),
});

/** A withdrawal requested and not sent yet (xendit-node TransactionResponse). */
const pendingSchema = z.object({
  id: z.string().min(1),
  status: z.literal('PENDING'),
  cashflow: z.string().nullish(),
  currency: z.string(),
  amount: z.number(),
});

/** Pages of payments read for what is not settled yet: 50 × 10, far more than a few days of a small merchant's sales. */
const UNSETTLED_MAX_PAGES = 10;

/** Pages of PENDING withdrawals read: a merchant has a few at a time (each waits hours, not weeks). */
const PENDING_MAX_PAGES = 4;

export function balanceCalls(
  call: XenditCall,
): Pick<XenditGateway, 'listWithdrawals' | 'getBalance' | 'unsettledPayments' | 'getWithdrawal' | 'pendingWithdrawals'> {
  return {
    async getWithdrawal(secretKey, id) {
      // 404 DATA_NOT_FOUND: no transaction of this account with that id.
      const row = await nullWhenNotFound(() => call(secretKey, 'getWithdrawal', async (api) => json(await api.getTransactionByIDRaw({ id }))));
      return row === null ? null : readWithdrawal(row);
    },

    async pendingWithdrawals(secretKey, currency) {
      let count = 0;
      let amount = 0;
      // Requested, not sent yet (xendit-node TransactionStatuses PENDING).
      const query = { types: ['WITHDRAWAL'], statuses: ['PENDING'], currency };
      const complete = await everyPage(call, secretKey, 'pendingWithdrawals', query, PENDING_MAX_PAGES, (row) => {
        const t = pendingSchema.safeParse(row);
        if (!t.success || t.data.currency !== currency || (t.data.cashflow && t.data.cashflow !== 'MONEY_OUT')) return;
        count++;
        amount += minorReader(currency)(Math.abs(t.data.amount), 'amount');
      });
      return complete ? { count, amount } : null;
    },

    async unsettledPayments(secretKey, currency, since) {
      // The Transactions API cannot filter on settlement_status: the recent payments are read and
      // those still PENDING settlement kept. More pages than the bound: unknown (null), never a
      // list that leaves some out. Each payment on its own: whether Xendit keeps its fee at
      // settlement depends on the fee billing when it was paid, which the caller knows.
      const minor = minorReader(currency);
      const payments: UnsettledPayment[] = [];
      const query = { types: ['PAYMENT'], statuses: ['SUCCESS'], currency, created: { gte: since } };
      const complete = await everyPage(call, secretKey, 'unsettledPayments', query, UNSETTLED_MAX_PAGES, (row) => {
        const t = unsettledSchema.safeParse(row);
        if (!t.success) throw unexpected(`transaction: ${t.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
        if (t.data.settlement_status !== 'PENDING' || (t.data.cashflow && t.data.cashflow !== 'MONEY_IN')) return;
        const amount = minor(t.data.amount, 'amount');
        const fee = minor(t.data.fee?.xendit_fee ?? 0, 'fee.xendit_fee');
        const tax = minor(t.data.fee?.value_added_tax ?? 0, 'fee.value_added_tax');
        const tw =
          minor(t.data.fee?.xendit_withholding_tax ?? 0, 'fee.xendit_withholding_tax') +
          minor(t.data.fee?.third_party_withholding_tax ?? 0, 'fee.third_party_withholding_tax');
        const net = t.data.net_amount == null ? undefined : minor(t.data.net_amount, 'net_amount');
        const paidAt = t.data.created ? new Date(t.data.created) : null;
        payments.push({
          paidAt: paidAt && !Number.isNaN(paidAt.getTime()) ? paidAt : null,
          gross: amount,
          fees: fee + tax,
          // As post-fee and the report count it (withholdingTaken): by the transaction's own net_amount.
          withheld: withholdingTaken({ amount, net, fee, tax, withheld: tw }) ? tw : 0,
        });
      });
      return complete ? payments : null;
    },

    async listWithdrawals(secretKey, q) {
      return call(secretKey, 'listWithdrawals', async (api) => {
        const body = (await json(
          await api.getAllTransactionsRaw({
            types: ['WITHDRAWAL'],
            // REVERSED: sent, then sent back by the bank into the balance (xendit-node TransactionStatuses).
            statuses: q.reversedAfter ? ['REVERSED'] : ['SUCCESS', 'REVERSED'],
            currency: q.currency,
            // A REVERSED transaction's `updated` is when it was reversed (xendit-node GetAllTransactionsRequest `updated`).
            ...(q.reversedAfter ? { updated: { gte: q.reversedAfter } } : {}),
            ...(q.createdAfter || q.createdBefore
              ? { created: { ...(q.createdAfter ? { gte: q.createdAfter } : {}), ...(q.createdBefore ? { lte: q.createdBefore } : {}) } }
              : {}),
            limit: Math.min(q.limit, WITHDRAWAL_PAGE_LIMIT),
            ...(q.afterId ? { afterId: q.afterId } : {}),
          }),
        )) as { data?: unknown; has_more?: unknown };
        if (!Array.isArray(body?.data)) throw unexpected('transaction list without data');
        const rows = body.data as { id?: unknown }[];
        const withdrawals = rows.flatMap((r) => {
          try {
            const w = readWithdrawal(r);
            return w ? [w] : []; // another currency or type: not one the gateway can record
          } catch {
            return []; // an amount that does not fit its currency: never rounded, left out
          }
        });
        const last = rows.at(-1)?.id;
        return { withdrawals, hasMore: body.has_more === true, ...(typeof last === 'string' ? { lastId: last } : {}) };
      });
    },

    async getBalance(secretKey, currency, accountType = 'CASH') {
      return call(secretKey, 'getBalance', async (api) => {
        const body = (await json(await api.getBalanceRaw({ accountType, currency }))) as { balance?: unknown };
        if (typeof body?.balance !== 'number') throw unexpected('balance without a number');
        return minorReader(currency)(body.balance, 'balance');
      });
    },
  };
}

function readWithdrawal(row: unknown): XenditWithdrawal | null {
  const parsed = withdrawalSchema.safeParse(row);
  if (!parsed.success) return null;
  const t = parsed.data;
  // Withdrawals take money out; a MONEY_IN row of this type would be something we do not understand.
  if (t.cashflow && t.cashflow !== 'MONEY_OUT') return null;
  const minor = minorReader(t.currency);
  const amount = minor(Math.abs(t.amount), 'amount');
  return {
    id: t.id,
    status: t.status,
    currency: t.currency,
    amount,
    ...payoutFee(t, amount, true, minor),
    created: t.created,
    ...(t.updated ? { updated: t.updated } : {}),
    ...(t.channel_code ? { channelCode: t.channel_code } : {}),
    ...(t.account_identifier ? { accountIdentifier: t.account_identifier } : {}),
  };
}

/**
 * Every page of a transactions listing (`after_id` continues after the last row), each row to
 * `onRow`; false when `maxPages` were read and Xendit had more, or the walk broke (paging.ts).
 */
async function everyPage(
  call: XenditCall,
  secretKey: string,
  op: string,
  query: Record<string, unknown>,
  maxPages: number,
  onRow: (row: unknown) => void,
): Promise<boolean> {
  let afterId: string | undefined;
  const walk = new CursorWalk(maxPages);
  for (;;) {
    const body = (await call(secretKey, op, async (api) =>
      json(
        await api.getAllTransactionsRaw({ ...query, limit: WITHDRAWAL_PAGE_LIMIT, ...(afterId ? { afterId } : {}) } as Parameters<
          typeof api.getAllTransactionsRaw
        >[0]),
      ),
    )) as { data?: unknown; has_more?: unknown };
    if (!Array.isArray(body?.data)) throw unexpected('transaction list without data');
    const ids = body.data.map((row) => (row as { id?: unknown } | null)?.id).map((id) => (typeof id === 'string' ? id : undefined));
    // A list started over or cut short by a cursor Xendit no longer holds (paging.ts): not complete.
    const verdict = walk.page(ids, body.has_more === true);
    if (verdict === 'broken') return false;
    for (const row of body.data) onRow(row);
    if (verdict === 'end') return true;
    if (verdict === 'budget') return false;
    const last = ids.at(-1);
    if (last === undefined) throw unexpected('transaction page without a last id');
    afterId = last;
  }
}
