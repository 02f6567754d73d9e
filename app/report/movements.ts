/**
 * Movements of Xendit's balance in the range that the gateway does not book (a payout to a
 * supplier, a transfer, a top-up, …; clients/xendit/movements.ts): one `xendit_only` row each, so
 * a difference between Xendit's balance and the clearing account points at its reason. They are
 * the merchant's to book (or not: money that never passed the clearing account), so they do not by
 * themselves make the report unreconciled, and they are not in the period's payment totals.
 */
import type { Merchant } from '../store/merchants.js';
import { toDecimal, type Currency } from '../money.js';
import { dateIn, zoneFor } from '../jobs/sync/org-date.js';
import { format, hundredths, readPagesPerCurrency, unreadRows, utcWindow, type ReportDeps, type ReportRow } from './rows.js';

/** Bounds one report's reading per currency (50 a page). */
const MAX_PAGES = 10;

export async function otherMovementRows(
  deps: ReportDeps,
  merchant: Merchant,
  range: { from: string; to: string },
  timezone: string | null | undefined,
  /** The currencies of every clearing account, the ones Xendit is asked for. */
  currencies: Currency[],
): Promise<ReportRow[]> {
  const listed = await readPagesPerCurrency(
    currencies,
    async (currency, afterId) => {
      const got = await deps.xendit.listOtherMovements(merchant.xenditSecretKey, {
        ...utcWindow(range, 0),
        currency,
        limit: 50,
        afterId,
      });
      return { ...got, items: got.movements };
    },
    MAX_PAGES,
  );
  const rows: ReportRow[] = [];
  for (const m of listed.items) {
    const date = dateIn(new Date(m.created), zoneFor(timezone, m.currency));
    if (date < range.from || date > range.to) continue;
    rows.push({
      date,
      xenditInvoiceId: null,
      currency: m.currency,
      xenditAmount: format(hundredths(toDecimal(m.amount, m.currency))),
      xenditFee: null,
      xeroPayment: null,
      xeroFee: null,
      status: 'xendit_only',
      note: `${m.type} ${m.id} ${m.amount < 0 ? 'out of' : 'into'} the Xendit balance: not booked by the gateway`,
    });
  }
  return [...rows, ...unreadRows(range, listed, 'balance movements', MAX_PAGES * 50)];
}
