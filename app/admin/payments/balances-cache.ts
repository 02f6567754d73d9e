/**
 * The dashboard's balances, kept per merchant for a minute. Every load of /admin (each page of the
 * list, each filter, a tab that refreshes itself) read them anew: the Xero organisation and Bank
 * Summary, out of the minute and day the customers' pay clicks need, and up to 16 Xendit calls per
 * currency. Kept in this process's memory, not the database: a figure a minute old is all it saves,
 * nothing needs it after a restart, and balances are not written where a dump would carry them.
 * With several web processes each reads at most once a minute per merchant, and the admin's share
 * of the Xero budget (XERO_ADMIN_PERCENT, _MINUTE_PERCENT) bounds them all together anyway.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Merchant } from '../../store/merchants.js';
import type { BalanceRow } from './balances.js';

export const BALANCES_KEEP_MS = 60_000;

interface Kept {
  /** What the figures were read for (merchantVersion): another key or clearing account reads again. */
  version: string;
  readAt: Date;
  rows: Promise<BalanceRow[]>;
}

/** What the balances depend on of the merchant's row: a change (a new Xendit key, clearing account) is never answered with the old figures. */
function merchantVersion(m: Merchant): string {
  const read = [m.xenditSecretKey, m.clearingAccountId, m.clearingAccounts, m.clearingCurrency, m.xero.clientId, m.xero.tenantId, m.xeroTimezone];
  return createHash('sha256').update(JSON.stringify(read)).digest('base64url');
}

export function createBalancesCache(opts: { clock: Clock; keepMs?: number; max?: number }) {
  const keepMs = opts.keepMs ?? BALANCES_KEEP_MS;
  const max = opts.max ?? 1000;
  const kept = new Map<string, Kept>();
  return {
    /**
     * The merchant's balances read within keepMs, or read now with `read`. Loads at the same time
     * share one read; a read that fails is not kept.
     */
    async get(merchant: Merchant, read: () => Promise<BalanceRow[]>): Promise<{ rows: BalanceRow[]; readAt: Date }> {
      const now = opts.clock();
      const version = merchantVersion(merchant);
      const had = kept.get(merchant.id);
      if (had && had.version === version && now.getTime() - had.readAt.getTime() < keepMs) return { rows: await had.rows, readAt: had.readAt };
      kept.delete(merchant.id);
      if (kept.size >= max) kept.delete(kept.keys().next().value!);
      const entry: Kept = { version, readAt: now, rows: read() };
      kept.set(merchant.id, entry);
      try {
        return { rows: await entry.rows, readAt: now };
      } catch (err) {
        if (kept.get(merchant.id) === entry) kept.delete(merchant.id);
        throw err;
      }
    },
  };
}

export type BalancesCache = ReturnType<typeof createBalancesCache>;
