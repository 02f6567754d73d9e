/**
 * Small pieces every accounting route uses: the organisation of the call, the response envelope, the
 * request body's list.
 */
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { rememberAnswer } from './idempotency.js';
import { msDate } from './decimals.js';
import { type SimOrganisation } from './state.js';

export const API_PREFIX = '/api.xro/2.0';

export function isApi(req: Request): boolean {
  return req.path.startsWith(`${API_PREFIX}/`) || req.path === '/connections';
}

export function org(res: Response): SimOrganisation {
  return res.locals.org as SimOrganisation;
}

/** Replays happen in idempotencyMiddleware (xero/idempotency.ts, with the source); kept for the routes' shape. */
export function replayed(_o: SimOrganisation, _req: Request, _res: Response, _at: Date): boolean {
  return false;
}

/** Before a fault may drop the answer: the write happened, so the key's answer is kept. */
export function remember(o: SimOrganisation, req: Request, at: Date, status: number, body: unknown): void {
  rememberAnswer(o.idempotency, req, at, status, body);
}

export function envelope(at: Date, payload: Record<string, unknown>): Record<string, unknown> {
  return { Id: randomUUID(), Status: 'OK', ProviderName: 'Xendit Xero Gateway', DateTimeUTC: msDate(at), ...payload };
}

export function asArray(body: unknown, key: string): Record<string, unknown>[] {
  if (!body || typeof body !== 'object') return [];
  const wrapped = (body as Record<string, unknown>)[key];
  if (Array.isArray(wrapped)) return wrapped as Record<string, unknown>[];
  return [body as Record<string, unknown>];
}
