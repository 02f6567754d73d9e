import { Router, type Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { paths } from '../paths.js';
import type { Metrics } from './index.js';

/** Both sides hashed first: equal lengths for timingSafeEqual, and the compare says nothing about the token's length. */
function sameToken(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function bearer(req: Request): string | undefined {
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  return m?.[1];
}

/**
 * /metrics for Prometheus, with `Authorization: Bearer <METRICS_TOKEN>`. Anything else falls
 * through to the 404 every unknown path gets, so the endpoint is not discoverable (a 401 would
 * say it exists). No token configured: the route is not mounted at all.
 */
export function metricsRouter(deps: { token: string; metrics: Metrics }): Router {
  const router = Router();
  router.get(paths.metrics, async (req, res, next) => {
    const given = bearer(req);
    if (!given || !sameToken(given, deps.token)) {
      next();
      return;
    }
    const body = await deps.metrics.registry.metrics();
    res.set('Cache-Control', 'no-store').type(deps.metrics.registry.contentType).send(body);
  });
  return router;
}
