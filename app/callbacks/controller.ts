import express, { Router } from 'express';
import { z } from 'zod';
import { BadRequest, UnsupportedMediaType } from '../errors.js';
import { paths } from '../paths.js';
import type { Stores } from '../store/index.js';
import type { Clock } from '../clock.js';
import { acceptCallback, authenticateCallback } from './service.js';
import { createCallbackTokenCache } from './token-cache.js';

const InvoiceCallback = z.looseObject({
  id: z.string().min(1).max(100),
  external_id: z.string().min(1).max(1000),
  status: z.string().min(1).max(40),
});

const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** PostgreSQL text and jsonb cannot hold NUL or a lone surrogate: such a body is refused, not stored. */
export function storable(value: unknown): boolean {
  if (typeof value === 'string') return !UNSTORABLE.test(value);
  if (Array.isArray(value)) return value.every(storable);
  if (value && typeof value === 'object') return Object.entries(value).every(([k, v]) => storable(k) && storable(v));
  return true;
}

export interface CallbackDeps {
  stores: Stores;
  clock: Clock;
  /** Called after a job was durably queued, so an in-process worker can start at once. */
  onJobEnqueued?: () => void;
}

export function callbackRouter(deps: CallbackDeps): Router {
  const router = Router();
  const tokens = createCallbackTokenCache({ load: (id) => deps.stores.merchants.callbackToken(id), clock: deps.clock });
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
      if (!storable(req.body)) throw new BadRequest('body contains NUL or unpaired surrogate characters');
      const parsed = InvoiceCallback.safeParse(req.body);
      if (!parsed.success) throw new BadRequest(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      const outcome = await acceptCallback(deps, res.locals.merchantId as string, parsed.data);
      if ('duplicate' in outcome && !outcome.duplicate) deps.onJobEnqueued?.();
      res.status(200).json(outcome);
    },
  );
  return router;
}
