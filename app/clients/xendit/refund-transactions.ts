/**
 * The REFUND transactions' shapes, apart from refunds.ts so that types.ts (XenditGateway) can take
 * them without importing the client that imports it.
 */
import type { Currency } from '../../money.js';

export interface XenditRefundTransaction {
  /** The transaction's id. */
  id: string;
  /** Its product_id: the refund's id or, undocumented which, the refunded payment's (jobs/sync/list-refund-transactions.ts). */
  productId: string;
  currency: Currency;
  created: string;
}

/** Part of XenditGateway (types.ts). */
export interface RefundTransactionCalls {
  /** One page (newest first) of the REFUND transactions in this currency made between the two dates, any status; rows that cannot be read are left out. */
  listRefundTransactions(
    secretKey: string,
    q: { currency: Currency; limit: number; afterId?: string; createdAfter: Date; createdBefore: Date },
  ): Promise<{ refunds: XenditRefundTransaction[]; hasMore: boolean; lastId?: string }>;
}
