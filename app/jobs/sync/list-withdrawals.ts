/**
 * The scheduled side of settlements: Xendit sends no webhook the gateway can rely on for
 * withdrawals, so each run reads every active or disabled merchant's SUCCESS withdrawals (Transactions
 * API, per currency, to the end of the listing within a page budget, continued by the next run) made, or sent back, in the last LOOK_BACK_DAYS
 * and since the key's Xendit business was first stored for the merchant (key-business.ts
 * listedSince: older ones took money the gateway never recorded into the clearing account, a live
 * business's key saved weeks after the merchant began in test mode, say), makes
 * the row of each one not seen before and queues a record-withdrawal job for it. The dedupe key
 * makes any number of runs one job per withdrawal. A withdrawal Xendit lists as REVERSED (the bank
 * sent it back into the balance) has its job queued again, to bring the money back in Xero too.
 * Every stored key's account is read (test and live), each listing with its own cursor.
 * A merchant who asked for Xendit's other balance movements to be booked has those listed in the
 * same run, the same way (list-other-movements.ts: listings 'other' and 'other_updated'), and so does
 * one who turned that off after the gateway booked some, for as long as Xendit may change one (a payout
 * sent back, a fee learnt later: list-other-movements.ts movementListings). A few rows no listing shows any
 * more that may still need their job are read again by their id (unlisted-rows.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import { listingKeys, listsMovements, modeOfXenditKey, type Merchant } from '../../store/merchant-model.js';
import type { XenditGateway, XenditWithdrawal } from '../../clients/xendit/types.js';
import type { ListCursor, ListingAt, ListingKind, Withdrawal } from '../../store/settlements.js';
import { raiseAlert } from '../../alerts/raise.js';
import { message } from '../../i18n/index.js';
import { enqueue, jobRow } from '../enqueue.js';
import type { JobPayload } from '../kinds.js';
import { SUPPORTED_CURRENCIES, toDecimal, type Currency } from '../../money.js';
import { UpstreamError } from '../../clients/types.js';
import { readFrom, readWithinBudget, walkByTime, type PageReader, type Walked } from './budgeted-listing.js';
import { listedSince } from './key-business.js';
import { movementListings, movementSeen, otherMovementsFrom, otherMovementsPage, warnOfBookedReserves } from './list-other-movements.js';
import { readUnlisted, type ListedKey } from './unlisted-rows.js';
import type { CrashHook } from './crash-points.js';
import { unstorableReason } from '../../security/body-bounds.js';
import { feeSentUnknown } from './withdrawal-fee.js';
import { feeBackAt } from './fee-back-at.js';

const PAGE_SIZE = 50;
/**
 * Pages one run reads per currency and listing. Xendit lists newest first (balance.ts): a run that
 * stopped at a fixed count and started again from the newest next time would never reach the
 * oldest of a busy account, which would age out of LOOK_BACK_DAYS unbooked. A run that spends its
 * budget keeps where it stopped (withdrawal_list_cursors) and the next continues from there.
 */
const PAGE_BUDGET = 20;
/**
 * Xendit says its listing is ordered by creation date (newest first). Reading only the last weeks
 * (made, or sent back, in them) finds every withdrawal while each listing is read to its end
 * within them; an older one never booked still shows on the reconciliation report of its own month.
 */
const LOOK_BACK_DAYS = 45;
/** A listing begun this long ago and still not read to its end: a person is told (the oldest may age out). */
const BEHIND_ALERT_MS = 86_400_000;

type Deps = {
  stores: Stores;
  xendit: XenditGateway;
  clock: Clock;
  logger: Logger;
  /** Tests only: fewer pages a run (PAGE_BUDGET). */
  pageBudget?: number;
  /** Tests only: dies at a named point (CRASH_AT). */
  crash?: CrashHook;
};

export function listWithdrawalsJob(deps: Deps) {
  return async (): Promise<void> => {
    const merchants = (await deps.stores.merchants.list()).filter(listsMovements);
    // Whether the setting is on now or not: entries an earlier version made are in Xero either way.
    await warnOfBookedReserves(deps, merchants);
    for (const merchant of merchants) {
      // Every stored key's account (listingKeys), each with its own cursors: money withdrawn from the
      // account of the mode not in use leaves all the same, test or live by that key. Every currency
      // the gateway books, one at a time (an account holding several must name one); one Xendit
      // will not list (one the account never held, say) holds up no other.
      const listed: ListedKey[] = [];
      // Movements the gateway booked, followed whatever the setting says now: one read for all keys.
      const followed = await deps.stores.otherMovements.followedSpan(merchant.id);
      for (const { mode, key } of listingKeys(merchant)) {
        // Another merchant's key holds this account (its withdrawals are that merchant's to book), or
        // which business it is is not known yet (nothing to book yet either). Else from when its
        // business's money is this merchant's: not the merchant's creation, which may be long before.
        let keySince: Date | null;
        try {
          keySince = await listedSince(deps, merchant, mode, key);
        } catch (err) {
          deps.logger.warn({ err: String(err), merchantId: merchant.id, mode }, 'could not list withdrawals at Xendit');
          continue;
        }
        if (!keySince) continue;
        listed.push({ mode, key, keySince });
        // Booked from (null: off), and from when each movement listing reads (none: not read).
        const booking = otherMovementsFrom(merchant, keySince);
        const movements = movementListings(booking, followed, keySince, deps.clock(), LOOK_BACK_DAYS);
        const listings: ListingKind[] = ['created', 'reversed', ...(['other', 'other_updated'] as const).filter((k) => movements[k])];
        for (const currency of SUPPORTED_CURRENCIES) {
          for (const listing of listings) {
            const l: Listing = { merchant, key, keySince, at: { merchantId: merchant.id, mode, currency, listing } };
            const from = movementListing(listing) ? movements[listing as 'other' | 'other_updated']! : keySince;
            const since = readFrom(deps.clock(), LOOK_BACK_DAYS, from);
            // Made before `since` is made before the setting (or the key's business) too while that was under 45 days ago: nothing to ask.
            if (listing === 'other_updated' && since.getTime() <= from.getTime()) continue;
            try {
              if (movementListing(listing))
                await listCurrency(deps, l, since, otherMovementsPage(deps, merchant, key, currency, booking, listing === 'other_updated'));
              else await listCurrency(deps, l, since, withdrawalsPage(deps, l));
            } catch (err) {
              const refused = err instanceof UpstreamError && err.kind === 'rejected';
              const what = movementListing(listing) ? 'other balance movements' : 'withdrawals';
              deps.logger[refused ? 'debug' : 'warn']({ err: String(err), merchantId: merchant.id, mode, currency }, `could not list ${what} at Xendit`);
            }
          }
        }
      }
      await unlisted(deps, merchant, listed);
    }
  };
}

/**
 * Rows no listing shows any more that may still need their job queued, read again by their id
 * (unlisted-rows.ts), and met as the listing meets them: a withdrawal by `seen`, a movement, while
 * they are booked from when it moved, by movementSeen.
 */
async function unlisted(deps: Deps, merchant: Merchant, keys: ListedKey[]): Promise<void> {
  const before = new Date(deps.clock().getTime() - LOOK_BACK_DAYS * 86_400_000);
  const live = (k: ListedKey) => modeOfXenditKey(k.key) === 'live';
  try {
    await readUnlisted(deps, merchant, keys, before, {
      what: 'withdrawal',
      toRead: deps.stores.settlements.keptFeeToRead,
      get: (key, id) => deps.xendit.getWithdrawal(key, id),
      seen: (k, w) =>
        seen(
          deps,
          { merchant, key: k.key, keySince: k.keySince, at: { merchantId: merchant.id, mode: k.mode, currency: w.currency, listing: 'reversed' } },
          live(k),
          w,
        ),
      read: deps.stores.settlements.keptFeeRead,
      later: deps.stores.settlements.keptFeeReadLater,
    });
    // Only rows marked off with a fee Xendit kept are read so: booked only while the setting is on for
    // them (movement-reversal.ts), so read only then. Rows the gateway booked are followed by the listings.
    const booking = keys.filter((k) => otherMovementsFrom(merchant, k.keySince));
    await readUnlisted(deps, merchant, booking, before, {
      what: 'balance movement',
      toRead: deps.stores.otherMovements.keptFeeToRead,
      get: (key, id) => deps.xendit.getOtherMovement(key, id),
      seen: (k, m) => movementSeen(deps, merchant, live(k), m, otherMovementsFrom(merchant, k.keySince)!),
      read: deps.stores.otherMovements.keptFeeRead,
      later: deps.stores.otherMovements.keptFeeReadLater,
    });
  } catch (err) {
    deps.logger.warn({ err: String(err), merchantId: merchant.id }, 'could not read the rows no listing shows again');
  }
}

/** Xendit's other balance movements: made since ('other'), or made before that and changed since ('other_updated'). */
const movementListing = (k: ListingKind): boolean => k === 'other' || k === 'other_updated';

/**
 * One listing: of one stored key's account (`key`, of `at.mode`, its business this merchant's since
 * `keySince`), one currency, made or sent back since.
 */
type Listing = { merchant: Merchant; key: string; keySince: Date; at: ListingAt & { currency: Currency } };

/**
 * One currency's withdrawals made since `since` ('created'), or sent back since then ('reversed':
 * one made long ago may come back late), within the run's page budget (readWithinBudget): first the
 * rest of a listing an earlier run left unfinished (the same question, from the oldest `created` it
 * reached: no cursor of an earlier run, which Xendit may have let lapse, budgeted-listing.ts), then,
 * budget left, a new one from the newest. Every run reads each listing to its end or leaves a cursor.
 */
async function listCurrency(deps: Deps, l: Listing, since: Date, read: PageReader): Promise<void> {
  await readWithinBudget(deps, deps.pageBudget ?? PAGE_BUDGET, {
    kept: await deps.stores.settlements.listCursor(l.at),
    resume: (cursor, budget) => walk(deps, l, cursor, budget, read),
    again: ({ since, startedAt }, budget) => walk(deps, l, { since, startedAt }, budget, read),
    lost: async (cursor) =>
      deps.logger.warn({ ...l.at, afterId: cursor.afterId }, `${what(l)} listing: Xendit showed nothing after its kept cursor: read again from the newest`),
    begin: (startedAt, budget) => walk(deps, l, { since, startedAt }, budget, read),
    restart: async (err) => {
      await deps.stores.settlements.setListCursor(l.at, null);
      deps.logger.warn({ err: String(err), ...l.at }, `Xendit refused to continue the ${what(l)} listing: it starts again`);
    },
    behind: (startedAt) => behind(deps, l, startedAt),
  });
}

/**
 * Pages of one listing (from where a kept walk reached, or the newest), at most `budget`: each row
 * recorded (and its job queued) before the cursor moves past its page, so a run that dies loses nothing.
 */
async function walk(deps: Deps, l: Listing, from: Omit<ListCursor, 'afterId'> & { afterId?: string }, budget: number, read: PageReader): Promise<Walked> {
  return walkByTime(budget, from, read, (cursor) => deps.stores.settlements.setListCursor(l.at, cursor));
}

const what = (l: Listing): string => (movementListing(l.at.listing) ? 'movement' : 'withdrawal');

/** A page of one currency's withdrawals, made ('created') or sent back ('reversed') since. */
function withdrawalsPage(deps: Deps, l: Listing): PageReader {
  // Test or live by the key whose account it left, never by the mode in use.
  const live = modeOfXenditKey(l.key) === 'live';
  return async (since, afterId, before) => {
    const { withdrawals, hasMore, lastId } = await deps.xendit.listWithdrawals(l.key, {
      currency: l.at.currency,
      limit: PAGE_SIZE,
      afterId,
      ...(l.at.listing === 'created' ? { createdAfter: since } : { reversedAfter: since }),
      ...(before ? { createdBefore: before } : {}),
    });
    for (const w of withdrawals) await seen(deps, l, live, w);
    return { hasMore, ...(lastId ? { lastId } : {}), rows: withdrawals };
  };
}

/** The budget ran out before the listing's end: said each time; a person is told once it has been behind a day. */
async function behind(deps: Deps, l: Listing, startedAt: Date): Promise<void> {
  const since = deps.clock().getTime() - startedAt.getTime();
  const kind = movementListing(l.at.listing) ? 'otherMovementsBehind' : 'withdrawalsBehind';
  deps.logger.warn({ ...l.at, behindMs: since }, `${what(l)} listing not read to its end this run: the next run continues where it stopped`);
  if (since < BEHIND_ALERT_MS) return;
  const { merchantId, currency, mode } = l.at;
  // Each stored key's account is listed on its own: the alert says which, and one key's backlog is not absorbed into the other's.
  await raiseAlert(deps, {
    merchantId,
    kind,
    message: message(`alerts:${kind}`, { currency, mode, since: startedAt.toISOString().slice(0, 16).replace('T', ' ') }),
    dedupeKey: `${kind}:${merchantId}:${mode}:${currency}`,
  });
}

/**
 * One withdrawal listed: its row made on first sight, its job queued (again, when Xendit now says
 * REVERSED). One made before its key's business was the merchant's is not: a cursor kept from
 * before (another business's key of the mode, then) asks from further back.
 */
async function seen(deps: Deps, l: Listing, live: boolean, w: XenditWithdrawal): Promise<void> {
  const { merchant } = l;
  const known = await deps.stores.settlements.byXenditId(merchant.id, w.id);
  const to = destinationOf(w);
  // A row from before destinations were kept learns its own, so the admin lists it and can give it an account.
  if (known && known.accountIdentifier === null && to.accountIdentifier)
    await deps.stores.settlements.noteDestination(known.id, to.accountIdentifier, to.channelCode, deps.clock());
  const payload = { merchantId: merchant.id, xenditTransactionId: w.id, live };
  // A fee PENDING when first listed, COMPLETED now: noted with the row's job queued again, which books it (record-withdrawal.ts).
  // Sent back with the fee kept (its status COMPLETED), too: it left the balance for good; one given back needs nothing.
  if (known && (w.status !== 'REVERSED' || !w.feeBack)) await feeLearnt(deps, known, w, payload);
  // Sent back with its fee given back, seen by this listing or a later one (COMPLETED, kept, when first
  // seen REVERSED, given back since): noted for good, the job queued again, which books the fee's
  // return once its Spend Money is in Xero (record-withdrawal.ts). A fee listed COMPLETED again
  // afterwards is not believed: what was given back stays given back.
  if (known && w.status === 'REVERSED' && w.feeBack && (!known.feeReturned || feeReturnLeft(known)))
    if (
      await deps.stores.settlements.noteFeeReturned(
        known.id,
        jobRow('record-withdrawal', payload, deps.clock()),
        deps.clock(),
        feeBackAt(w, known, deps.clock()),
      )
    )
      deps.logger.info({ merchantId: merchant.id, xenditTransactionId: w.id }, 'reversed withdrawal: Xendit gave its fee back');
  // Reversed already with its fee known and unbooked, the fee kept: the previous release marked one sent
  // back before anything was booked reversed with nothing in Xero, and feeLearnt passes a known fee by.
  // Its job queued again to book the fee, once ever, whatever that job finds (billed monthly: nothing).
  if (known && w.status === 'REVERSED' && !w.feeBack && keptFeeUnqueued(known, w))
    if (await deps.stores.settlements.noteFeeKept(known.id, jobRow('record-withdrawal', payload, deps.clock()), deps.clock()))
      deps.logger.info({ merchantId: merchant.id, xenditTransactionId: w.id }, 'reversed withdrawal: the fee Xendit kept queued to be booked');
  if (known && (w.status === 'REVERSED' ? known.state === 'reversed' || known.state === 'test_mode' : known.state !== 'pending')) return;
  if (!known && Date.parse(w.created) < l.keySince.getTime()) return;
  const now = deps.clock();
  const row =
    known ??
    (await deps.stores.settlements.getOrCreate(
      {
        id: randomUUID(),
        merchantId: merchant.id,
        xenditTransactionId: w.id,
        currency: w.currency,
        amount: w.amount,
        withdrawnAt: new Date(w.created),
        ...(w.fee ? { fee: w.fee, feeTax: w.feeTax ?? 0, feeInAmount: w.feeInAmount === true } : {}),
        ...(w.status === 'REVERSED' && w.feeBack ? { feeReturned: true } : {}),
        ...to,
      },
      now,
    ));
  deps.crash?.('withdrawal-listing-row-made');
  if (w.status === 'REVERSED') {
    // Its job (queued again if it finished) books the money coming back, or marks it done when nothing went to Xero.
    // The day it came back is kept (reversed_at), and the report dates the return by it: Xendit's
    // `updated`, or, when Xendit sends none, when the listing first saw it REVERSED.
    const back = w.updated && !Number.isNaN(Date.parse(w.updated)) ? new Date(w.updated) : now;
    if (await deps.stores.settlements.noteReversed(row, back, jobRow('record-withdrawal', payload, now), now))
      deps.logger.info({ merchantId: merchant.id, xenditTransactionId: w.id }, 'withdrawal reversed at Xendit');
    return;
  }
  const queued = await enqueue(deps.stores.jobs, 'record-withdrawal', payload, now);
  deps.crash?.('withdrawal-listing-job-queued');
  if (queued) deps.logger.info({ merchantId: merchant.id, xenditTransactionId: w.id }, 'withdrawal found at Xendit');
}

/**
 * A known row learns Xendit's fee once it is COMPLETED (PENDING while the payout is: "Fees are applied
 * once payouts are completed", docs.xendit.co/transaction-fees). Not one inside the amount after the
 * transfer went out with the whole amount: that transfer overstates the bank, a person's to mend,
 * told once (every run meets it again while the withdrawal is in the weeks read); unless the bank
 * sent it back with Xendit keeping the fee: the transfer back moves the whole amount too, what came
 * back is that less the fee, so the fee is noted and its job books it (withdrawal-fee.ts feeToBook).
 * One whose transfer's outcome is unknown is noted: its job books the fee only if the transfer it
 * finds carried the rest, or it came back with the fee kept.
 */
async function feeLearnt(deps: Deps, known: Withdrawal, w: XenditWithdrawal, payload: JobPayload<'record-withdrawal'>): Promise<boolean> {
  if (!w.fee || known.fee > 0) return false;
  const keptAtReversal = w.status === 'REVERSED' && !w.feeBack;
  if (w.feeInAmount && known.xeroBankTransferId && !keptAtReversal) {
    const told = await raiseAlert(deps, {
      merchantId: payload.merchantId,
      kind: 'withdrawalFeeNotBooked',
      message: message('alerts:withdrawalFeeNotBooked', { withdrawal: w.id, currency: w.currency, fee: toDecimal(w.fee, w.currency) }),
      dedupeKey: `withdrawalFeeNotBooked:${known.id}`,
      once: true,
    });
    if (told)
      deps.logger.warn({ xenditTransactionId: w.id, fee: w.fee }, "Xendit's fee came out of a withdrawal already booked whole: not booked, a person is told");
    return false;
  }
  const now = deps.clock();
  return deps.stores.settlements.noteFee(known.id, w.fee, w.feeInAmount === true, jobRow('record-withdrawal', payload, now), now, w.feeTax ?? 0);
}

/** Reversed (its job finished) with a fee Xendit kept, known, unbooked and never queued for. */
function keptFeeUnqueued(known: Withdrawal, w: XenditWithdrawal): boolean {
  return known.state === 'reversed' && !!w.fee && known.fee > 0 && !known.feeReturned && !known.xeroFeeEntryId && !known.feeKeptNotedAt;
}

/** Its fee given back and booked (or its create's outcome unknown: withdrawal-fee.ts feeSentUnknown), its return not yet, after its job finished the transfer back. */
function feeReturnLeft(known: Withdrawal): boolean {
  return known.state === 'reversed' && ((!!known.xeroFeeEntryId && !known.xeroFeeReturnEntryId) || feeSentUnknown(known));
}

/**
 * Where the withdrawal went, as Xendit names it: account_identifier, "Account identifier of
 * transaction. The format will be different from each channel" (xendit-node TransactionResponse;
 * string | null), with its channel_code (the bank). Kept as sent (a plain or masked number alike),
 * as Xendit searches it "exact match case sensitive" (docs.xendit.co/apidocs/list-transactions).
 * One the database could not hold or the admin would not show whole is no destination: the row
 * takes the currency's settlement bank account, as one Xendit names none does.
 */
function destinationOf(w: XenditWithdrawal): { accountIdentifier: string | null; channelCode: string | null } {
  const id = w.accountIdentifier;
  const storable = (v: string | undefined, max: number): v is string => !!v && v.length <= max && unstorableReason(v) === null;
  if (!storable(id, 255)) return { accountIdentifier: null, channelCode: null };
  return { accountIdentifier: id, channelCode: storable(w.channelCode, 100) ? w.channelCode : null };
}
