/**
 * Whether a stored Xendit key's account is another merchant's too (xendit_key_businesses): then the
 * listings that book what the account does (withdrawals, the backend flow's paid invoices) skip it,
 * or each merchant would book every withdrawal of the shared account, and one would take the
 * other's checkouts for sales of its own. A key is checked when it is saved (admin
 * merchants/xendit-keys.ts); one stored before that check, or whose account could not tell its
 * business then (no invoice or transaction yet), has it found here, at its next listing, and
 * recorded; whoever's key is recorded first holds the account.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import type { Merchant, XenditMode } from '../../store/merchant-model.js';
import { raiseAlert } from '../../alerts/raise.js';
import { message } from '../../i18n/index.js';

/** A key whose business is not known yet (or whose account another key held) is asked again after this long. */
const LOOK_AGAIN_MS = 86_400_000;

type Deps = { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger };

/** True when another merchant's stored key holds this key's Xendit account: the caller skips this key's listing. */
export async function sharedAccount(deps: Deps, merchant: Merchant, mode: XenditMode, key: string): Promise<boolean> {
  const seen = await deps.stores.xenditBusinesses.of(merchant.id, mode);
  if (seen?.businessId) return false;
  const now = deps.clock();
  if (seen && now.getTime() - seen.lookedAt.getTime() < LOOK_AGAIN_MS) return Boolean(seen.sharedBusiness);
  let business: string | null;
  try {
    // A key found shared is tried again as it is: the other merchant may have changed its key since.
    business = seen?.sharedBusiness ?? (await deps.xendit.businessOf(key));
  } catch (err) {
    deps.logger.warn({ err: String(err), merchantId: merchant.id, mode }, 'could not ask Xendit which business a key belongs to');
    return Boolean(seen?.sharedBusiness);
  }
  const found = await deps.stores.xenditBusinesses.found(merchant.id, mode, business, seen, now);
  // 'changed': a key saved meanwhile, checked as it was saved; the next run looks at it.
  if (found !== 'shared') return false;
  const heldBy = business ? await deps.stores.xenditBusinesses.holder(business, mode) : null;
  deps.logger.error(
    { merchantId: merchant.id, mode, business, heldBy },
    'Xendit account shared with another merchant: its withdrawals and paid invoices are not listed for this one',
  );
  await raiseAlert(deps, {
    merchantId: merchant.id,
    kind: 'xenditAccountShared',
    message: message('alerts:xenditAccountShared', { merchant: merchant.name, mode, business: business ?? '' }),
    dedupeKey: `xenditAccountShared:${merchant.id}:${mode}`,
  });
  return true;
}
