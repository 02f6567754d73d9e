/**
 * The scheduled side of settlements: Xendit sends no webhook the gateway can rely on for
 * withdrawals, so each run reads every active or disabled merchant's newest SUCCESS withdrawals (Transactions
 * API, per currency, up to MAX_PAGES pages each) made, or sent back, in the last LOOK_BACK_DAYS
 * and since the merchant was added to the gateway (older ones left Xendit before the gateway
 * recorded anything into the clearing account), makes
 * the row of each one not seen before and queues a record-withdrawal job for it. The dedupe key
 * makes any number of runs one job per withdrawal. A withdrawal Xendit lists as REVERSED (the bank
 * sent it back into the balance) has its job queued again, to bring the money back in Xero too.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import { listsMovements, modeOfXenditKey, type Merchant } from '../../store/merchant-model.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { enqueue, jobRow } from '../enqueue.js';
import { SUPPORTED_CURRENCIES, type Currency } from '../../money.js';
import { UpstreamError } from '../../clients/types.js';

const PAGE_SIZE = 50;
const MAX_PAGES = 4;
/**
 * Xendit says its listing is ordered by creation date, not which way. Reading only the last weeks
 * (made, or sent back, in them) finds every withdrawal either way while a currency has fewer than
 * MAX_PAGES pages of them in that time; an older one never booked still shows on the reconciliation
 * report of its own month.
 */
const LOOK_BACK_DAYS = 45;

type Deps = { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger };

export function listWithdrawalsJob(deps: Deps) {
  return async (): Promise<void> => {
    for (const merchant of await deps.stores.merchants.list()) {
      if (!listsMovements(merchant)) continue;
      const since = new Date(Math.max(merchant.createdAt.getTime(), deps.clock().getTime() - LOOK_BACK_DAYS * 86_400_000));
      // Every currency the gateway books, one at a time (an account holding several must name one);
      // one Xendit will not list (one the account never held, say) holds up no other.
      for (const currency of SUPPORTED_CURRENCIES) {
        for (const window of [{ createdAfter: since }, { reversedAfter: since }]) {
          try {
            await listCurrency(deps, merchant, currency, window);
          } catch (err) {
            const refused = err instanceof UpstreamError && err.kind === 'rejected';
            deps.logger[refused ? 'debug' : 'warn']({ err: String(err), merchantId: merchant.id, currency }, 'could not list withdrawals at Xendit');
          }
        }
      }
    }
  };
}

/**
 * One currency's withdrawals made since `createdAfter`, or sent back since `reversedAfter` (one
 * made long ago may come back late): its after_id continues that listing only.
 */
async function listCurrency(deps: Deps, merchant: Merchant, currency: Currency, window: { createdAfter?: Date; reversedAfter?: Date }): Promise<void> {
  const live = modeOfXenditKey(merchant.xenditSecretKey) === 'live';
  let afterId: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { withdrawals, hasMore, lastId } = await deps.xendit.listWithdrawals(merchant.xenditSecretKey, {
      currency,
      limit: PAGE_SIZE,
      afterId,
      ...window,
    });
    for (const w of withdrawals) {
      const known = await deps.stores.settlements.byXenditId(merchant.id, w.id);
      if (known && (w.status === 'REVERSED' ? known.state === 'reversed' || known.state === 'test_mode' : known.state !== 'pending')) continue;
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
          },
          now,
        ));
      const payload = { merchantId: merchant.id, xenditTransactionId: row.xenditTransactionId, live };
      if (w.status === 'REVERSED') {
        // Its job (queued again if it finished) books the money coming back, or marks it done when nothing went to Xero.
        const back = w.updated && !Number.isNaN(Date.parse(w.updated)) ? new Date(w.updated) : now;
        if (await deps.stores.settlements.noteReversed(row, back, jobRow('record-withdrawal', payload, now), now))
          deps.logger.info({ merchantId: merchant.id, xenditTransactionId: w.id }, 'withdrawal reversed at Xendit');
        continue;
      }
      if (await enqueue(deps.stores.jobs, 'record-withdrawal', payload, now)) {
        deps.logger.info({ merchantId: merchant.id, xenditTransactionId: w.id }, 'withdrawal found at Xendit');
      }
    }
    if (!hasMore || !lastId) return;
    afterId = lastId;
  }
}
