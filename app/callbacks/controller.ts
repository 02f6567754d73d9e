import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { BadRequest, NotFoundJson, TooManyRequests, Unauthorized, UnsupportedMediaType } from '../errors.js';
import { paths } from '../paths.js';
import type { Stores } from '../store/index.js';
import type { Clock } from '../clock.js';
import type { Logger } from 'pino';
import { acceptCallback, acceptDisputeWebhook, acceptRefundWebhook, authenticateCallback } from './service.js';
import type { CallbackTokenCache } from './token-cache.js';
import { createMerchantIds } from './merchant-ids.js';
import { callbackRefusalOf, type Metrics } from '../metrics/index.js';
import { isUuid } from '../security/uuid.js';
import { unstorableReason } from '../security/body-bounds.js';
import { burstKey, createBurstLimiter, type BurstLimiter } from '../security/burst-limit.js';

const InvoiceCallback = z.looseObject({
  id: z.string().min(1).max(100),
  external_id: z.string().min(1).max(1000),
  status: z.string().min(1).max(40),
});

const RefundInBody = z.looseObject({ id: z.string().min(1).max(100) });
/**
 * Two shapes are documented: xendit-node's RefundCallback puts the refund in `data`; docs.xendit.co
 * "Refund webhook notification" wraps a whole {event, business_id, created, data} envelope in
 * `data`. Either is only a hint (the job reads the refund from Xendit), so only the id is taken.
 */
const RefundWebhook = z.union([
  z.looseObject({ event: z.string().min(1).max(60), data: RefundInBody }).transform((b) => b.data.id),
  z.looseObject({ event: z.string().min(1).max(60), data: z.looseObject({ data: RefundInBody }) }).transform((b) => b.data.data.id),
]);

/** docs.xendit.co "Dispute Webhook Notifications": the event name beside the dispute object; only id and status are used. */
const DisputeWebhook = z.looseObject({
  event: z.string().min(1).max(60),
  id: z.string().min(1).max(100),
  status: z.string().max(40).optional(),
});

export interface CallbackDeps {
  stores: Stores;
  clock: Clock;
  logger?: Logger;
  /** Called after a job was durably queued, so an in-process worker can start at once. */
  onJobEnqueued?: () => void;
  /** Counts each callback by outcome. */
  metrics?: Pick<Metrics, 'callback'>;
  /** Refused callbacks (wrong token, unknown merchant) per client per minute before the database is no longer asked; 0: no limit. */
  failuresPerMinute: number;
  /** The process's memory of callback tokens, shared with the admin, which forgets a merchant's when it saves a new one. */
  tokens: CallbackTokenCache;
  /** The refusal counters (per merchant URL and client, per client); made from failuresPerMinute when not given (tests look at their size). */
  refusals?: { perUrl: BurstLimiter; perClient: BurstLimiter };
}

export function callbackRouter(deps: CallbackDeps): Router {
  const router = Router();
  const { tokens } = deps;
  // Refusals are counted, not callbacks: Xendit sends every merchant's callbacks from a few
  // addresses, and a busy gateway must not throttle them. A client over the count still gets a
  // token the cache knows accepted; only its database reads are refused (429: Xendit retries).
  // Per merchant URL and client: one merchant's refusals (a token regenerated at Xendit and not
  // here, a merchant removed) from Xendit's few addresses must not hold up the others' callbacks.
  // Per client alone, ten times as many: the bound on one client trying many merchant ids. That
  // one holds up only ids that are no merchant's (merchantIds, read once per few seconds and only
  // for a client past it): anyone's own Xendit account can send test callbacks to made-up ids here
  // from the addresses Xendit sends every merchant's from, and must not stop those.
  const refusals = deps.refusals?.perUrl ?? createBurstLimiter({ clock: deps.clock, limit: deps.failuresPerMinute, windowSeconds: 60 });
  const refusalsPerClient = deps.refusals?.perClient ?? createBurstLimiter({ clock: deps.clock, limit: deps.failuresPerMinute * 10, windowSeconds: 60 });
  const merchantIds = createMerchantIds({ load: () => deps.stores.merchants.ids(), clock: deps.clock });
  // A refusal (any step, body parsing included) is counted where the router hands it on.
  const countRefusal: ErrorRequestHandler = (err, _req, _res, next) => {
    deps.metrics?.callback(callbackRefusalOf(err));
    next(err);
  };
  // Who is calling is settled before the body is even read: no token, no parsing, no writes.
  const authenticated: RequestHandler = async (req, res, next) => {
    const client = burstKey('callback-refused', req);
    const asSent = String(req.params.merchantId);
    // No merchant has such an id: refused before any read, and counted per client alone, whose key
    // is bounded (a path segment may be 16 kB long, and anyone may send a new one each time).
    if (!isUuid(asSent)) {
      const wait = refusalsPerClient.hit(client);
      if (wait !== null) throw new TooManyRequests(`callback refusals from ${client}`, wait);
      throw new NotFoundJson('unknown merchant');
    }
    // One spelling for the counters, the caches and the stores: PostgreSQL reads a uuid in either case.
    const merchantId = asSent.toLowerCase();
    const url = `${client}:${merchantId}`;
    const refuse = (wait: number) => {
      throw new TooManyRequests(`callback refusals from ${client}`, wait);
    };
    // A promise only for a client past its count, while which merchants exist is asked.
    const beforeRead = (): void | Promise<void> => {
      const wait = refusals.spent(url);
      if (wait !== null) return refuse(wait);
      const clientWait = refusalsPerClient.spent(client);
      if (clientWait !== null) return merchantIds.has(merchantId).then((known) => void (known || refuse(clientWait)));
    };
    try {
      res.locals.merchantId = await authenticateCallback(tokens, merchantId, req.get('x-callback-token'), beforeRead);
    } catch (err) {
      if (err instanceof Unauthorized || err instanceof NotFoundJson) {
        refusals.hit(url);
        refusalsPerClient.hit(client);
      }
      throw err;
    }
    next();
  };
  const json = express.json({ limit: '64kb', type: 'application/json', strict: true });
  router.post(paths.xenditCallback, authenticated, json, async (req, res) => {
    const body = checked(InvoiceCallback, req);
    const outcome = await acceptCallback(deps, res.locals.merchantId as string, body);
    if ('duplicate' in outcome && !outcome.duplicate) deps.onJobEnqueued?.();
    deps.metrics?.callback('ignored' in outcome ? 'ignored' : outcome.duplicate ? 'duplicate' : 'stored');
    res.status(200).json(outcome);
  });
  router.post(paths.xenditRefundCallback, authenticated, json, async (req, res) => {
    const refundId = checked(RefundWebhook, req);
    const outcome = await acceptRefundWebhook(deps, res.locals.merchantId as string, refundId);
    if (!outcome.duplicate) deps.onJobEnqueued?.();
    res.status(200).json(outcome);
  });
  router.post(paths.xenditDisputeCallback, authenticated, json, async (req, res) => {
    const body = checked(DisputeWebhook, req);
    const outcome = await acceptDisputeWebhook(deps, res.locals.merchantId as string, body.id, body.status);
    if (!outcome.duplicate) deps.onJobEnqueued?.();
    res.status(200).json(outcome);
  });
  // After every route: an error handler only sees the errors of the routes mounted before it.
  router.use(paths.xenditCallback, countRefusal);
  return router;
}

/** A JSON body we can store, in the schema's shape; else 415 / 400 before anything is written. */
function checked<T>(schema: z.ZodType<T>, req: Request): T {
  if (!req.is('application/json')) throw new UnsupportedMediaType();
  const unstorable = unstorableReason(req.body);
  if (unstorable) throw new BadRequest(unstorable);
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) throw new BadRequest(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}
