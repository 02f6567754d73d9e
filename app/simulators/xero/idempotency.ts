/**
 * Xero's Idempotency-Key on PUT/POST, as the real API behaves
 * (developer.xero.com/documentation/guides/idempotent-requests/idempotency; xero-node passes the
 * header as `idempotencyKey` on every create/update operation of xero_accounting.yaml):
 * - a key is kept for minutes only: about 6, not the 10 this simulator used to keep;
 * - the answer is replayed for the same key, errors (4xx) included;
 * - the same key with a different request body is refused with 400;
 * - a key is at most 128 characters (xero_accounting.yaml, the idempotencyKey parameter of every
 *   create: "128 character max."); what Xero answers to a longer one is not documented: refused here
 *   with 400 and nothing written, rather than taken, so that a gateway sending one is caught.
 * A gentler simulator hid a gateway that re-sent one key with another amount after a part payment.
 */
import { createHash } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const IDEMPOTENCY_MS = 6 * 60_000;
const MAX_KEY_CHARS = 128;

export interface StoredAnswer {
  at: number;
  requestHash?: string;
  status: number;
  body: unknown;
}

/** The organisation's keys (SimOrganisation.idempotency; tests forget them with sim.test.forgetIdempotencyKeys to play "minutes later"). */
type Store = Map<string, StoredAnswer>;

function requestHash(req: Request): string {
  return createHash('sha256')
    .update(`${req.method} ${req.path}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex');
}

function prune(store: Store, at: number): void {
  for (const [key, v] of store) if (at - v.at >= IDEMPOTENCY_MS) store.delete(key);
}

/** The answer is remembered before a fault may drop the connection: the write happened. */
export function rememberAnswer(store: Store, req: Request, at: Date, status: number, body: unknown): void {
  const key = req.get('idempotency-key');
  if (key && !store.has(key)) store.set(key, { at: at.getTime(), requestHash: requestHash(req), status, body });
}

/**
 * For the routes after authentication: replays, refuses a reused key with another body, and
 * remembers every JSON answer (errors too) of a keyed write.
 */
export function idempotencyMiddleware(storeOf: (res: Response) => Store | undefined, now: () => Date) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const key = req.get('idempotency-key');
    const store = storeOf(res);
    if (!key || !store || (req.method !== 'PUT' && req.method !== 'POST')) return next();
    if (key.length > MAX_KEY_CHARS) {
      res.status(400).json({
        Type: null,
        Title: 'Invalid Idempotency-Key',
        Status: 400,
        Detail: `The Idempotency-Key must be at most ${MAX_KEY_CHARS} characters.`,
        Extensions: {},
      });
      return;
    }
    prune(store, now().getTime());
    const stored = store.get(key);
    if (stored && stored.requestHash !== requestHash(req)) {
      res.status(400).json({
        Type: null,
        Title: 'Idempotency key reused',
        Status: 400,
        Detail: 'The Idempotency-Key has already been used with a different request. Use a new key for a new request.',
        Extensions: {},
      });
      return;
    }
    if (stored) return void res.status(stored.status).json(stored.body);
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      rememberAnswer(store, req, now(), res.statusCode, body);
      return json(body);
    };
    next();
  };
}
