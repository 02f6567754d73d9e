/**
 * Rows the withdrawals' listing no longer shows that may still need their job queued: a withdrawal
 * reversed with nothing booked, or a movement marked off after it was sent back, whose fee Xendit
 * kept is unbooked (store/withdrawal-fees.ts and store/other-movements.ts keptFeeToRead). The listing
 * queues such a row when it meets it (list-withdrawals.ts, list-other-movements.ts), but it reads
 * only the last LOOK_BACK_DAYS: one not met by then never would be. So each run also picks a few of
 * them from our own database and reads each again from Xendit by its transaction id (xendit-node
 * TransactionApi getTransactionByID), with each stored key in turn (the row keeps no mode), then
 * treats what Xendit answers as the listing would have: nothing changes on our side but what Xendit
 * says. Read once (kept_fee_read_at); a row no stored key's account holds is read no more, one whose
 * read failed is picked again by a later run, after the rows not tried yet: three rows that keep
 * failing would otherwise be the three every run picks.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Merchant, XenditMode } from '../../store/merchant-model.js';

/** Rows of each kind a run reads again per merchant: a few, so that a backlog never crowds out the listing. */
export const UNLISTED_PER_RUN = 3;

/** A stored key of the merchant whose account the listing reads, and from when its business's money is the merchant's. */
export type ListedKey = { mode: XenditMode; key: string; keySince: Date };

type Deps = { stores: Stores; clock: Clock; logger: Logger };

/** One kind of unlisted row: which to read, how Xendit is asked for one, and what its answer does. */
export interface Unlisted<T> {
  what: string;
  toRead(merchantId: string, before: Date, limit: number): Promise<{ id: string; xenditTransactionId: string }[]>;
  get(key: string, xenditTransactionId: string): Promise<T | null>;
  /** As the listing would treat it, read with `key`. */
  seen(key: ListedKey, t: T): Promise<void>;
  read(id: string, now: Date): Promise<unknown>;
  /** Its read failed: to be read again, after the kind's other rows. */
  later(id: string, now: Date): Promise<unknown>;
}

/** Reads again (UNLISTED_PER_RUN) the merchant's rows of this kind that no listing shows since `before`. */
export async function readUnlisted<T>(deps: Deps, merchant: Merchant, keys: ListedKey[], before: Date, kind: Unlisted<T>): Promise<void> {
  if (!keys.length) return;
  for (const row of await kind.toRead(merchant.id, before, UNLISTED_PER_RUN)) {
    const log = { merchantId: merchant.id, xenditTransactionId: row.xenditTransactionId };
    let failed = false;
    let found = false;
    for (const key of keys) {
      try {
        const t = await kind.get(key.key, row.xenditTransactionId);
        if (!t) continue;
        await kind.seen(key, t);
        found = true;
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
    await kind.read(row.id, deps.clock());
    if (found) deps.logger.info(log, `${kind.what} no longer listed read again at Xendit by its id`);
    else deps.logger.warn(log, `${kind.what} no longer listed is held by no stored key's account at Xendit: not read again`);
  }
}
