/**
 * The dashboard's balances, kept per merchant for a minute (kept-reads.ts). Every load of /admin
 * (each page of the list, each filter, a tab that refreshes itself) read them anew: the Xero
 * organisation and Bank Summary, out of the minute and day the customers' pay clicks need, and up
 * to 16 Xendit calls per currency.
 */
import type { Clock } from '../../clock.js';
import type { Merchant } from '../../store/merchants.js';
import { createKeptReads, versionOf } from '../kept-reads.js';
import type { BalanceRow } from './balances.js';

export const BALANCES_KEEP_MS = 60_000;

/** What the balances depend on of the merchant's row: a change (a new Xendit key, clearing account) is never answered with the old figures. */
function merchantVersion(m: Merchant): string {
  return versionOf([m.xenditSecretKey, m.clearingAccountId, m.clearingAccounts, m.clearingCurrency, m.xero.clientId, m.xero.tenantId, m.xeroTimezone]);
}

export function createBalancesCache(opts: { clock: Clock; keepMs?: number; max?: number }) {
  const kept = createKeptReads<BalanceRow[]>({ clock: opts.clock, keepMs: opts.keepMs ?? BALANCES_KEEP_MS, max: opts.max });
  return {
    /** The merchant's balances read within keepMs, or read now with `read`. */
    async get(merchant: Merchant, read: () => Promise<BalanceRow[]>): Promise<{ rows: BalanceRow[]; readAt: Date }> {
      const { value, readAt } = await kept.get(merchant.id, merchantVersion(merchant), read);
      return { rows: value, readAt };
    },
  };
}

export type BalancesCache = ReturnType<typeof createBalancesCache>;
