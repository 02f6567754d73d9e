/**
 * Xendit's other balance movements (clients/xendit/movements.ts: payouts, transfers such as the one
 * into the Billing Balance that pays fees billed monthly, top-ups, platform fees, …), found for a
 * merchant who picked an account to book them against (settings: otherMovementsAccountCode). The
 * withdrawals' listing reads them in the same run, per stored key and currency, with its page budget
 * and cursors (list-withdrawals.ts, listing 'other'); here: what is read, and what a movement found
 * becomes: its row, once, and one record-other-movement job (the dedupe key makes any number of
 * runs one job). Nothing that moved before the setting was turned on, or while it is off, is booked:
 * the merchant may have booked those by hand. One the gateway booked is followed whatever the setting
 * says now (movementListings, movementSeen): turning it off stops new bookings, not the return of
 * one booked, nor its fee learnt later. Xendit's fee on one, once COMPLETED, is kept on its row (its job books
 * it: movement-fee.ts); one Xendit lists REVERSED is noted once (and its fee given back, once) and its
 * job queued again, which books it back (movement-reversal.ts). One made before the created listing's
 * window and changed since (sent back months later, its fee completed or given back late) is found by
 * a second listing, 'other_updated' (Xendit's `updated`), and met the same way.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import { modeOfXenditKey, type Merchant } from '../../store/merchant-model.js';
import { isFollowed, type OtherMovement } from '../../store/other-movements.js';
import type { XenditGateway, XenditMovement } from '../../clients/xendit/types.js';
import type { Currency } from '../../money.js';
import { enqueue, jobRow } from '../enqueue.js';
import type { PageReader } from './budgeted-listing.js';
import type { CrashHook } from './crash-points.js';
import { IN_BALANCE_TYPES } from '../../clients/xendit/movements.js';
import { raiseAlert } from '../../alerts/raise.js';
import { message } from '../../i18n/index.js';
import { toDecimal } from '../../money.js';
import { movementReference } from './record-other-movement.js';
import { feeBackAt } from './fee-back-at.js';

const PAGE_SIZE = 50;

type Deps = {
  stores: Stores;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  /** Tests only: dies at a named point (CRASH_AT). */
  crash?: CrashHook;
};

/**
 * From when the other movements in one stored key's account are booked: the later of when the
 * setting was turned on and `keySince`, when that key's business became the merchant's
 * (key-business.ts listedSince); null: off. The listings read from it, or from the first movement
 * booked still followed when earlier (movementListings), and the later of that and their look-back (readFrom).
 */
export function otherMovementsFrom(merchant: Merchant, keySince: Date): Date | null {
  if (!merchant.otherMovementsAccountCode || !merchant.otherMovementsSince) return null;
  return new Date(Math.max(merchant.otherMovementsSince.getTime(), keySince.getTime()));
}

/**
 * From when each movement listing of one stored key's account reads (list-withdrawals.ts): from when
 * its movements are booked (`booking`: otherMovementsFrom, null: off), and, whatever the setting says
 * now, from the first movement the gateway booked that Xendit may still change (`followed`:
 * store/other-movements.ts followedSpan): turned off, or off and on again, after a payout was booked,
 * its return and a fee learnt later are still booked (record-other-movement.ts), so they are still
 * listed; nothing new is booked from that (movementSeen). The created listing ('other') is read for
 * them only while one of them moved in its `lookBackDays`; the listing of what changed since
 * ('other_updated') finds the older ones. None: not read at all.
 */
export function movementListings(
  booking: Date | null,
  followed: { first: Date; last: Date } | null,
  keySince: Date,
  now: Date,
  lookBackDays: number,
): { other?: Date; other_updated?: Date } {
  const follows = followed && followed.last >= keySince ? new Date(Math.max(followed.first.getTime(), keySince.getTime())) : null;
  const earliest = (...d: (Date | null)[]) => {
    const given = d.filter((x): x is Date => x !== null);
    return given.length ? new Date(Math.min(...given.map((x) => x.getTime()))) : null;
  };
  const recent = follows && followed!.last.getTime() >= now.getTime() - lookBackDays * 86_400_000 ? follows : null;
  const other = earliest(booking, recent);
  const updated = earliest(booking, follows);
  return { ...(other ? { other } : {}), ...(updated ? { other_updated: updated } : {}) };
}

/**
 * A page of one currency's other movements at Xendit made since, in the account of `key`; none that
 * moved before `from` (otherMovementsFrom; null: off) is booked, but one the gateway booked is followed (movementSeen). `changed` (listing 'other_updated'): those made
 * before `since`, past the created listing's window, and changed since (Xendit's `updated`): a payout
 * the bank sent back months later, a fee Xendit gave back late. Met as the created listing meets them.
 */
export function otherMovementsPage(deps: Deps, merchant: Merchant, key: string, currency: Currency, from: Date | null, changed = false): PageReader {
  // Test or live by the key whose account it moved in, never by the mode in use.
  const live = modeOfXenditKey(key) === 'live';
  return async (since, afterId, before) => {
    // Xendit asks for both ends of the window: up to a day ahead covers a clock behind Xendit's.
    const end = changed ? since : new Date(deps.clock().getTime() + 86_400_000);
    const createdBefore = before && before < end ? before : end;
    const { movements, hasMore, lastId } = await deps.xendit.listOtherMovements(key, {
      currency,
      limit: PAGE_SIZE,
      afterId,
      ...(changed ? { updatedAfter: since } : { createdAfter: since }),
      createdBefore,
    });
    for (const m of movements) await movementSeen(deps, merchant, live, m, from);
    return { hasMore, ...(lastId ? { lastId } : {}), rows: movements };
  };
}

/**
 * Reserve holds and releases booked by a version before they were left out (clients/xendit/movements.ts
 * IN_BALANCE_TYPES): a hold booked out of the clearing account keeps it short for good, now that no
 * release is ever booked to bring it back. A person is told once which entries to void in Xero. No
 * version books them any more, so there is nearly always no one to tell: one read for all these
 * merchants says whom, and only their rows are claimed. Read anew each run, it also finds a reserve
 * an older worker still running beside this version booked meanwhile.
 */
export async function warnOfBookedReserves(deps: Pick<Deps, 'stores' | 'clock' | 'logger'>, merchants: Merchant[]): Promise<void> {
  const toTell = await deps.stores.otherMovements.merchantsWithBookedToTell([...IN_BALANCE_TYPES]);
  for (const merchant of merchants) if (toTell.has(merchant.id)) await warnOf(deps, merchant);
}

async function warnOf(deps: Pick<Deps, 'stores' | 'clock' | 'logger'>, merchant: Merchant): Promise<void> {
  const booked = await deps.stores.otherMovements.claimBookedToTell(merchant.id, [...IN_BALANCE_TYPES], deps.clock());
  if (!booked.length) return;
  const entries = booked
    .map((m) => `${m.type} ${m.xenditTransactionId}: ${toDecimal(m.amount, m.currency)} ${m.currency}, Reference "${movementReference(m.xenditTransactionId)}"`)
    .join('; ');
  deps.logger.warn({ merchantId: merchant.id, entries: booked.map((m) => m.xenditTransactionId) }, 'reserve movements booked by an earlier version');
  await raiseAlert(deps, { merchantId: merchant.id, kind: 'reservesBooked', message: message('alerts:reservesBooked', { entries }) });
}

/**
 * A movement Xendit lists REVERSED (a payout the bank sent back): one this merchant's row knows is
 * noted once, with whether Xendit gave its fee back (its fee status REVERSED or CANCELED; given back
 * on a later listing, noted then), its job queued again (record-other-movement.ts: nothing to book,
 * or its entries booked back: movement-reversal.ts). A fee Xendit kept (COMPLETED) that the row never
 * learnt is noted as any fee is: it left the balance for good. One never seen before was never
 * booked, and nothing is left to book.
 */
async function reversed(deps: Deps, merchant: Merchant, live: boolean, m: XenditMovement): Promise<void> {
  const row = await deps.stores.otherMovements.byXenditId(merchant.id, m.id);
  const now = deps.clock();
  const job = () => jobRow('record-other-movement', { merchantId: merchant.id, xenditTransactionId: m.id, live }, now);
  // Marked off by the release before, sent back before it was booked, with the fee Xendit kept unbooked: its job books that fee, queued once.
  if (
    row?.state === 'off' &&
    row.reversedAt &&
    m.fee &&
    !m.feeBack &&
    (await deps.stores.otherMovements.noteFeeKept(row.id, { fee: m.fee, tax: m.feeTax ?? 0, inAmount: m.feeInAmount === true }, job(), now))
  )
    return void deps.logger.info({ merchantId: merchant.id, xenditTransactionId: m.id }, 'reversed balance movement: the fee Xendit kept queued to be booked');
  if (!row || row.state === 'test_mode' || row.state === 'off') return;
  const back = m.updated && !Number.isNaN(Date.parse(m.updated)) ? new Date(m.updated) : now;
  if (m.fee && !m.feeBack && row.fee === 0 && (await deps.stores.otherMovements.noteFee(row.id, m.fee, m.feeInAmount === true, job(), now, m.feeTax ?? 0)))
    deps.logger.info({ merchantId: merchant.id, xenditTransactionId: m.id, fee: m.fee }, "Xendit's fee on a reversed balance movement, kept by Xendit, found");
  if (await deps.stores.otherMovements.noteReversed(row.id, back, m.feeBack ? feeBackAt(m, row, now) : null, job(), now))
    deps.logger.info(
      { merchantId: merchant.id, xenditTransactionId: m.id, type: m.type, feeBack: m.feeBack === true },
      'other balance movement reversed at Xendit',
    );
}

/**
 * One movement listed (or read again by its id: unlisted-rows.ts): its row made on first sight and its job queued (absorbed by its dedupe key
 * after that). A fee PENDING when first listed, COMPLETED now: noted with the row's job queued again,
 * which books it (record-other-movement.ts), as a withdrawal's (list-withdrawals.ts feeLearnt).
 */
export async function movementSeen(deps: Deps, merchant: Merchant, live: boolean, m: XenditMovement, from: Date | null): Promise<void> {
  const movedAt = new Date(m.created);
  if (Number.isNaN(movedAt.getTime()) || m.amount === 0) return;
  // Off (`from` null), or a cursor kept from before the setting was last turned on (or before this
  // key's business was the merchant's) asks from then: what moved before stays the merchant's. One
  // the gateway booked is still followed, its return and a fee learnt later booked (record-other-movement.ts).
  if ((!from || movedAt < from) && !followedRow(await deps.stores.otherMovements.byXenditId(merchant.id, m.id))) return;
  const now = deps.clock();
  if (m.status === 'REVERSED') return reversed(deps, merchant, live, m);
  const row = await deps.stores.otherMovements.getOrCreate(
    {
      id: randomUUID(),
      merchantId: merchant.id,
      xenditTransactionId: m.id,
      type: m.type,
      currency: m.currency,
      amount: m.amount,
      movedAt,
      ...(m.fee ? { fee: m.fee, feeTax: m.feeTax ?? 0, feeInAmount: m.feeInAmount === true } : {}),
    },
    now,
  );
  deps.crash?.('other-movement-listing-row-made');
  const payload = { merchantId: merchant.id, xenditTransactionId: m.id, live };
  if (m.fee && row.fee === 0 && row.state !== 'test_mode' && row.state !== 'off') {
    if (await deps.stores.otherMovements.noteFee(row.id, m.fee, m.feeInAmount === true, jobRow('record-other-movement', payload, now), now, m.feeTax ?? 0))
      deps.logger.info({ merchantId: merchant.id, xenditTransactionId: m.id, fee: m.fee }, "Xendit's fee on a balance movement found");
    return;
  }
  if (row.state !== 'pending') return;
  const queued = await enqueue(deps.stores.jobs, 'record-other-movement', payload, now);
  deps.crash?.('other-movement-listing-job-queued');
  if (queued) deps.logger.info({ merchantId: merchant.id, xenditTransactionId: m.id, type: m.type }, 'other balance movement found at Xendit');
}

const followedRow = (row: OtherMovement | null): boolean => !!row && isFollowed(row);
