import express, { Router } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Stores } from '../store/index.js';
import type { Metrics } from '../metrics/index.js';
import { paths } from '../paths.js';
import { burstGuard, type BurstLimiter } from '../security/burst-limit.js';
import { validXeroSignature } from './signature.js';
import { acceptInvoiceEvents } from './service.js';
import { readDelivery } from './payload.js';

/** Unreadable events logged per delivery: where and why, enough to find the batch; the rest counted. */
const UNREAD_LOGGED = 5;

export interface XeroWebhookDeps {
  stores: Stores;
  clock: Clock;
  /** Unset: webhooks are not set up, and the route answers 404 like any unknown path. */
  key?: string;
  onJobEnqueued?: () => void;
  logger?: Logger;
  metrics?: Pick<Metrics, 'xeroWebhookEvents'>;
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
    // Correctly signed: only Xero (or whoever holds our key) sends it. Any answer but 2xx makes Xero
    // retry the same request "with decreasing frequency for up to 24 hours", then disable the
    // webhook until someone re-enables it (developer.xero.com/documentation/webhooks/
    // configuring-your-server). A body or event we cannot read would read no better at any retry,
    // so refusing it would only end every later delivery for every merchant: what can be read is
    // stored, the rest logged and counted, and the delivery answered 200 (the scheduled comparison
    // and an unreadable invoice event's own organisation's comparison catch what it was about).
    const delivery = readDelivery(raw);
    const unreadTenants = delivery.unread.flatMap((u) => (u.tenantId ? [u.tenantId] : []));
    if ((await acceptInvoiceEvents(deps, delivery.invoiceEvents, unreadTenants)) > 0) deps.onJobEnqueued?.();
    deps.metrics?.xeroWebhookEvents('invoice', delivery.invoiceEvents.length);
    deps.metrics?.xeroWebhookEvents('other', delivery.others);
    deps.metrics?.xeroWebhookEvents('unreadable', delivery.unread.length + (delivery.notAWebhook ? 1 : 0));
    if (delivery.notAWebhook)
      deps.logger?.warn({ why: delivery.notAWebhook, bytes: raw.length }, 'signed Xero webhook delivery not readable: answered 200, nothing stored');
    else if (delivery.unread.length)
      deps.logger?.warn(
        { unreadable: delivery.unread.length, first: delivery.unread.slice(0, UNREAD_LOGGED), handled: delivery.invoiceEvents.length },
        'Xero webhook events not readable: the others handled, their organisations compared with Xero',
      );
    res.status(200).end();
  });
  return router;
}
