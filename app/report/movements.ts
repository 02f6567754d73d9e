/**
 * Movements of Xendit's balance in the range other than payments, refunds and withdrawals (a payout
 * to a supplier, a transfer, a top-up, …; clients/xendit/movements.ts). The clearing account follows
 * Xendit's balance only when each is booked there too: by the gateway, for a merchant who picked an
 * account for them (record-other-movement.ts, Reference `Xendit movement <id>`), or by the merchant
 * by hand (what it is only they know: a supplier's bill, an owner's top-up), with the Xendit
 * transaction id in its Reference (or a journal's narration). Such an entry is `matched` to its
 * movement; a movement with none is `not_in_xero` and holds the report unreconciled, counted on
 * Xendit's side so the totals show by how much the clearing account is off. Xendit's fee on a
 * movement (a payout's) is counted on Xendit's side as what left the balance, and on Xero's by the
 * gateway's Spend Money of it (movement-fee.ts, Reference `Xendit movement fee <id>`). One Xendit
 * lists REVERSED that the gateway booked is counted with its entry back (movement-reversal.ts,
 * `Xendit movement reversed <id>`, and `Xendit movement fee returned <id>` for a fee given back):
 * on Xendit's side what left on the day it moved and what came back on the day the gateway dated its
 * return by (less a fee Xendit kept), each in the range or not, so one made up to REVERSAL_LOOKBACK_DAYS
 * before it is read too; `not_in_xero` while its book-back is still to be made. Sent back before it
 * was booked, only its fee is counted, where Xero dates its entries, the gateway's or a person's (sentBackFirst).
 */
import { toDecimal, type Currency } from '../money.js';
import { dateIn, zoneFor } from '../jobs/sync/org-date.js';
import {
  format,
  hundredths,
  lockedOutRow,
  movedByLock,
  readPagesPerCurrency,
  unreadRows,
  utcWindow,
  type ClearingEntry,
  type ReportDeps,
  type ReportRow,
} from './rows.js';
import type { XenditAccounts } from './xendit-accounts.js';
import { movementReference } from '../jobs/sync/record-other-movement.js';
import { movementFeeReference } from '../jobs/sync/movement-fee.js';
import { movementFeeReturnReference, movementReversalReference } from '../jobs/sync/movement-reversal.js';
import type { XenditMovement } from '../clients/xendit/types.js';
import type { XeroBankTransaction } from '../clients/xero/types.js';
import type { Merchant, XenditFeeBilling } from '../store/merchants.js';
import type { OtherMovement } from '../store/other-movements.js';

/** Bounds one report's reading per currency (50 a page). */
const MAX_PAGES = 10;
/** How long before a report's range a movement reversed within it may have been made (as transfers.ts reads withdrawals). */
const REVERSAL_LOOKBACK_DAYS = 31;

export interface MovementRows {
  rows: ReportRow[];
  /** The clearing entries that are the merchant's bookings of a movement (no rows of their own). */
  claimed: Set<ClearingEntry>;
  /** Per currency, hundredths. */
  sums: Map<string, { xendit: bigint; xero: bigint }>;
}

export async function otherMovementRows(
  deps: ReportDeps,
  merchant: Pick<Merchant, 'id' | 'xero' | 'xeroLockDate'>,
  /** Each account the report reads is listed with the same bounds. */
  accounts: XenditAccounts,
  range: { from: string; to: string },
  timezone: string | null | undefined,
  /** The currencies of every clearing account, the ones Xendit is asked for. */
  currencies: Currency[],
  /** Entries on the clearing accounts that are none of the gateway's: a booking of a movement is among them. */
  entries: ClearingEntry[],
  /** How Xendit charged its fees at a moment: billed monthly, a movement's fee left no balance. */
  billingAt: (at: Date) => XenditFeeBilling,
  /** Every bank transaction on the clearing bank accounts, at any date (reconcile.ts clearingEntries): a person's booking of a kept fee dated outside the range. */
  anyDate: Iterable<{ currency: string; transactions: XeroBankTransaction[] }> = [],
): Promise<MovementRows> {
  const perKey = await accounts.each('balance movements', (key) =>
    readPagesPerCurrency(
      currencies,
      async (currency, afterId) => {
        const got = await deps.xendit.listOtherMovements(key.key, { ...utcWindow(range, REVERSAL_LOOKBACK_DAYS), currency, limit: 50, afterId });
        return { ...got, items: got.movements };
      },
      MAX_PAGES,
    ),
  );
  const rows: ReportRow[] = [];
  const claimed = new Set<ClearingEntry>();
  const sums: MovementRows['sums'] = new Map();
  const listed = perKey.flatMap(({ key, value }) => value.items.map((item) => ({ key, value: item })));
  // The gateway's rows of those reversed: the day each was dated back by, and what is still to be booked.
  const reversedIds = [...new Set(listed.filter(({ value }) => value.status === 'REVERSED').map(({ value }) => value.id))];
  const stored = deps.stores?.otherMovements ? await deps.stores.otherMovements.byXenditIds(merchant.id, reversedIds) : undefined;
  const feeDays = await feeEntryDays(
    deps,
    merchant.xero,
    listed.filter(({ value }) => value.status === 'REVERSED' && value.fee).map(({ value }) => value.id),
  );
  const bookings: Booked = { entries, anyDate: [...anyDate], lock: merchant.xeroLockDate };
  for (const { key, value: m } of listed) {
    if (m.status === 'REVERSED') {
      const made = reversedRow(m, range, timezone, bookings, claimed, billingAt, stored && { row: stored.get(m.id) }, feeDays);
      if (!made) continue;
      const sum = sums.get(m.currency) ?? sums.set(m.currency, { xendit: 0n, xero: 0n }).get(m.currency)!;
      sum.xendit += made.xendit;
      sum.xero += made.xero;
      rows.push(...made.rows.map((row) => ({ ...row, xenditMode: key.mode })));
      continue;
    }
    const date = dateIn(new Date(m.created), zoneFor(timezone, m.currency));
    if (date < range.from || date > range.to) continue;
    const fee = feeTaken(m, billingAt);
    const xendit = hundredths(toDecimal(m.amount - fee, m.currency));
    const way = m.amount < 0 ? 'out of' : 'into';
    // The gateway's Spend Money of its fee, counted with it.
    const fees = entries.filter((e) => !claimed.has(e) && e.row.currency === m.currency && e.reference === movementFeeReference(m.id));
    const feeBooked = fees.reduce((s, e) => s + e.signed, 0n);
    // The merchant's booking names the id; the same currency and way, first the one that with the fee is the amount.
    const named = entries.filter(
      (e) => !claimed.has(e) && !fees.includes(e) && e.row.currency === m.currency && e.reference.includes(m.id) && e.signed < 0n === xendit < 0n,
    );
    const booked = named.find((e) => e.signed + feeBooked === xendit) ?? named.find((e) => e.signed === xendit) ?? named[0];
    const sum = sums.get(m.currency) ?? sums.set(m.currency, { xendit: 0n, xero: 0n }).get(m.currency)!;
    sum.xendit += xendit;
    const xero = booked || fees.length ? (booked?.signed ?? 0n) + feeBooked : null;
    for (const e of booked ? [booked, ...fees] : fees) claimed.add(e);
    if (xero !== null) sum.xero += xero;
    const charged = fee ? `, with Xendit's fee ${toDecimal(fee, m.currency)}` : '';
    rows.push({
      date,
      xenditInvoiceId: null,
      currency: m.currency,
      xenditAmount: format(xendit),
      xenditFee: null,
      xeroPayment: xero === null ? null : format(xero),
      xeroFee: null,
      status: !booked ? 'not_in_xero' : xero === xendit ? 'matched' : 'amount_differs',
      note: booked
        ? `${m.type} ${m.id} ${way} the Xendit balance${charged}, ${booked.reference === movementReference(m.id) ? 'booked by the gateway' : 'booked by hand'}: ${booked.row.note}`
        : `${m.type} ${m.id} ${way} the Xendit balance${charged} is not in Xero: book it on the clearing account with ${m.id} in its Reference`,
      xenditMode: key.mode,
    });
  }
  const unread = perKey.flatMap(({ key, value }) => unreadRows(range, value, 'balance movements', MAX_PAGES * 50, key.mode));
  return { rows: [...rows, ...unread], claimed, sums };
}

/**
 * The first day each of the gateway's fee entries of these reversed movements is dated in Xero, at
 * any date, by Reference (the fee's Spend Money, its Receive Money back): a lock date may have dated
 * one after the day it stands for (org-date.ts bookableDate), and it is counted where Xero has it.
 */
async function feeEntryDays(deps: ReportDeps, xero: Merchant['xero'], ids: string[]): Promise<Map<string, string>> {
  const days = new Map<string, string>();
  if (!ids.length) return days;
  const spent = new Set(ids.map(movementFeeReference));
  const back = new Set(ids.map(movementFeeReturnReference));
  for (const t of await deps.xero.findBankTransactionsByReferences(xero, [...spent, ...back])) {
    const own = (t.type === 'SPEND' && spent.has(t.reference)) || (t.type === 'RECEIVE' && back.has(t.reference));
    if (!own || !t.date || t.status === 'DELETED' || t.status === 'VOIDED') continue;
    if (t.date < (days.get(t.reference) ?? '9999')) days.set(t.reference, t.date);
  }
  return days;
}

type Counted = { rows: ReportRow[]; xendit: bigint; xero: bigint };
/** The clearing entries in the range that are none of the gateway's, the clearing bank accounts' at any date, and the organisation's lock date. */
type Booked = { entries: ClearingEntry[]; anyDate: { currency: string; transactions: XeroBankTransaction[] }[]; lock: string | null };

/**
 * A movement sent back into the balance, with the gateway's entries of it in the range (claimed).
 * Its entry sent to Xero: on Xendit's side what left on the day it moved and what came back on the
 * day the gateway dated its return by (reversed_at, as transfers.ts returnedAt), each in the range or
 * not; none of its entries in the range while what came back is still to be booked back (waiting, or
 * in review): `not_in_xero`. Never sent (sent back first): sentBackFirst. Undefined when nothing of
 * it is in the range, or settled by a person's Retry (its entry voided by them: an entry of theirs
 * shows as the clearing account's own). `stored`: the gateway's row of it (row undefined: it has
 * none); without it (not read), an entry of it in the range says it was booked.
 */
function reversedRow(
  m: XenditMovement,
  range: { from: string; to: string },
  timezone: string | null | undefined,
  booked: Booked,
  claimed: Set<ClearingEntry>,
  billingAt: (at: Date) => XenditFeeBilling,
  stored: { row: OtherMovement | undefined } | undefined,
  feeDays: Map<string, string>,
): Counted | undefined {
  const references = [movementReference(m.id), movementFeeReference(m.id), movementReversalReference(m.id), movementFeeReturnReference(m.id)];
  const mine = booked.entries.filter((e) => !claimed.has(e) && e.row.currency === m.currency && references.includes(e.reference));
  const row = stored?.row;
  const zone = zoneFor(timezone, m.currency);
  const out = dateIn(new Date(m.created), zone);
  const back = dateIn(row?.reversedAt ?? (m.updated && !Number.isNaN(Date.parse(m.updated)) ? new Date(m.updated) : new Date(m.created)), zone);
  const inRange = (d: string | undefined) => d !== undefined && d >= range.from && d <= range.to;
  const fee = feeTaken(m, billingAt);
  const kept = m.fee && !m.feeBack && billingAt(new Date(m.created)) !== 'invoiced' ? m.fee : 0;
  const left = m.amount - fee;
  const sent = stored ? !!(row?.xeroBankTransactionId || row?.attemptAt) : mine.some((e) => e.reference === movementReference(m.id));
  // A fee kept at the reversal and given back later (fee_returned_at): back in the balance that day,
  // or on the first open day after a lock date its entry back was booked on (movedByLock).
  const given = row?.feeReturnedAt && m.feeBack ? dateIn(row.feeReturnedAt, zone) : undefined;
  const backOn = feeDays.get(movementFeeReturnReference(m.id));
  const feeBack = given && (backOn && movedByLock(booked.lock, given, backOn) ? backOn : given);
  const late = feeBack && m.fee && billingAt(new Date(m.created)) !== 'invoiced' ? m.fee : 0;
  // Given back on a day Xero had locked by the time it was booked back: that day shows it, uncounted.
  const lockedBack = late && given && feeBack !== given ? `its entry back dated ${feeBack} in Xero: that day was locked` : '';
  const way = `${m.type} ${m.id} ${m.amount < 0 ? 'out of' : 'into'} the Xendit balance on ${out}, sent back (REVERSED) on ${back}${
    late
      ? `, its fee (${toDecimal(late, m.currency)}) kept then, given back on ${given ?? feeBack}${lockedBack ? ` (${lockedBack}${inRange(feeBack) ? '' : ', counted there'})` : ''}`
      : ''
  }`;
  if (!sent) return sentBackFirst(m, { out, back, way, kept, left, inRange, feeBack }, mine, booked, claimed, billingAt, feeDays);
  const xendit = hundredths(toDecimal((inRange(out) ? left : 0) + (inRange(back) ? -left - kept - late : 0) + (inRange(feeBack) ? late : 0), m.currency));
  if (lockedBack && !mine.length && xendit === 0n && inRange(given) && !inRange(feeBack)) {
    const what = `${m.type} ${m.id}: its fee (${toDecimal(late, m.currency)}) kept at the reversal on ${back}, given back on ${given}`;
    return { xendit: 0n, xero: 0n, rows: [lockedOutRow(given!, null, m.currency, hundredths(toDecimal(late, m.currency)), what, feeBack!)] };
  }
  // Settled by a person's Retry, its entry voided by them: nothing left to book back.
  const settled = row?.reversedAt && row.state === 'recorded' && !row.xeroReversalEntryId;
  if (!mine.length && (!stored || settled || xendit === 0n)) return undefined;
  const keptNote = kept ? `, Xendit kept its fee ${toDecimal(kept, m.currency)}` : '';
  const note = mine.length
    ? `${way}${keptNote}; booked by the gateway and booked back`
    : `${way}${keptNote}; not booked back in Xero yet: the gateway books it back (or it waits in review)`;
  for (const e of mine) claimed.add(e);
  const xero = mine.length ? mine.reduce((s, e) => s + e.signed, 0n) : null;
  const date = [out, back, feeBack].find(inRange) ?? mine[0]?.row.date ?? out;
  return { xendit, xero: xero ?? 0n, rows: [countedRow(m.currency, date, xendit, xero, note)] };
}

/**
 * Sent back before it was booked: only Xendit's fee on it is booked (movement-reversal.ts,
 * movement-fee.ts), and that only while Xendit keeps it (given back after it was booked, it is booked
 * back). The fee counts in the range holding the day its entry is dated in Xero (the day it moved, or
 * the first open day after a lock date), on both sides; one kept and not booked yet, in the range it
 * moved in (`not_in_xero`); its entry back, in the range holding that entry's day (not booked back
 * yet, the day it came back). A kept fee a person booked by hand (the movement's id in its Reference)
 * is its entry, as any movement's (otherMovementRows), found at any date: dated the day it moved, or
 * after a lock date that holds that day (movedByLock), it counts as the gateway's would; dated on
 * another day, it is a timing difference (handTiming). The rest, what left and came back besides that
 * fee, nothing in Xero follows: a range holding only one of the two days counts it on Xendit's side
 * (`not_in_xero`: the balances do differ by it there), and one holding both nets it to nothing.
 */
function sentBackFirst(
  m: XenditMovement,
  at: { out: string; back: string; way: string; kept: number; left: number; inRange: (d: string | undefined) => boolean; feeBack?: string | undefined },
  gateway: ClearingEntry[],
  booked: Booked,
  claimed: Set<ClearingEntry>,
  billingAt: (at: Date) => XenditFeeBilling,
  feeDays: Map<string, string>,
): Counted | undefined {
  const { out, back, way, kept, left, inRange } = at;
  const charged = m.fee && billingAt(new Date(m.created)) !== 'invoiced' ? m.fee : 0;
  const feeOn = feeDays.get(movementFeeReference(m.id));
  const hand = kept && !feeOn && !gateway.length ? handBooking(m, hundredths(toDecimal(-kept, m.currency)), booked, claimed, inRange) : undefined;
  // Booked by a person on another day than the fee left Xendit's balance, for no lock date's reason.
  const timing = !!hand && hand.date !== out && !movedByLock(booked.lock, out, hand.date);
  const mine = hand ? (hand.entry ? [hand.entry] : []) : gateway;
  // The day Xendit's side of the fee counts on: where Xero dates it, unless a timing difference.
  const outOn = feeOn ?? (hand && !timing ? hand.date : undefined) ?? (kept ? out : undefined);
  // Not booked back yet: the day Xendit gave it back (fee_returned_at), else the day it came back.
  const backOn = m.feeBack && feeOn ? (feeDays.get(movementFeeReturnReference(m.id)) ?? at.feeBack ?? back) : undefined;
  const feeSide = (outOn && inRange(outOn) ? -charged : 0) + (backOn && inRange(backOn) ? charged : 0);
  // What Xendit's balance did in the range besides the fee counted above (by its own days).
  const real = (inRange(out) ? left : 0) + (inRange(back) ? -left - kept : 0);
  const half = hundredths(toDecimal(real + (outOn && inRange(out) ? charged : 0) - (backOn && inRange(back) ? charged : 0), m.currency));
  const rows: ReportRow[] = [];
  let xendit = 0n;
  let xero = 0n;
  if (inRange(outOn) || inRange(backOn) || mine.length) {
    xendit = hundredths(toDecimal(feeSide, m.currency));
    const inXero = mine.length ? mine.reduce((s, e) => s + e.signed, 0n) : null;
    xero = inXero ?? 0n;
    for (const e of mine) claimed.add(e);
    const by = hand ? `booked by hand: ${hand.note}` : mine.length ? 'booked by the gateway' : 'not in Xero yet: the gateway books it (or book it by hand)';
    const note = kept
      ? `${way}, before it was booked: the fee Xendit kept (${toDecimal(kept, m.currency)}) is all it took from the balance, ${by}`
      : `${way}, before it was booked: its fee (${toDecimal(charged, m.currency)}) booked, then given back`;
    const date = [outOn, backOn, out, back].find(inRange) ?? mine[0]?.row.date ?? out;
    rows.push(
      timing && !(inRange(out) && inRange(hand!.date))
        ? handTiming(
            m.currency,
            date,
            { out, on: hand!.date, kept: format(hundredths(toDecimal(-kept, m.currency))) },
            inXero,
            `${way}, before it was booked`,
            hand!.note,
          )
        : countedRow(m.currency, date, xendit, inXero, note),
    );
  }
  if (half) {
    const where = !charged
      ? ''
      : outOn && !inRange(outOn)
        ? `: its fee (${toDecimal(charged, m.currency)}) is counted in the period that holds ${outOn}`
        : outOn
          ? `: its fee (${toDecimal(charged, m.currency)}) is counted on its own row`
          : '';
    rows.push({
      date: [out, back].find(inRange) ?? out,
      xenditInvoiceId: null,
      currency: m.currency,
      xenditAmount: format(half),
      xenditFee: null,
      xeroPayment: null,
      xeroFee: null,
      status: 'not_in_xero',
      note: `${way}, before it was booked: nothing is booked for what left and came back, so Xendit's balance differs from the clearing account by it until ${inRange(out) ? back : 'then'}${where}`,
    });
    xendit += half;
  }
  return rows.length ? { rows, xendit, xero } : undefined;
}

/**
 * A person's booking of the kept fee, found on the clearing account in the range or at any date (the
 * movement's id in its Reference, money out; first the one of the fee's amount): its day, and its
 * entry when in the range (claimed as the movement's, not shown as the clearing account's own).
 */
function handBooking(
  m: XenditMovement,
  keptH: bigint,
  booked: Booked,
  claimed: Set<ClearingEntry>,
  inRange: (d: string | undefined) => boolean,
): { entry?: ClearingEntry; date: string; note: string } | undefined {
  const here = booked.entries.filter((e) => !claimed.has(e) && e.row.currency === m.currency && e.reference.includes(m.id) && e.signed < 0n);
  const entry = here.find((e) => e.signed === keptH) ?? here[0];
  if (entry) return { entry, date: entry.row.date, note: entry.row.note };
  const gateway = [movementReference(m.id), movementFeeReference(m.id), movementReversalReference(m.id), movementFeeReturnReference(m.id)];
  const elsewhere = booked.anyDate
    .filter((a) => a.currency === m.currency)
    .flatMap((a) => a.transactions)
    .filter((t) => t.type === 'SPEND' && t.date && !inRange(t.date) && t.reference.includes(m.id) && !gateway.includes(t.reference))
    .filter((t) => t.status !== 'DELETED' && t.status !== 'VOIDED');
  const t = elsewhere.find((x) => -hundredths(x.total) === keptH) ?? elsewhere[0];
  return t && { date: t.date!, note: `${t.type} "${t.reference}" on the clearing account` };
}

/**
 * A kept fee a person booked on another day than it left Xendit's balance, in a range holding one of
 * the two days: each side counted in the range of its own day (a genuine timing difference: the
 * balances do differ by it until the booking), shown once in each, never counted twice.
 */
function handTiming(
  currency: string,
  date: string,
  fee: { out: string; on: string; kept: string },
  inXero: bigint | null,
  what: string,
  entry: string,
): ReportRow {
  const note =
    inXero === null
      ? `${what}: the fee Xendit kept (${fee.kept}) left Xendit's balance here; booked in Xero on ${fee.on} (${entry}): counted on Xero's side in the period that holds ${fee.on}`
      : `${what}: the fee Xendit kept (${fee.kept}) left Xendit's balance on ${fee.out}, counted on Xendit's side in the period that holds it; booked by hand here: ${entry}`;
  return {
    date: inXero === null ? fee.out : date,
    xenditInvoiceId: null,
    currency,
    xenditAmount: inXero === null ? fee.kept : null,
    xenditFee: null,
    xeroPayment: inXero === null ? null : format(inXero),
    xeroFee: null,
    status: 'timing',
    note,
  };
}

function countedRow(currency: string, date: string, xendit: bigint, xero: bigint | null, note: string): ReportRow {
  return {
    date,
    xenditInvoiceId: null,
    currency,
    xenditAmount: format(xendit),
    xenditFee: null,
    xeroPayment: xero === null ? null : format(xero),
    xeroFee: null,
    status: xero === null ? 'not_in_xero' : xendit === xero ? 'matched' : 'amount_differs',
    note,
  };
}

/** What the movement's fee took from Xendit's balance besides its amount (minor units): none billed monthly, none inside money out's amount. */
function feeTaken(m: XenditMovement, billingAt: (at: Date) => XenditFeeBilling): number {
  if (!m.fee || m.feeInAmount || billingAt(new Date(m.created)) === 'invoiced') return 0;
  return m.fee;
}
