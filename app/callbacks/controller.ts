import express, { Router, type ErrorRequestHandler } from 'express';
import { z } from 'zod';
import { BadRequest, UnsupportedMediaType } from '../errors.js';
import { paths } from '../paths.js';
import type { Stores } from '../store/index.js';
import type { Clock } from '../clock.js';
import { acceptCallback, authenticateCallback } from './service.js';
import { createCallbackTokenCache } from './token-cache.js';
import { callbackRefusalOf, type Metrics } from '../metrics/index.js';

const InvoiceCallback = z.looseObject({
  id: z.string().min(1).max(100),
  external_id: z.string().min(1).max(1000),
  status: z.string().min(1).max(40),
});

// PostgreSQL's jsonb refuses NUL and lone surrogates: such a body could never be stored.
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Xendit's invoice callback is a few levels deep; anything far deeper or wider is not from Xendit. */
export const BODY_MAX_DEPTH = 32;
export const BODY_MAX_NODES = 5000;

/**
 * Why the parsed body cannot be stored, or null. Walked with an explicit stack so a body nested
 * thousands of levels cannot overflow ours (nor PostgreSQL's when jsonb parses it), and stopped at
 * the first node past the bounds, so the walk costs at most BODY_MAX_NODES steps. PostgreSQL text
 * and jsonb cannot hold NUL or a lone surrogate either.
 */
export function unstorableReason(body: unknown): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 0 }];
  let nodes = 0;
  while (stack.length) {
    const { value, depth } = stack.pop()!;
    if (++nodes > BODY_MAX_NODES) return `body has more than ${BODY_MAX_NODES} values`;
    if (typeof value === 'string') {
      if (UNSTORABLE.test(value)) return 'body contains NUL or unpaired surrogate characters';
    } else if (value && typeof value === 'object') {
      if (depth >= BODY_MAX_DEPTH) return `body nested deeper than ${BODY_MAX_DEPTH} levels`;
      if (Array.isArray(value)) for (const v of value) stack.push({ value: v, depth: depth + 1 });
      else
        for (const [k, v] of Object.entries(value)) {
          if (UNSTORABLE.test(k)) return 'body contains NUL or unpaired surrogate characters';
          stack.push({ value: v, depth: depth + 1 });
        }
    }
  }
  return null;
}

export interface CallbackDeps {
  stores: Stores;
  clock: Clock;
  /** Called after a job was durably queued, so an in-process worker can start at once. */
  onJobEnqueued?: () => void;
  /** Counts each callback by outcome. */
  metrics?: Pick<Metrics, 'callback'>;
}

export function callbackRouter(deps: CallbackDeps): Router {
  const router = Router();
  const tokens = createCallbackTokenCache({ load: (id) => deps.stores.merchants.callbackToken(id), clock: deps.clock });
  // A refusal (any step, body parsing included) is counted where the router hands it on.
  const countRefusal: ErrorRequestHandler = (err, _req, _res, next) => {
    deps.metrics?.callback(callbackRefusalOf(err));
    next(err);
  };
  router.post(
    paths.xenditCallback,
    // Who is calling is settled before the body is even read: no token, no parsing, no writes.
    async (req, res, next) => {
      res.locals.merchantId = await authenticateCallback(tokens, String(req.params.merchantId), req.get('x-callback-token'));
      next();
    },
    express.json({ limit: '64kb', type: 'application/json', strict: true }),
    async (req, res) => {
      if (!req.is('application/json')) throw new UnsupportedMediaType();
      const unstorable = unstorableReason(req.body);
      if (unstorable) throw new BadRequest(unstorable);
      const parsed = InvoiceCallback.safeParse(req.body);
      if (!parsed.success) throw new BadRequest(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      const outcome = await acceptCallback(deps, res.locals.merchantId as string, parsed.data);
      if ('duplicate' in outcome && !outcome.duplicate) deps.onJobEnqueued?.();
      deps.metrics?.callback('ignored' in outcome ? 'ignored' : outcome.duplicate ? 'duplicate' : 'stored');
      res.status(200).json(outcome);
    },
  );
  router.use(paths.xenditCallback, countRefusal);
  return router;
}
