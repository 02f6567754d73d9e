/**
 * Whether a stored Xendit key's account is this merchant's to list (xendit_key_businesses). One
 * that is another merchant's too is skipped by the listings that book what the account does
 * (withdrawals, the backend flow's paid invoices, refunds), or each merchant would book every
 * withdrawal of the shared account, and one would take the other's checkouts for sales of its own.
 * A key is checked when it is saved (admin merchants/xendit-keys.ts); one stored before that check,
 * or whose account could not tell its business then (no invoice or transaction yet), has it found
 * here, before its listing books anything, and recorded; the key stored first holds the account.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { listingKeys, type Merchant, type XenditMode } from '../../store/merchant-model.js';
import { UpstreamError } from '../../clients/types.js';
import { raiseAlert } from '../../alerts/raise.js';
import { message } from '../../i18n/index.js';

/** A key found sharing another merchant's account is tried again after this long (that merchant may have changed its key). */
const LOOK_AGAIN_MS = 86_400_000;

type Deps = { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger };

/**
 * True when this key's listing is skipped this run: another merchant's key holds its account, or
 * its business is not known yet. A known business of this merchant's costs no Xendit call. An
 * unknown one is asked at every run, since two merchants may have saved keys of one brand-new
 * account: its first money makes it known, and no listing may book any before the account's holder
 * is decided. Skipping while Xendit says "unknown" loses nothing (an account with no invoice or
 * transaction has nothing to list); the listings pick up from where they were. Throws when Xendit
 * cannot answer (a 429 among them): that key's listing fails this run as a failed page would, and
 * is asked again at the next run, not sooner.
 */
export async function skipListing(deps: Deps, merchant: Merchant, mode: XenditMode, key: string): Promise<boolean> {
  return (await listedSince(deps, merchant, mode, key)) === null;
}

/**
 * As skipListing, null when the key's listing is skipped; else from when its account's money is
 * this merchant's (xendit_listed_since: when a key of its business was first stored for this
 * merchant and mode). What moved in the account before that, the gateway never booked in: a
 * withdrawal of it booked out of the clearing account would leave it short.
 */
export async function listedSince(deps: Deps, merchant: Merchant, mode: XenditMode, key: string): Promise<Date | null> {
  const seen = await deps.stores.xenditBusinesses.of(merchant.id, mode);
  // Recorded with the business in one commit (store/xendit-businesses.ts); when it was recorded, should it ever lack one.
  if (seen?.businessId) return seen.listedSince ?? seen.lookedAt;
  const now = deps.clock();
  if (seen?.sharedBusiness && now.getTime() - seen.lookedAt.getTime() < LOOK_AGAIN_MS) return null;
  // A key found shared is tried again as it is: the other merchant may have changed its key since.
  const business = seen?.sharedBusiness ?? (await deps.xendit.businessOf(key));
  if (
    business &&
    !(await deps.stores.xenditBusinesses.holder(business, mode)) &&
    !(await storedFirst(deps, merchant, mode, key, business, seen?.lookedAt ?? now))
  )
    return null;
  // No row: a key stored with its merchant (the CLI, the demo), so from the merchant's creation.
  const outcome = await deps.stores.xenditBusinesses.found(merchant.id, mode, business, seen, now, merchant.createdAt);
  if (outcome.found === 'own') return outcome.listedSince;
  const { found } = outcome;
  // 'changed': a key saved meanwhile, checked as it was saved; the next run looks at it.
  if (found !== 'shared') {
    deps.logger.debug({ merchantId: merchant.id, mode, found }, "Xendit key's business not known yet: nothing listed for it this run");
    return null;
  }
  const heldBy = business ? await deps.stores.xenditBusinesses.holder(business, mode) : null;
  deps.logger.error(
    { merchantId: merchant.id, mode, business, heldBy },
    'Xendit account shared with another merchant: its withdrawals, paid invoices and refunds are not listed for this one',
  );
  await raiseAlert(deps, {
    merchantId: merchant.id,
    kind: 'xenditAccountShared',
    message: message('alerts:xenditAccountShared', { merchant: merchant.name, mode, business: business ?? '' }),
    dedupeKey: `xenditAccountShared:${merchant.id}:${mode}`,
  });
  return null;
}

/**
 * `business`, just told by this merchant's key and held by nobody, may be the account of another
 * merchant's key stored earlier while its account could not tell (both saves passed): that key
 * holds it, recorded here, and this one is then found shared. Usually no such key, and no call.
 * Throws when one of them cannot answer (the caller skips this run); a key Xendit refuses (401)
 * reaches no account and cannot be the one. False when that key was replaced meanwhile: the next
 * run decides.
 */
async function storedFirst(deps: Deps, merchant: Merchant, mode: XenditMode, key: string, business: string, storedAt: Date): Promise<boolean> {
  for (const other of await deps.stores.xenditBusinesses.unknownBefore(mode, storedAt, merchant.id)) {
    const m = await deps.stores.merchants.byId(other.merchantId);
    const theirs = m && listingKeys(m).find((k) => k.mode === mode)?.key;
    if (!theirs) continue;
    const told =
      theirs === key
        ? business
        : await deps.xendit.businessOf(theirs).catch((err) => {
            if (err instanceof UpstreamError && err.kind === 'unauthorized') return null;
            throw err;
          });
    if (told !== business) continue;
    const { found } = await deps.stores.xenditBusinesses.found(other.merchantId, mode, business, other.seen, deps.clock(), m.createdAt);
    deps.logger.info(
      { merchantId: other.merchantId, mode, business, found },
      'Xendit business of a key stored earlier found by a later key of the same account',
    );
    return found !== 'changed';
  }
  return true;
}
