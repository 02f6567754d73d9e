/**
 * The scheduled side of settlements: Xendit sends no webhook the gateway can rely on for
 * withdrawals, so each run reads every active merchant's newest SUCCESS withdrawals (Transactions
 * API, up to MAX_PAGES pages, newest first) made since the merchant was added to the gateway
 * (older ones left Xendit before the gateway recorded anything into the clearing account), makes
 * the row of each one not seen before and queues a record-withdrawal job for it. The dedupe key
 * makes any number of runs one job per withdrawal. A withdrawal Xendit lists as REVERSED (the bank
 * sent it back into the balance) has its job queued again, to bring the money back in Xero too.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import { modeOfXenditKey } from '../../store/merchant-model.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { enqueue, jobRow } from '../enqueue.js';

const PAGE_SIZE = 50;
const MAX_PAGES = 4;

export function listWithdrawalsJob(deps: { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger }) {
  return async (): Promise<void> => {
    for (const merchant of await deps.stores.merchants.list()) {
      if (merchant.status !== 'active' || !merchant.xenditSecretKey) continue;
      const live = modeOfXenditKey(merchant.xenditSecretKey) === 'live';
      try {
        let afterId: string | undefined;
        for (let page = 0; page < MAX_PAGES; page++) {
          const { withdrawals, hasMore, lastId } = await deps.xendit.listWithdrawals(merchant.xenditSecretKey, {
            limit: PAGE_SIZE,
            afterId,
            createdAfter: merchant.createdAt,
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
          if (!hasMore || !lastId) break;
          afterId = lastId;
        }
      } catch (err) {
        deps.logger.warn({ err: String(err), merchantId: merchant.id }, 'could not list withdrawals at Xendit');
      }
    }
  };
}
