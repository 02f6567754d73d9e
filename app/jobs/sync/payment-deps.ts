import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import type { XeroGateway } from '../../clients/xero/types.js';
import type { CrashHook } from './crash-points.js';

// What putting a payment into Xero is given, apart from its code (payment-in-xero.ts), so that
// overpayment.ts, which that code calls, can name it without importing it back.
export interface RecordPaymentDeps {
  stores: Stores;
  xero: XeroGateway;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  crash?: CrashHook;
  /** Clearing accounts already seen active in Xero, with their currency (createBankAccountCache). */
  bankAccounts?: BankAccountCache;
}

/**
 * A clearing account's currency, once Xero listed it as an active bank account, for `ttlMs`: a
 * backlog of payments then costs one account listing per merchant every few minutes instead of
 * one per payment. Xero fixes a bank account's currency when it is created; an account archived
 * since is refused by Xero itself, and the refusal runs the check again without the cache.
 */
export function createBankAccountCache(clock: Clock, ttlMs = 10 * 60_000) {
  const seen = new Map<string, ClearingAccount & { until: number }>();
  const key = (merchantId: string, accountId: string) => `${merchantId}:${accountId}`;
  return {
    accountOf(merchantId: string, accountId: string): ClearingAccount | undefined {
      const hit = seen.get(key(merchantId, accountId));
      return hit && hit.until > clock().getTime() ? hit : undefined;
    },
    remember(merchantId: string, accountId: string, account: ClearingAccount): void {
      if (seen.size >= 10_000) seen.clear();
      seen.set(key(merchantId, accountId), { ...account, until: clock().getTime() + ttlMs });
    },
  };
}
export type BankAccountCache = ReturnType<typeof createBankAccountCache>;
/** What a payment needs to know of its clearing account: its currency ('*': unstated) and whether it is a BANK account. */
export interface ClearingAccount {
  currency: string;
  bank: boolean;
}

/** The Xero invoice a payment goes on. */
export interface PaymentTarget {
  xeroInvoiceId: string;
  invoiceNumber: string;
}
