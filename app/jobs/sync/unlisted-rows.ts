/**
 * Rows the withdrawals' listing no longer shows that may still need their job queued: a withdrawal
 * reversed with nothing booked, or a movement marked off after it was sent back, whose fee Xendit
 * kept is unbooked (store/withdrawal-fees.ts and store/other-movements.ts keptFeeToRead). The listing
 * queues such a row when it meets it (list-withdrawals.ts, list-other-movements.ts), but it reads
 * only the last LOOK_BACK_DAYS: one not met by then never would be. So each run also picks a few of
 * them from our own database and reads each again from Xendit by its transaction id (xendit-node
 * TransactionApi getTransactionByID), with each stored key in turn (the row keeps no mode), then
 * treats what Xendit answers as the listing would have: nothing changes on our side but what Xendit
 * says. A row whose fee Xendit still calls PENDING (not final: it may yet be kept, or given back) is
 * read again after a wait that doubles each time (1, 2, 4, 8 days from kept_fee_read_at), at most
 * KEPT_FEE_MAX_READS times in all: then a person is told once (keptFeeUnsettled) and it is read no more,
 * rather than forever. One whose answer is final (its fee kept, given back, or none) is read no more;
 * nor is one no stored key's account holds. The listing of what changed since (list-other-movements.ts,
 * 'other_updated') finds a movement's fee change first when Xendit moves the transaction's `updated`
 * with it, which it does not document: these reads do not count on it. One whose read failed is picked
 * again by a later run, after the rows not tried yet: three rows that keep failing would otherwise be
 * the three every run picks.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Merchant, XenditMode } from '../../store/merchant-model.js';
import type { KeptFeeToRead } from '../../store/fee-notes.js';
import { storeAlert } from '../../alerts/raise.js';
import { message } from '../../i18n/index.js';

/** Rows of each kind a run reads again per merchant: a few, so that a backlog never crowds out the listing. */
export const UNLISTED_PER_RUN = 3;

/** Reads by id of one row whose fee is not final yet (PENDING), each after a longer wait (1, 2, 4, 8 days): then a person is told. */
export const KEPT_FEE_MAX_READS = 5;

/** A stored key of the merchant whose account the listing reads, and from when its business's money is the merchant's. */
export type ListedKey = { mode: XenditMode; key: string; keySince: Date };

type Deps = { stores: Stores; clock: Clock; logger: Logger };

type Fee = { feePending?: boolean };

/** One kind of unlisted row: which to read, how Xendit is asked for one, and what its answer does. */
export interface Unlisted<T extends Fee> {
  what: string;
  toRead(merchantId: string, before: Date, limit: number, now: Date, maxReads: number): Promise<KeptFeeToRead[]>;
  get(key: string, xenditTransactionId: string): Promise<T | null>;
  /** As the listing would treat it, read with `key`. */
  seen(key: ListedKey, t: T): Promise<void>;
  /** Read for the `reads`th time (KEPT_FEE_MAX_READS: read no more). */
  read(id: string, now: Date, reads: number): Promise<unknown>;
  /** Its read failed: to be read again, after the kind's other rows. */
  later(id: string, now: Date): Promise<unknown>;
}

/** Reads again (UNLISTED_PER_RUN) the merchant's rows of this kind that no listing shows since `before`. */
export async function readUnlisted<T extends Fee>(deps: Deps, merchant: Merchant, keys: ListedKey[], before: Date, kind: Unlisted<T>): Promise<void> {
  if (!keys.length) return;
  for (const row of await kind.toRead(merchant.id, before, UNLISTED_PER_RUN, deps.clock(), KEPT_FEE_MAX_READS)) {
    const log = { merchantId: merchant.id, xenditTransactionId: row.xenditTransactionId };
    let failed = false;
    let found: T | null = null;
    for (const key of keys) {
      try {
        const t = await kind.get(key.key, row.xenditTransactionId);
        if (!t) continue;
        await kind.seen(key, t);
        found = t;
        break;
      } catch (err) {
        failed = true;
        deps.logger.warn({ ...log, err: String(err), mode: key.mode }, `could not read the ${kind.what} again at Xendit: read by the next run`);
      }
    }
    if (failed && !found) {
      await kind.later(row.id, deps.clock());
      continue;
    }
    // Its fee not final yet: read again later, until the most reads; anything else, read no more.
    const reads = found?.feePending ? row.reads + 1 : KEPT_FEE_MAX_READS;
    // The last read retires the row: the person is told first, or it is read again by the next run.
    if (found?.feePending && reads >= KEPT_FEE_MAX_READS && !(await giveUp(deps, merchant, kind.what, row.xenditTransactionId, reads))) {
      await kind.later(row.id, deps.clock());
      continue;
    }
    await kind.read(row.id, deps.clock(), reads);
    if (!found) deps.logger.warn(log, `${kind.what} no longer listed is held by no stored key's account at Xendit: not read again`);
    else if (!found.feePending) deps.logger.info(log, `${kind.what} no longer listed read again at Xendit by its id`);
    else if (reads < KEPT_FEE_MAX_READS)
      deps.logger.info({ ...log, reads }, `${kind.what} no longer listed read again: its fee still PENDING, read again later`);
  }
}

/** Its fee still PENDING at its last read: a person looks at Xendit's dashboard, told once. False: the alert could not be stored. */
async function giveUp(deps: Deps, merchant: Merchant, what: string, xenditTransactionId: string, reads: number): Promise<boolean> {
  deps.logger.warn(
    { merchantId: merchant.id, xenditTransactionId, reads },
    `${what} no longer listed: its fee still PENDING after every read, a person is told`,
  );
  try {
    // Absorbed (false) is told as well: one raised before, once ever.
    await storeAlert(deps, {
      merchantId: merchant.id,
      kind: 'keptFeeUnsettled',
      message: message('alerts:keptFeeUnsettled', { transaction: xenditTransactionId }),
      dedupeKey: `keptFeeUnsettled:${merchant.id}:${xenditTransactionId}`,
      once: true,
    });
    return true;
  } catch (err) {
    deps.logger.warn({ err: String(err), merchantId: merchant.id, xenditTransactionId }, 'could not store the alert: the row is read again by the next run');
    return false;
  }
}
