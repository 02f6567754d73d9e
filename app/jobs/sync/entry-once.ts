/**
 * One entry of money that moved at Xendit put into Xero once, dated in the organisation's date:
 * the withdrawals' (record-withdrawal.ts) and the other balance movements' (record-other-movement.ts).
 * The attempt is marked before the entry is sent (sendOnce), and the entry is looked up by its
 * Reference first when an earlier attempt's outcome is unknown (`sentAt`) or the job was queued
 * again (`lookFirst`), so a lost answer, a worker killed after Xero took it or an entry a person
 * booked by hand never makes a second one (foundEarlier).
 */
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Merchant } from '../../store/merchants.js';
import type { XeroBankTransaction, XeroGateway } from '../../clients/xero/types.js';
import { toDecimal, type Currency } from '../../money.js';
import { organisationDate } from './org-date.js';
import { foundEarlier, sendOnce, type Earlier } from './send-once.js';
import { FEE_CONTACT_NAME } from './post-fee.js';

export type EntryDeps = { stores: Stores; xero: XeroGateway; clock: Clock };

/** How an entry is made: its Reference, Idempotency-Key, when it happened, its attempt mark, and what earlier attempts left (Earlier). */
export interface Attempt extends Earlier {
  reference: string;
  key: string;
  at: Date;
  /** Whether it was written (send-once.ts). */
  mark: (at: Date | null) => Promise<boolean>;
}

/** The money an entry carries: minor units, as a size. */
export interface Money {
  currency: Currency;
  amount: number;
}

/** One entry in Xero, once: looked up by its Reference first only when an earlier attempt or a person may have made it. Returns its id. */
export async function entryOnce(
  deps: EntryDeps,
  merchant: Merchant,
  currency: Currency,
  t: Attempt & { find: () => Promise<string | undefined>; create: (date: string) => Promise<string> },
): Promise<string> {
  const found = await foundEarlier(deps.clock(), t, t.find, `entry ${t.reference}`);
  if (found) return found;
  const date = await organisationDate(deps, merchant, t.at, currency);
  return sendOnce(t.mark, deps.clock(), () => t.create(date));
}

/** The lines of a bank transaction: one of the whole amount coded to `accountCode`, or these (decimal strings adding up to the amount). */
export type EntryLines = { accountCode: string; description: string } | { lines: { description: string; accountCode: string; amount: string }[] };

/**
 * One Spend or Receive Money of `money` on `bank`, once (entryOnce). `found`: told of the one an
 * earlier attempt or a person made, as Xero holds it (what it carries may not be what this one would).
 */
export function bankTransactionOnce(
  deps: EntryDeps,
  merchant: Merchant,
  money: Money,
  t: Attempt & EntryLines & { type: 'RECEIVE' | 'SPEND'; bank: string; reconciled: boolean; found?: (t: XeroBankTransaction) => void },
): Promise<string> {
  return entryOnce(deps, merchant, money.currency, {
    ...t,
    find: async () => {
      const x = (await deps.xero.findBankTransactionsByReference(merchant.xero, t.reference)).find((x) => x.type === t.type);
      if (x) t.found?.(x);
      return x?.bankTransactionId;
    },
    create: async (date) =>
      (
        await deps.xero.createBankTransaction(
          merchant.xero,
          {
            type: t.type,
            bankAccountId: t.bank,
            contactName: FEE_CONTACT_NAME,
            date,
            reference: t.reference,
            currencyCode: money.currency,
            lineItems: 'lines' in t ? t.lines : [{ description: t.description, accountCode: t.accountCode, amount: toDecimal(money.amount, money.currency) }],
            reconciled: t.reconciled,
          },
          t.key,
        )
      ).bankTransactionId,
  });
}
