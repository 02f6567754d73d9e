/**
 * The reconciliation report's settlement rows: each withdrawal Xendit made from the merchant's
 * balance to their bank in the range, next to the Bank Transfer out of the clearing account that
 * the gateway recorded for it (Reference `Xendit withdrawal <transaction id>`) or, out of a
 * clearing account that is not a bank account, the Receive Money into the settlement bank account
 * coded to it: transferred when both agree, missing on the side that lacks it. Other transfers out
 * of a clearing account are the merchant's own (not from Xendit). Each account the report reads
 * (xendit-accounts.ts) is listed with the same bounds.
 */
import type { XenditWithdrawal } from '../clients/xendit/types.js';
import type { XeroBankTransaction, XeroBankTransfer, XeroManualJournal } from '../clients/xero/types.js';
import type { Merchant, XenditFeeBilling } from '../store/merchants.js';
import { toDecimal, type Currency } from '../money.js';
import { dateIn, zoneFor } from '../jobs/sync/org-date.js';
import { reversalReference, withdrawalReference } from '../jobs/sync/record-withdrawal.js';
import { withdrawalFeeReference, withdrawalFeeReturnReference } from '../jobs/sync/withdrawal-fee.js';
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
import { refusedByRow, type ReportKey, type XenditAccounts } from './xendit-accounts.js';
import { balanceDrop, feeKept, keptFeeRows, row, unbookedRow } from './withdrawal-halves.js';

const WITHDRAWAL_REF = /^Xendit withdrawal (\S+)$/;
const REVERSAL_REF = /^Xendit withdrawal reversed (\S+)$/;
const FEE_REF = /^Xendit withdrawal fee (\S+)$/;
const FEE_BACK_REF = /^Xendit withdrawal fee returned (\S+)$/;
/** The Spend Money of a withdrawal's fee, or the Receive Money of it given back: counted with its withdrawal here, not as another entry (reconcile.ts). */
export const isWithdrawalFee = (t: { type: string; reference: string }) =>
  (t.type === 'SPEND' && FEE_REF.test(t.reference)) || (t.type === 'RECEIVE' && FEE_BACK_REF.test(t.reference));
/** The manual journal of a withdrawal's fee, or of it given back, on a non-bank clearing account (withdrawal-fee.ts): the same. */
export const isWithdrawalFeeJournal = (narration: string) => FEE_REF.test(narration) || FEE_BACK_REF.test(narration);
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
  nonBank: Map<string, { accountId: string; currency: string }>,
  /** The Xendit accounts read. */
  accounts: XenditAccounts,
  /** The merchant's fee billing on a day (fee-bills.ts billingAt): a withdrawal is sized by its own day's. */
  billingAt: (at: Date) => XenditFeeBilling,
  /** The manual journals read (reconcile.ts; none without a non-bank clearing account). */
  journals: XeroManualJournal[] = [],
  /** The clearing accounts' bank transactions in the range: a withdrawal's fee among them names it (isWithdrawalFee). */
  entries: Pick<XeroBankTransaction, 'type' | 'reference'>[] = [],
): Promise<TransferRows> {
  const inRange = (date: string | undefined) => date !== undefined && date >= range.from && date <= range.to;
  const perKey = await accounts.each('withdrawals', async (key) => {
    // One made before the range may have come back within it: asked from REVERSAL_LOOKBACK_DAYS earlier.
    const made = await readPagesPerCurrency(
      currencies,
      async (currency, afterId) => {
        const got = await deps.xendit.listWithdrawals(key.key, { ...utcWindow(range, REVERSAL_LOOKBACK_DAYS), currency, limit: 50, afterId });
        return { ...got, items: got.withdrawals };
      },
      MAX_PAGES,
    );
    // And one made longer ago still, sent back since the range began: asked by when it came back, as
    // the listing job does (list-withdrawals.ts), whenever it was made.
    const sentBack = await readPagesPerCurrency(
      currencies,
      async (currency, afterId) => {
        const got = await deps.xendit.listWithdrawals(key.key, { currency, limit: 50, afterId, reversedAfter: utcWindow(range, 0).createdAfter });
        return { ...got, items: got.withdrawals };
      },
      MAX_PAGES,
    );
    return {
      items: [...made.items, ...sentBack.items],
      complete: made.complete && sentBack.complete,
      refused: [...made.refused, ...sentBack.refused.filter((r) => !made.refused.some((m) => m.currency === r.currency))],
    };
  });
  for (const { key, value } of perKey) for (const w of value.items) accounts.seen(w.id, key);
  const listed = { items: perKey.flatMap((p) => p.value.items) };
  // The day the gateway dated each return by (reversed_at), so that the report dates it the same way.
  const reversedIds = [...new Set(listed.items.filter((w) => w.status === 'REVERSED').map((w) => w.id))];
  const storedBack = deps.stores?.settlements
    ? await deps.stores.settlements.reversedAtOf(merchant.id, reversedIds)
    : new Map<string, { at: Date; feeBackAt: Date | null }>();
  // Every withdrawal read, with the local dates it left the balance and, sent back by the bank, came
  // back (and a fee Xendit kept then gave back later, `feeBack`: fee_returned_at, as its return was
  // dated); also those outside the range: one whose transfer was dated later (its day was locked).
  const seen = new Map<string, { w: XenditWithdrawal; out: string; back?: string; feeBack?: string }>();
  const see = (w: XenditWithdrawal) => {
    const zone = zoneFor(timezone, w.currency);
    const out = dateIn(new Date(w.created), zone);
    const stored = storedBack.get(w.id);
    const back = w.status === 'REVERSED' ? dateIn(returnedAt(w, stored?.at), zone) : undefined;
    const feeBack = back && w.feeBack && stored?.feeBackAt ? dateIn(stored.feeBackAt, zone) : undefined;
    seen.set(w.id, { w, out, ...(back ? { back } : {}), ...(feeBack ? { feeBack } : {}) });
  };
  for (const w of listed.items) see(w);
  const transfers = new Map<string, XeroBankTransfer[]>();
  // Withdrawals with any transfer in Xero, whatever its date, and the first day each side was booked on.
  const everBooked = new Set<string>();
  const bookedOn = new Map<string, string>();
  const backOn = new Map<string, string>();
  const first = (on: Map<string, string>, id: string, date: string | undefined) => {
    if (date && date < (on.get(id) ?? '9999')) on.set(id, date);
  };
  const rows: ReportRow[] = [];
  const others: ClearingEntry[] = [];
  const sums: TransferRows['sums'] = new Map();
  const sum = (currency: string) => sums.get(currency) ?? sums.set(currency, { xendit: 0n, xero: 0n, other: 0n }).get(currency)!;
  for (const [accountId, currency] of clearing) {
    for (const t of await deps.xero.listBankTransfersFrom(merchant.xero, accountId)) {
      const m = WITHDRAWAL_REF.exec(t.reference);
      if (m) everBooked.add(m[1]);
      if (m) first(bookedOn, m[1], t.date);
      if (!inRange(t.date)) continue;
      if (m) transfers.set(m[1], [...(transfers.get(m[1]) ?? []), t]);
      // Money moved from one clearing account to another of its currency (an old one emptied into
      // today's, say) stays in the clearing accounts: neither side is a movement.
      else if (clearing.get(t.toAccountId) === currency) continue;
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
      if (m) first(backOn, m[1], t.date);
      if (m && inRange(t.date)) backs.set(m[1], [...(backs.get(m[1]) ?? []), t]);
      // Money the merchant moved in (a top-up at Xendit booked by hand, say); one out of another
      // clearing account is already its other side (or, of the same currency, no movement).
      else if (!m && inRange(t.date) && !clearing.has(t.fromAccountId))
        others.push(clearingEntry(t.date ?? '', currency, hundredths(t.amount), `bank transfer "${t.reference}" into the clearing account`, t.reference));
    }
  }
  // A transfer in the range of a withdrawal no listing returned: made before the weeks read and
  // booked later (its days were locked, or it waited for a settlement account). Read by the id in
  // its Reference, one at a time (there are few).
  // Each account asked in turn; one Xendit refused may hold it (not missing: unknown).
  // So is one whose fee alone is booked in the range (sent back before it was booked, that fee's days locked since).
  const named = [...entries.filter(isWithdrawalFee).map((t) => t.reference), ...journals.filter((j) => inRange(j.date)).map((j) => j.narration)];
  const feeIds = named.map((r) => (FEE_REF.exec(r) ?? FEE_BACK_REF.exec(r))?.[1]).filter((id): id is string => !!id);
  const refusedFor = new Map<string, ReportKey[]>();
  for (const id of new Set([...transfers.keys(), ...backs.keys(), ...feeIds])) {
    if (seen.has(id)) continue;
    const found = await accounts.find('withdrawals', (key) => deps.xendit.getWithdrawal(key, id));
    if (found.value) accounts.seen(id, found.key);
    else if (found.refused.length) refusedFor.set(id, found.refused);
    if (found.value && currencies.includes(found.value.currency)) see(found.value);
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
        first(bookedOn, m[1], t.date);
        if (inRange(t.date)) transfers.set(m[1], [...(transfers.get(m[1]) ?? []), { ...side, fromAccountId: clearingId, toAccountId: t.bankAccountId }]);
      } else first(backOn, m[1], t.date);
      if (t.type === 'SPEND' && inRange(t.date))
        backs.set(m[1], [...(backs.get(m[1]) ?? []), { ...side, fromAccountId: t.bankAccountId, toAccountId: clearingId }]);
    }
  }
  // Xendit's fee on a withdrawal, booked out of the clearing account (withdrawal-fee.ts): with it,
  // the transfer (what reached the bank) adds up to what left Xendit's balance. Sent back with its
  // fee given back, the fee's Receive Money back into it (negative here) nets it out again.
  const fees = new Map<string, bigint>();
  // The first day a fee is booked on, at any date: where one Xendit kept is counted (keptFeeRow).
  const feeOn = new Map<string, string>();
  // And the first day one given back since is booked back on (keptFeeRows).
  const feeBackOn = new Map<string, string>();
  const charged = [...seen.values()].filter((x) => (x.w.fee || x.w.feeBack) && billingAt(new Date(x.w.created)) !== 'invoiced');
  if (charged.length)
    for (const t of await deps.xero.findBankTransactionsByReferences(
      merchant.xero,
      charged.flatMap((x) => [withdrawalFeeReference(x.w.id), ...(x.w.feeBack ? [withdrawalFeeReturnReference(x.w.id)] : [])]),
    )) {
      const m = t.type === 'SPEND' ? FEE_REF.exec(t.reference) : t.type === 'RECEIVE' ? FEE_BACK_REF.exec(t.reference) : null;
      const sign = t.type === 'SPEND' ? 1n : -1n;
      if (m && t.status !== 'DELETED') first(t.type === 'SPEND' ? feeOn : feeBackOn, m[1], t.date);
      if (m && inRange(t.date) && t.status !== 'DELETED') fees.set(m[1], (fees.get(m[1]) ?? 0n) + sign * hundredths(t.total));
    }
  // On a non-bank clearing account, a fee learnt after its Receive Money (one booked with it is in its
  // clearing line above) and a fee given back are manual journals: what each moved on that account.
  for (const j of journals) {
    const m = FEE_REF.exec(j.narration) ?? FEE_BACK_REF.exec(j.narration);
    const moved = j.lines.filter((l) => nonBank.has(l.accountCode)).reduce((sum, l) => sum + hundredths(l.amount), 0n);
    if (m && FEE_REF.test(j.narration) && moved < 0n) first(feeOn, m[1], j.date);
    if (m && FEE_BACK_REF.test(j.narration) && moved > 0n) first(feeBackOn, m[1], j.date);
    if (m && inRange(j.date)) fees.set(m[1], (fees.get(m[1]) ?? 0n) - moved);
  }
  const nonBankCurrency = new Map([...nonBank.values()].map((a) => [a.accountId, a.currency]));
  const currencyOf = (accountId: string | undefined) => clearing.get(accountId ?? '') ?? nonBankCurrency.get(accountId ?? '');
  const total = (ts: XeroBankTransfer[]) => ts.reduce((s, t) => s + hundredths(t.amount), 0n);
  const lock = merchant.xeroLockDate;
  // A side booked on a later day than it happened (that day was in a locked period, org-date.ts
  // bookableDate) counts on the day it was booked; the range it happened in shows it, uncounted.
  const movedTo = (happened: string, booked: string | undefined) => (booked && movedByLock(lock, happened, booked) ? booked : happened);
  const ids = new Set([...transfers.keys(), ...backs.keys()]);
  for (const [id, x] of seen)
    if (
      inRange(x.out) ||
      inRange(x.back) ||
      inRange(x.feeBack) ||
      (x.feeBack && inRange(movedTo(x.feeBack, feeBackOn.get(id)))) ||
      (x.back && !everBooked.has(id) && fees.has(id))
    )
      ids.add(id);
  for (const id of ids) {
    const found = transfers.get(id) ?? [];
    const back = backs.get(id) ?? [];
    const x = seen.get(id);
    const out = x && movedTo(x.out, bookedOn.get(id));
    const returned = x?.back && movedTo(x.back, backOn.get(id));
    // A fee kept at the reversal and given back later: Xendit's balance took it back that day, or the
    // first open day after a lock date its return was booked on.
    const feeReturned = x?.feeBack && movedTo(x.feeBack, feeBackOn.get(id));
    const listed =
      x && (inRange(out) || inRange(returned) || inRange(feeReturned)) ? { w: x.w, out: out!, ...(returned ? { back: returned } : {}) } : undefined;
    // What happened in the range and is counted on another range's day it was booked on.
    const elsewhere = [
      x && inRange(x.out) && !inRange(out) ? `left on ${x.out}; its bank transfer is dated ${out} in Xero` : '',
      x?.back && inRange(x.back) && !inRange(returned) ? `came back on ${x.back}; its transfer back is dated ${returned} in Xero` : '',
      x?.feeBack && inRange(x.feeBack) && !inRange(feeReturned) ? `its fee's entry back (given back on ${x.feeBack}) is dated ${feeReturned} in Xero` : '',
    ].filter(Boolean);
    const account = x ? accounts.keyOf(id) : undefined;
    // Sent back before the gateway booked it, its fee kept: record-withdrawal books that fee alone.
    const keptOnly = x?.back && !everBooked.has(id) ? hundredths(toDecimal(feeKept(billingAt, x.w), x.w.currency)) : 0n;
    // Or that fee booked alone, then given back: booked back too (its two halves, keptFeeRows).
    const givenBack = x?.back && !everBooked.has(id) && x.w.feeBack && x.w.fee && feeOn.has(id) ? { on: feeBackOn.get(id), at: x.feeBack } : undefined;
    if (x?.back && (keptOnly || givenBack)) {
      const size = hundredths(toDecimal(balanceDrop(billingAt, x.w), x.w.currency));
      const charged = keptOnly || hundredths(toDecimal(x.w.fee ?? 0, x.w.currency));
      const w = { id, out: x.out, back: x.back, currency: x.w.currency, size, kept: charged };
      const made = keptFeeRows(account, w, fees.get(id), feeOn.get(id), inRange, givenBack);
      rows.push(...made.rows);
      sum(x.w.currency).xendit += made.xendit;
      sum(x.w.currency).xero += made.xero;
      continue;
    }
    if (x && !listed && elsewhere.length) {
      const size = hundredths(toDecimal(x.w.amount, x.w.currency));
      const feeBack = inRange(x.feeBack) ? hundredths(toDecimal(feeKept(billingAt, { ...x.w, feeBack: false }), x.w.currency)) : 0n;
      const amount = (inRange(x.out) ? -size : 0n) + (x.back && inRange(x.back) ? size : 0n) + feeBack;
      rows.push(
        row(
          account,
          [x.out, x.back, x.feeBack].find(inRange)!,
          x.w.currency,
          format(amount),
          null,
          'xendit_only',
          `withdrawal ${id} ${elsewhere.join(' and ')} (this period was locked): counted there`,
        ),
      );
      continue;
    }
    const moved = [
      listed && out !== x!.out && inRange(out) ? `left on ${x!.out}, booked on ${out}` : '',
      listed && returned !== x!.back && inRange(returned) ? `came back on ${x!.back}, booked on ${returned}` : '',
      listed && feeReturned !== x!.feeBack && inRange(feeReturned) ? `its fee given back on ${x!.feeBack}, booked back on ${feeReturned}` : '',
    ].filter(Boolean);
    // Xendit's side in this range: out on the day it left, back in on the day the bank returned it
    // (less a fee Xendit kept: payoutFee in clients/xendit/payout-fee.ts reads which).
    const size = listed ? hundredths(toDecimal(balanceDrop(billingAt, listed.w), listed.w.currency)) : 0n;
    const kept = listed ? hundredths(toDecimal(feeKept(billingAt, listed.w), listed.w.currency)) : 0n;
    const late = listed && feeReturned ? hundredths(toDecimal(feeKept(billingAt, { ...listed.w, feeBack: false }), listed.w.currency)) : 0n;
    const xendit = listed
      ? (inRange(listed.out) ? -size : 0n) + (listed.back && inRange(listed.back) ? size - kept - late : 0n) + (inRange(feeReturned) ? late : 0n)
      : null;
    if (listed?.back && xendit !== 0n && !everBooked.has(id) && !fees.has(id)) {
      // Sent back before the gateway booked it, no fee kept: the range holds only one of its two days.
      rows.push(unbookedRow(account, { id, out: x!.out, back: x!.back!, currency: listed.w.currency }, xendit!, inRange));
      sum(listed.w.currency).xendit += xendit!;
      continue;
    }
    const xero = found.length || back.length || fees.has(id) ? total(back) - total(found) - (fees.get(id) ?? 0n) : xendit === 0n ? 0n : null;
    const currency = listed?.w.currency ?? currencyOf(found[0]?.fromAccountId) ?? currencyOf(back[0]?.toAccountId) ?? '';
    const date = listed ? [listed.out, listed.back, feeReturned].find(inRange)! : (found[0]?.date ?? back[0]?.date ?? '');
    sum(currency).xendit += xendit ?? 0n;
    sum(currency).xero += xero ?? 0n;
    const status = xendit === null ? 'missing_at_xendit' : xero === null ? 'missing_in_xero' : xendit === xero ? 'transferred' : 'amount_differs';
    const note =
      xendit === null
        ? `Xendit lists no withdrawal ${id} in this range`
        : listed?.back
          ? `withdrawal ${id} sent back by the bank on ${x!.back} (REVERSED at Xendit); in Xero in this range: ${
              [found.length ? 'the transfer out' : '', back.length ? 'the transfer back' : ''].filter(Boolean).join(' and ') || 'nothing'
            }${late ? `; its fee (${format(late)}), kept then, given back on ${x!.feeBack}${inRange(feeReturned) || inRange(x!.feeBack) ? '' : ': counted there'}` : ''}${lockNote(moved, elsewhere)}`
          : xero === null
            ? `withdrawal ${id}: no bank transfer in Xero yet`
            : found.length > 1
              ? `withdrawal ${id}: ${found.length} bank transfers in Xero`
              : moved.length
                ? `withdrawal ${id}, ${moved.join(', ')}: on the first day after Xero's lock date`
                : `withdrawal ${id}`;
    const made = row(
      account,
      date,
      currency,
      xendit === null ? null : format(xendit),
      xero === null ? null : format(xero),
      found.length > 1 ? 'amount_differs' : status,
      note,
    );
    const refused = xendit === null ? refusedFor.get(id) : undefined;
    rows.push(refused ? refusedByRow(made, refused) : made);
  }
  // Pages left unread: a withdrawal among them would be missing on both sides and go unseen.
  for (const { key, value } of perKey) rows.push(...unreadRows(range, value, 'withdrawals', MAX_PAGES * 50, key.mode));
  return { rows, others, sums };
}

/** The sides of a withdrawal booked after a lock date: where each counts. */
function lockNote(moved: string[], elsewhere: string[]): string {
  return [
    moved.length ? `; ${moved.join(', ')} (the first day after Xero's lock date)` : '',
    elsewhere.length ? `; ${elsewhere.join(' and ')} (this period was locked): counted there` : '',
  ].join('');
}

/**
 * When the bank sent it back: the day the gateway dated its return by (reversed_at, once the listing
 * saw it REVERSED), else Xendit's `updated` as the listing would, else (Xendit sent neither yet)
 * when it was made.
 */
function returnedAt(w: XenditWithdrawal, stored: Date | undefined): Date {
  if (stored) return stored;
  if (w.updated && !Number.isNaN(Date.parse(w.updated))) return new Date(w.updated);
  return new Date(w.created);
}
