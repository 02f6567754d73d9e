import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { Stores } from '../../store/index.js';
import type { Job } from '../../store/jobs.js';
import type { XenditGateway } from '../../clients/xendit/types.js';
import { VerifyCheckoutPayload } from '../kinds.js';
import { enqueue } from '../enqueue.js';
import { NeedsReview } from '../runner.js';
import { isTwin } from './twin-invoices.js';

/**
 * A callback other than PAID (EXPIRED) is a claim, not a fact: anyone holding the callback token
 * can send one. The checkout changes only after Xendit, asked with the merchant's key, says so;
 * a forged EXPIRED must not close a checkout the customer can still pay (the next click would
 * then open a second payable invoice).
 */
export function verifyCheckoutJob(deps: { stores: Stores; xendit: XenditGateway; clock: Clock; logger: Logger }) {
  return async (job: Job): Promise<void> => {
    const { merchantId, xenditInvoiceId } = VerifyCheckoutPayload.parse(job.payload);
    const merchant = await deps.stores.merchants.byId(merchantId);
    if (!merchant) throw new NeedsReview(`merchant ${merchantId} no longer exists`);
    const invoice = await deps.xendit.getInvoice(merchant.xenditSecretKey, xenditInvoiceId);
    const checkout = invoice && (await deps.stores.checkouts.forXenditInvoice(merchant.id, invoice.id, invoice.externalId));
    if (!invoice || !checkout) {
      deps.logger.warn({ merchantId, xenditInvoiceId }, 'callback for an invoice Xendit or we do not know: nothing changed');
      return;
    }
    if (invoice.status === 'EXPIRED' && isTwin(checkout, invoice.id)) {
      // Found by its external id, but not the checkout's own invoice (twin-invoices.ts): that one may
      // still be payable, and closing the checkout would have the next click open another beside it.
      deps.logger.info({ merchantId, xenditInvoiceId, checkoutId: checkout.id }, "a twin of the checkout's own Xendit invoice expired: checkout left as it is");
    } else if (invoice.status === 'EXPIRED') {
      await deps.stores.checkouts.transition(checkout.id, ['open', 'superseded'], 'expired', deps.clock());
    } else if (invoice.status === 'PAID' || invoice.status === 'SETTLED') {
      // Paid after all (the PAID callback may come later or never): recorded by the usual job, once.
      await enqueue(deps.stores.jobs, 'record-payment', { merchantId, xenditInvoiceId: invoice.id }, deps.clock());
    } else {
      deps.logger.warn({ merchantId, xenditInvoiceId, xenditStatus: invoice.status }, 'callback status not confirmed by Xendit: checkout left as it is');
    }
  };
}
