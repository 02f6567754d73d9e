/**
 * Reads each active merchant's open sales invoices from Xero (up to MAX_PAGES pages of PAGE_SIZE per
 * run: one Xero call per 1 000 open invoices), so that a customer's first click on a real invoice's
 * own link (its number, currency and amount) is counted apart from other links at /pay (pay-clicks.sql). A complete read
 * also forgets the numbers no longer open; a partial one (more pages than a run reads) only adds.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import { awaitingXero } from '../../store/merchant-model.js';
import type { XeroGateway } from '../../clients/xero/types.js';

const PAGE_SIZE = 1000;
const MAX_PAGES = 5;

export function syncOpenInvoicesJob(deps: { stores: Stores; xero: XeroGateway; clock: Clock; logger: Logger }) {
  return async (): Promise<void> => {
    for (const merchant of await deps.stores.merchants.list()) {
      if (merchant.status !== 'active' || awaitingXero(merchant) || merchant.xeroDisconnected !== null) continue;
      const runAt = deps.clock();
      try {
        let complete = false;
        for (let page = 1; page <= MAX_PAGES; page++) {
          const { invoices, more } = await deps.xero.listOpenInvoiceNumbers(merchant.xero, page, PAGE_SIZE);
          await deps.stores.openInvoices.saw(merchant.id, invoices, runAt);
          if (!more) {
            complete = true;
            break;
          }
        }
        if (complete) await deps.stores.openInvoices.forgetUnseen(merchant.id, runAt);
      } catch (err) {
        // One merchant's Xero trouble must not stop the others; the next run reads again.
        deps.logger.warn({ err: String(err), merchantId: merchant.id }, 'could not read open invoice numbers from Xero');
      }
    }
  };
}
