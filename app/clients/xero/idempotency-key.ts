/**
 * The Idempotency-Key sent to Xero: the caller's key for the operation plus a hash of the body.
 *
 * Xero answers 400 when a key comes again with a different body, and keeps a key only for minutes
 * (developer.xero.com/documentation/guides/idempotent-requests/idempotency). The callers derive
 * keys from what they record (e.g. `xendit-payment-<id>`), while the body may change between
 * attempts (the amount due after a part payment, the date after a time-zone change). A retry with
 * the same body still replays; another body is another request and gets another key.
 */
import { createHash } from 'node:crypto';

/** Xero accepts keys of up to 128 characters: the caller's part is cut so the hash always fits. */
const MAX_KEY = 128;
const HASH_CHARS = 24;

export function idempotencyKeyFor(callerKey: string, op: string, body: unknown): string {
  const hash = createHash('sha256')
    .update(`${op}\n${JSON.stringify(body)}`)
    .digest('hex')
    .slice(0, HASH_CHARS);
  return `${callerKey.slice(0, MAX_KEY - HASH_CHARS - 1)}-${hash}`;
}
