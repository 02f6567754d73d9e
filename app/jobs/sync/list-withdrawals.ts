/**
 * The scheduled side of settlements: Xendit sends no webhook the gateway can rely on for
 * withdrawals, so each run reads every active merchant's newest SUCCESS withdrawals (Transactions
 * API, per currency the merchant books, up to MAX_PAGES pages each) made in the last LOOK_BACK_DAYS
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
import { modeOfXenditKey, type Merchant } from '../../store/merchant-model.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { enqueue, jobRow } from '../enqueue.js';
import { SUPPORTED_CURRENCIES, type Currency } from '../../money.js';

const PAGE_SIZE = 50;
const MAX_PAGES = 4;
/**
 * Xendit says its listing is ordered by creation date, not which way. Reading only the last weeks
 * finds every withdrawal either way while a currency has fewer than MAX_PAGES pages of them in that
 * time; an older one never booked still shows on the reconciliation report, read by its own dates.
 */
const LOOK_BACK_DAYS = 45;

/**
 * The currencies the merchant books (Xendit's Transactions API may refuse an account with several
 * currencies a listing that names none); before anything is booked, every currency the gateway
 * books, so a withdrawal of money Xendit held before the first payment is still found.
 */
async function currenciesOf(stores: Stores, merchantId: string): Promise<Currency[]> {
  const booked = new Set(await stores.merchants.bookedCurrencies(merchantId));
  return booked.size ? SUPPORTED_CURRENCIES.filter((c) => booked.has(c)) : [...SUPPORTED_CURRENCIES];
}

type Deps = { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger };

export function listWithdrawalsJob(deps: Deps) {
  return async (): Promise<void> => {
    for (const merchant of await deps.stores.merchants.list()) {
      if (merchant.status !== 'active' || !merchant.xenditSecretKey) continue;
      // One currency Xendit will not list (one the account never held, say) holds up no other.
      for (const currency of await currenciesOf(deps.stores, merchant.id)) {
        try {
          await listCurrency(deps, merchant, currency);
        } catch (err) {
          deps.logger.warn({ err: String(err), merchantId: merchant.id, currency }, 'could not list withdrawals at Xendit');
        }
      }
    }
  };
}

/** One currency's withdrawals: its after_id continues that currency's listing only. */
async function listCurrency(deps: Deps, merchant: Merchant, currency: Currency): Promise<void> {
  const live = modeOfXenditKey(merchant.xenditSecretKey) === 'live';
  let afterId: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { withdrawals, hasMore, lastId } = await deps.xendit.listWithdrawals(merchant.xenditSecretKey, {
      currency,
      limit: PAGE_SIZE,
      afterId,
      createdAfter: new Date(Math.max(merchant.createdAt.getTime(), deps.clock().getTime() - LOOK_BACK_DAYS * 86_400_000)),
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
