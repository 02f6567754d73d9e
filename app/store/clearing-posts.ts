/**
 * Which clearing accounts the gateway posted to: what the reconciliation report reads besides
 * today's, so entries on an account the merchant has since replaced are still found (report/accounts.ts).
 * Each entry's account is kept with its attempt mark: payments.clearing_account and
 * fee_entry_account, refunds.clearing_account, withdrawals.clearing_account (migration
 * 20261206T1942), other_movements.clearing_account (20261206T2345), fee_returns.entry_account (20261206T1815). Dated by when the money moved at
 * Xendit (paid, refunded, withdrawn, sent back, the fee given back), as the report's rows are.
 */
import { sql } from 'kysely';
import type { Db } from './db.js';

export interface PostedAccount {
  accountId: string;
  /** The currency of the entries posted to it. */
  currency: string;
  /** The latest of them. */
  lastAt: Date;
}

export function createClearingPostStore(db: Db) {
  return {
    /**
     * The accounts posted to for entries of `window` (all of them without it), latest first, at most
     * `limit`; `more` says some were left out.
     */
    async accountsPosted(merchantId: string, window: { from: Date; to: Date } | null, limit: number): Promise<{ accounts: PostedAccount[]; more: boolean }> {
      const from = window?.from ?? new Date(0);
      const to = window?.to ?? new Date(8.64e15);
      const rows = await sql<{ account: string; currency: string; last_at: Date }>`
        select account, currency, max(at) as last_at from (
          select clearing_account as account, currency, paid_at as at from payments
           where merchant_id = ${merchantId} and clearing_account is not null and paid_at >= ${from} and paid_at < ${to}
          union all
          select fee_entry_account, currency, paid_at from payments
           where merchant_id = ${merchantId} and fee_entry_account is not null and paid_at >= ${from} and paid_at < ${to}
          union all
          select f.entry_account, p.currency, f.returned_at from fee_returns f join payments p on p.id = f.payment_id
           where f.merchant_id = ${merchantId} and f.entry_account is not null and f.returned_at >= ${from} and f.returned_at < ${to}
          union all
          select clearing_account, currency, refunded_at from refunds
           where merchant_id = ${merchantId} and clearing_account is not null and refunded_at >= ${from} and refunded_at < ${to}
          union all
          select clearing_account, currency, coalesce(reversed_at, withdrawn_at) from withdrawals
           where merchant_id = ${merchantId} and clearing_account is not null
             and ((withdrawn_at >= ${from} and withdrawn_at < ${to}) or (reversed_at >= ${from} and reversed_at < ${to}))
          union all
          select clearing_account, currency, moved_at from other_movements
           where merchant_id = ${merchantId} and clearing_account is not null and moved_at >= ${from} and moved_at < ${to}
        ) posted
        group by account, currency
        order by last_at desc, account
        limit ${limit + 1}`.execute(db);
      const accounts = rows.rows.map((r) => ({ accountId: r.account, currency: r.currency, lastAt: new Date(r.last_at) }));
      return { accounts: accounts.slice(0, limit), more: accounts.length > limit };
    },
  };
}

export type ClearingPostStore = ReturnType<typeof createClearingPostStore>;
