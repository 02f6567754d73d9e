/**
 * The reconciliation report's settlement rows: each withdrawal Xendit made from the merchant's
 * balance to their bank in the range, next to the Bank Transfer out of the clearing account that
 * the gateway recorded for it (Reference `Xendit withdrawal <transaction id>`) or, out of a
 * clearing account that is not a bank account, the Receive Money into the settlement bank account
 * coded to it: transferred when both agree, missing on the side that lacks it. Other transfers out
 * of a clearing account are the merchant's own (not from Xendit).
 */
import type { XenditWithdrawal } from '../clients/xendit/types.js';
import type { XeroBankTransfer } from '../clients/xero/types.js';
import type { Merchant } from '../store/merchants.js';
import { toDecimal, type Currency } from '../money.js';
import { dateIn, zoneFor } from '../jobs/sync/org-date.js';
import { reversalReference, withdrawalReference } from '../jobs/sync/record-withdrawal.js';
import {
  clearingEntry,
  format,
  hundredths,
  movedByLock,
  type ClearingEntry,
  readPagesPerCurrency,
  unreadRows,
  utcWindow,
  type ReportDeps,
  type ReportRow,
} from './rows.js';

const WITHDRAWAL_REF = /^Xendit withdrawal (\S+)$/;
const REVERSAL_REF = /^Xendit withdrawal reversed (\S+)$/;
/** Bounds one report's reading of Xendit's withdrawals per currency (50 a page). */
const MAX_PAGES = 20;
/** How long before a report's range a withdrawal that came back within it may have left. */
const REVERSAL_LOOKBACK_DAYS = 31;

export interface TransferRows {
  rows: ReportRow[];
  /** Transfers out of or into a clearing account that are none of the gateway's (counted by the caller). */
  others: ClearingEntry[];
  /** Per currency, hundredths (negative: money out of the clearing account). */
  sums: Map<string, { xendit: bigint; xero: bigint; other: bigint }>;
}

export async function transferRows(
  deps: ReportDeps,
  merchant: Merchant,
  range: { from: string; to: string },
  timezone: string | null | undefined,
  /** The clearing accounts, each with its currency. */
  clearing: Map<string, string>,
  /** The currencies of every clearing account (bank or not), the ones Xendit is asked for. */
  currencies: Currency[],
  /** The clearing accounts that are not bank accounts, by account code. */
  nonBank: Map<string, { accountId: string; currency: string }> = new Map(),
): Promise<TransferRows> {
  const inRange = (date: string | undefined) => date !== undefined && date >= range.from && date <= range.to;
  // Each withdrawal with the local dates it left the balance and, sent back by the bank, came back.
  const withdrawals = new Map<string, { w: XenditWithdrawal; out: string; back?: string }>();
  // One made before the range may have come back within it: asked from REVERSAL_LOOKBACK_DAYS earlier.
  const listed = await readPagesPerCurrency(
    currencies,
    async (currency, afterId) => {
      const got = await deps.xendit.listWithdrawals(merchant.xenditSecretKey, {
        ...utcWindow(range, REVERSAL_LOOKBACK_DAYS),
        currency,
        limit: 50,
        afterId,
      });
      return { ...got, items: got.withdrawals };
    },
    MAX_PAGES,
  );
  // Also those read but outside the range: one whose transfer was dated later (its day was locked).
  const seen = new Map<string, { w: XenditWithdrawal; out: string; back?: string }>();
  for (const w of listed.items) {
    const zone = zoneFor(timezone, w.currency);
    const out = dateIn(new Date(w.created), zone);
    const back = w.status === 'REVERSED' ? dateIn(new Date(w.updated ?? w.created), zone) : undefined;
    seen.set(w.id, { w, out, ...(back ? { back } : {}) });
    if (inRange(out) || inRange(back)) withdrawals.set(w.id, { w, out, ...(back ? { back } : {}) });
  }
  const transfers = new Map<string, XeroBankTransfer[]>();
  // Withdrawals with any transfer in Xero, whatever its date, and the latest date booked.
  const everBooked = new Set<string>();
  const bookedOn = new Map<string, string>();
  const rows: ReportRow[] = [];
  const others: ClearingEntry[] = [];
  const sums: TransferRows['sums'] = new Map();
  const sum = (currency: string) => sums.get(currency) ?? sums.set(currency, { xendit: 0n, xero: 0n, other: 0n }).get(currency)!;
  for (const [accountId, currency] of clearing) {
    for (const t of await deps.xero.listBankTransfersFrom(merchant.xero, accountId)) {
      const m = WITHDRAWAL_REF.exec(t.reference);
      if (m) everBooked.add(m[1]);
      if (m && t.date && t.date > (bookedOn.get(m[1]) ?? '')) bookedOn.set(m[1], t.date);
      if (!inRange(t.date)) continue;
      if (m) transfers.set(m[1], [...(transfers.get(m[1]) ?? []), t]);
      else if (!REVERSAL_REF.test(t.reference)) {
        others.push(clearingEntry(t.date ?? '', currency, -hundredths(t.amount), `bank transfer "${t.reference}" out of the clearing account`, t.reference));
      }
    }
  }
  // A withdrawal the bank sent back comes into the clearing account by a transfer of its own.
  const backs = new Map<string, XeroBankTransfer[]>();
  for (const [accountId, currency] of clearing) {
    for (const t of await deps.xero.listBankTransfersTo(merchant.xero, accountId)) {
      const m = REVERSAL_REF.exec(t.reference);
      if (m) everBooked.add(m[1]);
      if (m && inRange(t.date)) backs.set(m[1], [...(backs.get(m[1]) ?? []), t]);
      // Money the merchant moved in (a top-up at Xendit booked by hand, say); one out of another
      // clearing account is already its other side.
      else if (!m && inRange(t.date) && !clearing.has(t.fromAccountId))
        others.push(clearingEntry(t.date ?? '', currency, hundredths(t.amount), `bank transfer "${t.reference}" into the clearing account`, t.reference));
    }
  }
  // Out of a non-bank clearing account: Receive Money into the settlement bank account, and Spend
  // Money back, each with a line coded to the clearing account. They are on the settlement bank
  // account, not the clearing one: looked up by the References of the withdrawals Xendit listed.
  if (nonBank.size && seen.size) {
    const references = [...seen.keys()].flatMap((id) => [withdrawalReference(id), reversalReference(id)]);
    for (const t of await deps.xero.findBankTransactionsByReferences(merchant.xero, references)) {
      const lines = t.lineItems.filter((l) => nonBank.has(l.accountCode));
      const m = t.type === 'RECEIVE' ? WITHDRAWAL_REF.exec(t.reference) : t.type === 'SPEND' ? REVERSAL_REF.exec(t.reference) : null;
      if (!m || !lines.length) continue;
      const clearingId = nonBank.get(lines[0].accountCode)!.accountId;
      const amount = format(lines.reduce((sum, l) => sum + hundredths(l.lineAmount), 0n));
      const side = { bankTransferId: t.bankTransactionId, amount, reference: t.reference, fromIsReconciled: false, ...(t.date ? { date: t.date } : {}) };
      everBooked.add(m[1]);
      if (t.type === 'RECEIVE') {
        if (t.date && t.date > (bookedOn.get(m[1]) ?? '')) bookedOn.set(m[1], t.date);
        if (inRange(t.date)) transfers.set(m[1], [...(transfers.get(m[1]) ?? []), { ...side, fromAccountId: clearingId, toAccountId: t.bankAccountId }]);
      } else if (inRange(t.date)) backs.set(m[1], [...(backs.get(m[1]) ?? []), { ...side, fromAccountId: t.bankAccountId, toAccountId: clearingId }]);
    }
  }
  const nonBankCurrency = new Map([...nonBank.values()].map((a) => [a.accountId, a.currency]));
  const currencyOf = (accountId: string | undefined) => clearing.get(accountId ?? '') ?? nonBankCurrency.get(accountId ?? '');
  const total = (ts: XeroBankTransfer[]) => ts.reduce((s, t) => s + hundredths(t.amount), 0n);
  for (const id of new Set([...withdrawals.keys(), ...transfers.keys(), ...backs.keys()])) {
    const found = transfers.get(id) ?? [];
    const back = backs.get(id) ?? [];
    // Booked on a later day than it left (that day was in a locked period, org-date.ts bookableDate):
    // both sides count on the day it was booked; the month it left shows it, uncounted.
    const early = seen.get(id);
    const movedIn =
      !withdrawals.has(id) && early && !early.back && found.length === 1 && found[0].date && movedByLock(merchant.xeroLockDate, early.out, found[0].date);
    const listed = movedIn ? { ...early, out: found[0].date! } : withdrawals.get(id);
    const later = bookedOn.get(id);
    if (listed && !listed.back && !found.length && later && later > range.to && movedByLock(merchant.xeroLockDate, listed.out, later)) {
      rows.push(
        row(
          listed.out,
          listed.w.currency,
          format(-hundredths(toDecimal(listed.w.amount, listed.w.currency))),
          null,
          'xendit_only',
          `withdrawal ${id} left on ${listed.out}; its bank transfer is dated ${later} in Xero (this period was locked): counted there`,
        ),
      );
      continue;
    }
    // Xendit's side in this range: out on the day it left, back in on the day the bank returned it.
    const size = listed ? hundredths(toDecimal(listed.w.amount, listed.w.currency)) : 0n;
    const xendit = listed ? (inRange(listed.out) ? -size : 0n) + (listed.back && inRange(listed.back) ? size : 0n) : null;
    if (listed?.back && xendit !== 0n && !everBooked.has(id)) {
      // Sent back before the gateway booked it (record-withdrawal then books nothing, in any month):
      // the range holds only one of its two halves. Shown, not counted: over both it nets to nothing.
      rows.push(
        row(
          inRange(listed.out) ? listed.out : listed.back,
          listed.w.currency,
          format(xendit!),
          null,
          'xendit_only',
          `withdrawal ${id} left on ${listed.out} and was sent back by the bank on ${listed.back}, before anything was booked: nothing is booked for it`,
        ),
      );
      continue;
    }
    const xero = found.length || back.length ? total(back) - total(found) : xendit === 0n ? 0n : null;
    const currency = listed?.w.currency ?? currencyOf(found[0]?.fromAccountId) ?? currencyOf(back[0]?.toAccountId) ?? '';
    const date = listed ? (inRange(listed.out) ? listed.out : listed.back!) : (found[0]?.date ?? back[0]?.date ?? '');
    sum(currency).xendit += xendit ?? 0n;
    sum(currency).xero += xero ?? 0n;
    const status = xendit === null ? 'missing_at_xendit' : xero === null ? 'missing_in_xero' : xendit === xero ? 'transferred' : 'amount_differs';
    const note =
      xendit === null
        ? `Xendit lists no withdrawal ${id} in this range`
        : listed?.back
          ? `withdrawal ${id} sent back by the bank on ${listed.back} (REVERSED at Xendit); in Xero in this range: ${
              [found.length ? 'the transfer out' : '', back.length ? 'the transfer back' : ''].filter(Boolean).join(' and ') || 'nothing'
            }`
          : xero === null
            ? `withdrawal ${id}: no bank transfer in Xero yet`
            : found.length > 1
              ? `withdrawal ${id}: ${found.length} bank transfers in Xero`
              : movedIn
                ? `withdrawal ${id}, left on ${early!.out}: booked on the first day after Xero's lock date`
                : `withdrawal ${id}`;
    rows.push(
      row(date, currency, xendit === null ? null : format(xendit), xero === null ? null : format(xero), found.length > 1 ? 'amount_differs' : status, note),
    );
  }
  // Pages left unread: a withdrawal among them would be missing on both sides and go unseen.
  rows.push(...unreadRows(range, listed, 'withdrawals', MAX_PAGES * 50));
  return { rows, others, sums };
}

function row(date: string, currency: string, xendit: string | null, xero: string | null, status: ReportRow['status'], note: string): ReportRow {
  return { date, xenditInvoiceId: null, currency, xenditAmount: xendit, xenditFee: null, xeroPayment: xero, xeroFee: null, status, note };
}
