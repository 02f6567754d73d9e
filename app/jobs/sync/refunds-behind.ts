/**
 * When refunds can really be missed, a person is told (alert refundsBehind). The GET /refunds
 * listing falling behind, or its cursor lapsing, is not that: a run in which it does also walks the
 * refunds' REFUND transactions by time (list-refund-transactions.ts), which finds what it left. So
 * the alert is raised by that walk, per key mode and currency, only when it cannot make up for it:
 * - a walk of it begun a day ago or more is still not finished at the end of a run (more refunds
 *   made than it reads, its reads spent every run, or a page failing mid-walk since), or
 * - it failed this run, and the GET /refunds walk it stands in for has been behind a day or more
 *   (a Transactions API refused or down from its first page keeps no walk to age).
 * Each run below that only logs; a refund's webhook still books it meanwhile.
 */
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { ListingAt } from '../../store/settlements.js';
import type { XenditMode } from '../../store/merchant-model.js';
import { raiseAlert } from '../../alerts/raise.js';
import { message } from '../../i18n/index.js';

/** Behind this long: told. A run every few minutes makes dozens of tries in that time. */
export const BEHIND_ALERT_MS = 86_400_000;

/**
 * After a run of the by-time listing for `at`: told when its kept walk began BEHIND_ALERT_MS ago or
 * more, or when it failed this run (`failed`) while the GET /refunds walk has been behind since
 * `listingBehindSince` for as long.
 */
export async function refundsBehindCheck(
  deps: { stores: Stores; clock: Clock },
  at: ListingAt & { mode: XenditMode; currency: string },
  { failed, listingBehindSince }: { failed: boolean; listingBehindSince?: Date },
): Promise<void> {
  const now = deps.clock().getTime();
  const old = (d: Date | null | undefined): d is Date => d != null && now - d.getTime() >= BEHIND_ALERT_MS;
  const kept = (await deps.stores.settlements.listCursor(at))?.startedAt;
  const since = old(kept) ? kept : failed && old(listingBehindSince) ? listingBehindSince : null;
  if (!since) return;
  await raiseAlert(deps, {
    merchantId: at.merchantId,
    kind: 'refundsBehind',
    message: message('alerts:refundsBehind', { mode: at.mode, currency: at.currency, since: since.toISOString().slice(0, 16).replace('T', ' ') }),
    dedupeKey: `refundsBehind:${at.merchantId}:${at.mode}`,
  });
}
