/**
 * Xendit's rate limit: requests a minute per endpoint per account, over a sliding window, with the
 * Rate-Limit-* headers on every API answer.
 *
 * docs.xendit.co/apidocs/rate-limits (2025-07): "60 requests per minute (RPM) per endpoint per
 * account in Test mode. In Live mode, the limit increases to 600 RPM"; "Xendit employs the Sliding
 * Window algorithm"; API responses carry Rate-Limit-Limit, Rate-Limit-Remaining and Rate-Limit-Reset
 * ("the time remaining in the current window (in seconds)", e.g. 58.37); over the limit: 429 with
 * error code RATE_LIMIT_EXCEEDED. No Retry-After is documented. help.xendit.co "What is Rate Limit or
 * RPS" says 600 and 6000: the stricter figures are the default. The window rolls, as the Xero
 * simulator's: a call frees its place a minute after it was let through, so a client that counts
 * calendar minutes still meets a 429. The per-IP limit (18 000 a minute) is not simulated.
 */
import type { Request, Response } from 'express';
import { roll } from '../windows.js';
import { secretKeyOf } from './accounts.js';
import { xenditErrorBody } from './errors.js';
import type { Ctx, XenditSimAccount, XenditSimLimits } from './state.js';

export const DEFAULT_LIMITS: XenditSimLimits = { testPerMinute: 60, livePerMinute: 600 };

const MINUTE = 60_000;

/** Xendit's secret keys say their mode: xnd_production_… live, anything else (xnd_development_…) test. */
function live(secretKey: string): boolean {
  return secretKey.startsWith('xnd_production_');
}

function perMinute(ctx: Ctx, secretKey: string): number {
  return live(secretKey) ? ctx.limits.livePerMinute : ctx.limits.testPerMinute;
}

/** An endpoint is its method and path without the resource's id: reading one invoice and listing them are two. */
function endpointOf(req: Request): string {
  const path = req.path.replace(/\/+$/, '').replace(/^(\/v2\/invoices|\/invoices|\/transactions|\/refunds|\/v1\/disputes)\/[^/]+/, '$1/{id}');
  return `${req.method} ${path}`;
}

function headers(limit: number, remaining: number, resetMs: number): Record<string, string> {
  return { 'Rate-Limit-Limit': String(limit), 'Rate-Limit-Remaining': String(remaining), 'Rate-Limit-Reset': String(Math.max(0, resetMs) / 1000) };
}

/**
 * Counts the call against its account (the business and the key's mode: its test and live keys are
 * counted apart) and endpoint, and sets the headers; answers 429 and returns true when it is over.
 */
export function rateLimited(ctx: Ctx, req: Request, res: Response, account: XenditSimAccount): boolean {
  const t = ctx.now().getTime();
  const limit = perMinute(ctx, account.secretKey);
  const key = `${account.userId} ${live(account.secretKey) ? 'live' : 'test'} ${endpointOf(req)}`;
  const calls = ctx.windows.get(key) ?? [];
  ctx.windows.set(key, calls);
  roll(calls, t, MINUTE);
  const over = calls.length >= limit;
  if (!over) calls.push(t);
  // The window's reset: when its oldest call leaves it, and a place is free again.
  res.set(headers(limit, Math.max(0, limit - calls.length), roll(calls, t, MINUTE) - t));
  if (!over) return false;
  res.status(429).json(xenditErrorBody(429));
  return true;
}

/** A 429 the test forced (faults.ts) in the same shape: nothing left, the window resetting in `seconds`. */
export function forcedLimitHeaders(ctx: Ctx, req: Request, seconds: number): Record<string, string> {
  return headers(perMinute(ctx, secretKeyOf(req)), 0, seconds * 1000);
}
