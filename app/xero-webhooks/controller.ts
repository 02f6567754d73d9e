import express, { Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import { paths } from '../paths.js';
import { unstorableReason } from '../security/body-bounds.js';
import { burstGuard, type BurstLimiter } from '../security/burst-limit.js';
import { validXeroSignature } from './signature.js';
import { acceptInvoiceEvents } from './service.js';

// developer.xero.com/documentation/guides/webhooks/overview: the payload's fields. Unknown fields
// are allowed (Xero may add some); events of other categories (CONTACT, SUBSCRIPTION) are ignored.
const Event = z.looseObject({
  resourceId: z.string().min(1).max(100),
  eventDateUtc: z.string().min(1).max(40),
  eventCategory: z.string().max(40),
  tenantId: z.string().min(1).max(100),
});
const Body = z.looseObject({ events: z.array(z.unknown()) });
const isInvoiceEvent = (e: unknown) => !!e && typeof e === 'object' && (e as { eventCategory?: unknown }).eventCategory === 'INVOICE';

export interface XeroWebhookDeps {
  stores: Stores;
  clock: Clock;
  /** Unset: webhooks are not set up, and the route answers 404 like any unknown path. */
  key?: string;
  onJobEnqueued?: () => void;
  /**
   * POSTs per client a minute (XERO_WEBHOOKS_PER_MINUTE), counted before the body is read and its
   * HMAC worked out: anyone may post here, and each costs up to 256 kB read and signed.
   */
  burst?: BurstLimiter;
}

/**
 * Xero's webhooks: a signed delivery is stored (as checks of the invoices it names) and answered
 * 200 with an empty body at once; a wrongly signed one gets 401 and changes nothing. That is also
 * all Xero's "intent to receive" test asks (developer.xero.com/documentation/guides/webhooks/
 * configuring-your-server: 200 for a correct signature, 401 otherwise, within 5 seconds).
 */
export function xeroWebhookRouter(deps: XeroWebhookDeps): Router {
  const router = Router();
  // Not set up: 404 with the body unread. Past the client's count: a bare 429 (Xero wants no body,
  // and retries a refused delivery for 24 hours), the body unread and no HMAC worked out.
  const setUp: express.RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    if (!deps.key) return void res.status(404).end();
    next();
  };
  const counted: express.RequestHandler = deps.burst
    ? burstGuard(deps.burst, 'xero-webhook', (res, wait) => void res.status(429).set('Retry-After', String(wait)).end())
    : (_req, _res, next) => next();
  router.post(paths.xeroWebhook, setUp, counted, express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!deps.key || !validXeroSignature(raw, req.get('x-xero-signature'), deps.key)) {
      res.status(401).end();
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      res.status(400).end();
      return;
    }
    // The signature is Xero's: the bounds apply to the events handled, not to the whole batch
    // (which the 256 kB body limit already bounds), so a large batch is not refused at every retry.
    const parsed = Body.safeParse(body);
    if (!parsed.success || parsed.data.events.some((e) => !e || typeof e !== 'object' || Array.isArray(e))) {
      res.status(400).end();
      return;
    }
    const invoiceEvents = parsed.data.events.filter(isInvoiceEvent);
    // Every invoice event is handled, however many: the scheduled comparison may be off
    // (OPEN_CHECKOUT_CHECK_MINUTES=0), so one left out could leave a checkout payable.
    const kept = invoiceEvents.map((e) => (unstorableReason(e) ? undefined : Event.safeParse(e)));
    if (kept.some((e) => !e?.success)) {
      res.status(400).end();
      return;
    }
    const events = kept.map((e) => e!.data!).map((e) => ({ tenantId: e.tenantId, invoiceId: e.resourceId, eventDateUtc: e.eventDateUtc }));
    if ((await acceptInvoiceEvents(deps, events)) > 0) deps.onJobEnqueued?.();
    res.status(200).end();
  });
  return router;
}
