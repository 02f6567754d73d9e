import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import { jobRow } from '../jobs/enqueue.js';

export interface XeroInvoiceEvent {
  tenantId: string;
  invoiceId: string;
  /** Xero's eventDateUtc: with the invoice, it names the event (a redelivery is the same job). */
  eventDateUtc: string;
}

/**
 * Queues a check of each invoice an event names that has a live checkout here; other events
 * (organisations or invoices we never made a checkout for) cost one database read and nothing
 * else. Returns how many checks were queued; the webhook is answered once they are stored.
 */
export async function acceptInvoiceEvents(deps: { stores: Stores; clock: Clock }, events: XeroInvoiceEvent[]): Promise<number> {
  const watched = await deps.stores.invoiceWatch.liveAmong(events);
  if (watched.length === 0) return 0;
  const now = deps.clock();
  const latest = new Map<string, string>();
  for (const e of events) {
    const key = `${e.tenantId}:${e.invoiceId.toLowerCase()}`;
    if (!latest.has(key) || latest.get(key)! < e.eventDateUtc) latest.set(key, e.eventDateUtc);
  }
  const tenantOf = new Map(events.map((e) => [e.invoiceId.toLowerCase(), e.tenantId]));
  return deps.stores.invoiceWatch.queue(
    watched.map((w) => {
      const event = latest.get(`${tenantOf.get(w.xeroInvoiceId.toLowerCase())}:${w.xeroInvoiceId.toLowerCase()}`) ?? now.toISOString();
      return jobRow('check-invoice', { merchantId: w.merchantId, xeroInvoiceId: w.xeroInvoiceId, event: event.slice(0, 40) }, now);
    }),
  );
}
