import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Xero signs each webhook: x-xero-signature is the base64 HMAC-SHA256 of the raw body with the
 * app's webhooks key (developer.xero.com/documentation/guides/webhooks/configuring-your-server).
 * Compared in constant time, on the bytes as they arrived (never a re-serialised body).
 */
export function xeroSignature(rawBody: Buffer, key: string): string {
  return createHmac('sha256', key).update(rawBody).digest('base64');
}

export function validXeroSignature(rawBody: Buffer, header: string | undefined, key: string): boolean {
  if (!header || header.length > 200) return false;
  const expected = Buffer.from(xeroSignature(rawBody, key));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
