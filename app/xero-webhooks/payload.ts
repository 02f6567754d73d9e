import { z } from 'zod';
import { unstorableReason } from '../security/body-bounds.js';
import type { XeroInvoiceEvent } from './service.js';

// developer.xero.com/documentation/webhooks/overview: the payload's fields. Unknown fields are
// allowed (Xero may add some); events of other categories (CONTACT, SUBSCRIPTION) are ignored.
const Event = z.looseObject({
  resourceId: z.string().min(1).max(100),
  eventDateUtc: z.string().min(1).max(40),
  eventCategory: z.string().max(40),
  tenantId: z.string().min(1).max(100),
});
const Body = z.looseObject({ events: z.array(z.unknown()) });
const TenantId = z.string().min(1).max(100);

/** What is logged of an event we could not read: where it was and why, never its content. */
export interface UnreadEvent {
  index: number;
  why: string;
  tenantId?: string;
}

export interface Delivery {
  invoiceEvents: XeroInvoiceEvent[];
  /** Events of other categories (CONTACT, SUBSCRIPTION): nothing to do. */
  others: number;
  unread: UnreadEvent[];
  /** Set when the body itself is not a webhook payload (not JSON, no events array). */
  notAWebhook?: string;
}

const categoryOf = (e: object) => (e as { eventCategory?: unknown }).eventCategory;

/** The events of a signed delivery, each read on its own: one that cannot be read costs only itself. */
export function readDelivery(raw: Buffer): Delivery {
  const none: Delivery = { invoiceEvents: [], others: 0, unread: [] };
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ...none, notAWebhook: 'not JSON' };
  }
  const parsed = Body.safeParse(body);
  if (!parsed.success) return { ...none, notAWebhook: 'no events array' };
  const delivery: Delivery = { ...none, invoiceEvents: [] };
  parsed.data.events.forEach((e, index) => {
    if (!e || typeof e !== 'object' || Array.isArray(e)) return void delivery.unread.push({ index, why: 'not an object' });
    const category = categoryOf(e);
    if (typeof category === 'string' && category !== 'INVOICE') return void delivery.others++;
    // Every invoice event is handled, however many: the scheduled comparison may be off
    // (OPEN_CHECKOUT_CHECK_MINUTES=0), so one left out could leave a checkout payable.
    const unstorable = unstorableReason(e);
    const event = unstorable ? undefined : Event.safeParse(e);
    if (event?.success && category === 'INVOICE')
      return void delivery.invoiceEvents.push({ tenantId: event.data.tenantId, invoiceId: event.data.resourceId, eventDateUtc: event.data.eventDateUtc });
    const tenant = TenantId.safeParse((e as { tenantId?: unknown }).tenantId);
    const why = unstorable ?? (category === undefined ? 'no eventCategory' : (event?.error?.issues[0]?.path.join('.') ?? 'unreadable') + ' unreadable');
    // An event of unknown category naming an organisation may be an invoice's: treated as one.
    delivery.unread.push({ index, why, ...(tenant.success && !unstorableReason(tenant.data) ? { tenantId: tenant.data } : {}) });
  });
  return delivery;
}
