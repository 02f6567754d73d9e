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
 * on Xendit's side what left on the day it moved and what came back on the day it was reversed (less
 * a fee Xendit kept), each in the range or not, so one made up to REVERSAL_LOOKBACK_DAYS before it is read too.
 */
import { toDecimal, type Currency } from '../money.js';
import { dateIn, zoneFor } from '../jobs/sync/org-date.js';
import { format, hundredths, readPagesPerCurrency, unreadRows, utcWindow, type ClearingEntry, type ReportDeps, type ReportRow } from './rows.js';
import type { XenditAccounts } from './xendit-accounts.js';
import { movementReference } from '../jobs/sync/record-other-movement.js';
import { movementFeeReference } from '../jobs/sync/movement-fee.js';
import { movementFeeReturnReference, movementReversalReference } from '../jobs/sync/movement-reversal.js';
import type { XenditMovement } from '../clients/xendit/types.js';
import type { XenditFeeBilling } from '../store/merchants.js';

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
  for (const { key, value: m } of perKey.flatMap(({ key, value }) => value.items.map((item) => ({ key, value: item })))) {
    if (m.status === 'REVERSED') {
      const row = reversedRow(m, range, timezone, entries, claimed, billingAt);
      if (!row) continue;
      const sum = sums.get(m.currency) ?? sums.set(m.currency, { xendit: 0n, xero: 0n }).get(m.currency)!;
      sum.xendit += row.xendit;
      sum.xero += row.xero;
      rows.push({ ...row.row, xenditMode: key.mode });
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
 * A movement sent back into the balance, with the gateway's entries of it in the range (claimed):
 * both sides, or undefined when none of its entries is in the range (booked by none, or voided by a
 * person: as before, nothing of it is counted; an entry of theirs shows as the clearing account's own).
 */
function reversedRow(
  m: XenditMovement,
  range: { from: string; to: string },
  timezone: string | null | undefined,
  entries: ClearingEntry[],
  claimed: Set<ClearingEntry>,
  billingAt: (at: Date) => XenditFeeBilling,
): { row: ReportRow; xendit: bigint; xero: bigint } | undefined {
  const references = [movementReference(m.id), movementFeeReference(m.id), movementReversalReference(m.id), movementFeeReturnReference(m.id)];
  const mine = entries.filter((e) => !claimed.has(e) && e.row.currency === m.currency && references.includes(e.reference));
  if (!mine.length) return undefined;
  for (const e of mine) claimed.add(e);
  const zone = zoneFor(timezone, m.currency);
  const out = dateIn(new Date(m.created), zone);
  // The day the listing dated it back by (list-other-movements.ts: Xendit's `updated`).
  const back = dateIn(m.updated && !Number.isNaN(Date.parse(m.updated)) ? new Date(m.updated) : new Date(m.created), zone);
  const inRange = (d: string) => d >= range.from && d <= range.to;
  const fee = feeTaken(m, billingAt);
  const kept = m.fee && !m.feeBack && billingAt(new Date(m.created)) !== 'invoiced' ? m.fee : 0;
  const left = m.amount - fee;
  const xendit = hundredths(toDecimal((inRange(out) ? left : 0) + (inRange(back) ? -left - kept : 0), m.currency));
  const xero = mine.reduce((s, e) => s + e.signed, 0n);
  const keptNote = kept ? `, Xendit kept its fee ${toDecimal(kept, m.currency)}` : '';
  return {
    xendit,
    xero,
    row: {
      date: inRange(out) ? out : back,
      xenditInvoiceId: null,
      currency: m.currency,
      xenditAmount: format(xendit),
      xenditFee: null,
      xeroPayment: format(xero),
      xeroFee: null,
      status: xendit === xero ? 'matched' : 'amount_differs',
      note: `${m.type} ${m.id} ${m.amount < 0 ? 'out of' : 'into'} the Xendit balance on ${out}, sent back (REVERSED) on ${back}${keptNote}; booked by the gateway and booked back`,
    },
  };
}

/** What the movement's fee took from Xendit's balance besides its amount (minor units): none billed monthly, none inside money out's amount. */
function feeTaken(m: XenditMovement, billingAt: (at: Date) => XenditFeeBilling): number {
  if (!m.fee || m.feeInAmount || billingAt(new Date(m.created)) === 'invoiced') return 0;
  return m.fee;
}
