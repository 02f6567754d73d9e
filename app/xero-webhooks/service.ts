import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { NewJobRow } from '../store/jobs.js';
import { jobRow } from '../jobs/enqueue.js';

export interface XeroInvoiceEvent {
  tenantId: string;
  invoiceId: string;
  /** Xero's eventDateUtc: with the invoice, it names the event (a redelivery is the same job). */
  eventDateUtc: string;
}

/**
 * One comparison per merchant in this window, however many unreadable events (or redeliveries of
 * their batch) name its organisation: a run reads up to 250 open checkouts' invoices from Xero.
 */
const COMPARE_WINDOW_MS = 5 * 60_000;

/**
 * Queues a check of each invoice an event names that has a live checkout here; other events
 * (organisations or invoices we never made a checkout for) cost one database read and nothing
 * else. An invoice event we could not read still names its organisation (`unreadTenants`): that
 * organisation's merchants get a comparison of all their open checkouts with Xero at once, as
 * the scheduled one does (which may be off), so the change it was about is not missed. Returns how
 * many jobs were queued; the webhook is answered once they are stored.
 */
export async function acceptInvoiceEvents(deps: { stores: Stores; clock: Clock }, events: XeroInvoiceEvent[], unreadTenants: string[] = []): Promise<number> {
  const now = deps.clock();
  const jobs: NewJobRow[] = [];
  const watched = await deps.stores.invoiceWatch.liveAmong(events);
  if (watched.length) {
    const latest = new Map<string, string>();
    for (const e of events) {
      const key = `${e.tenantId}:${e.invoiceId.toLowerCase()}`;
      if (!latest.has(key) || latest.get(key)! < e.eventDateUtc) latest.set(key, e.eventDateUtc);
    }
    const tenantOf = new Map(events.map((e) => [e.invoiceId.toLowerCase(), e.tenantId]));
    for (const w of watched) {
      const event = latest.get(`${tenantOf.get(w.xeroInvoiceId.toLowerCase())}:${w.xeroInvoiceId.toLowerCase()}`) ?? now.toISOString();
      jobs.push(jobRow('check-invoice', { merchantId: w.merchantId, xeroInvoiceId: w.xeroInvoiceId, event: event.slice(0, 40) }, now));
    }
  }
  const slot = new Date(Math.floor(now.getTime() / COMPARE_WINDOW_MS) * COMPARE_WINDOW_MS);
  for (const merchantId of await deps.stores.invoiceWatch.merchantsWithOpenIn([...new Set(unreadTenants)]))
    jobs.push(jobRow('check-open-checkouts', { merchantId }, now, { slot }));
  return deps.stores.invoiceWatch.queue(jobs);
}
