/**
 * The invoice number exactly as the pay link carries it.
 *
 * Xero fills [INVOICENUMBER] into the merchant's payment-service URL; a number may hold `&`, `#`,
 * `+`, spaces or non-ASCII letters, encoded or not. A raw `&` splits the number into a parameter of
 * its own, which leaves a *shorter* number that could be another customer's invoice; so a number
 * visibly cut (an unknown parameter right after it) or not valid UTF-8 is reported as unreadable and
 * the caller shows the same page as for an unknown invoice. A raw `+` is a space in a form-encoded
 * query (URLSearchParams; our own link builder encodes a literal `+` as %2B), but Xero does not
 * document whether it encodes [INVOICENUMBER]: a raw `+` may be the number's own `+`. So such a
 * number has two readings (every raw `+` a space, or every one a `+`) and the caller asks Xero for
 * both and uses the one that exists (pay/service.ts). A raw `#` never
 * reaches the server from a browser (it keeps the fragment): the rest of the link is gone, and the
 * link is answered as incomplete. A client that sends one anyway (Node passes it in the request
 * target) gets what a browser would send: everything from the `#` on is not the query, as for
 * Express's parser, so the number read here is never one the parser did not see.
 *
 * Every reading must pass the parser's rule for the number (`invoiceNumberRule`): the one rule,
 * whichever way the number was read.
 */
import { z } from 'zod';
import { unstorableReason } from '../security/body-bounds.js';

const KNOWN = new Set(['invoiceno', 'invoicenumber', 'shortcode', 'currency', 'amount', 'lang']);

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * An invoice number as /pay takes it: trimmed, 1 to 255 characters (Xero's limit for InvoiceNumber),
 * no control characters (a NUL cannot even be stored in PostgreSQL), no lone surrogate.
 */
export const invoiceNumberRule = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine((s) => !CONTROL.test(s) && unstorableReason(s) === null, 'control or unstorable characters');

export type RawInvoiceNumber =
  | { kind: 'absent' }
  | { kind: 'unreadable' }
  /** A reading the rule refuses; `reason` says why, as the parser's error would. */
  | { kind: 'invalid'; reason: string }
  /** Both trimmed. plusReading: present when the link had a raw `+`: the number with each raw `+` kept as `+`. */
  | { kind: 'read'; invoiceNumber: string; plusReading?: string };

export function rawInvoiceNumber(url: string): RawInvoiceNumber {
  const hash = url.indexOf('#');
  const target = hash < 0 ? url : url.slice(0, hash);
  const q = target.indexOf('?');
  if (q < 0) return { kind: 'absent' };
  const parts = target.slice(q + 1).split('&');
  const at = parts.findIndex((p) => KNOWN.has(nameOf(p)) && ['invoiceno', 'invoicenumber'].includes(nameOf(p)));
  if (at < 0) return { kind: 'absent' };
  // An unknown parameter right after the number: the number had a raw `&` in it.
  const next = parts[at + 1];
  if (next !== undefined && !KNOWN.has(nameOf(next))) return { kind: 'unreadable' };
  const raw = parts[at].slice(parts[at].indexOf('=') + 1);
  let readings: string[];
  try {
    readings = [decodeURIComponent(raw.replace(/\+/g, ' ')), ...(raw.includes('+') ? [decodeURIComponent(raw.replace(/\+/g, '%2B'))] : [])];
  } catch {
    return { kind: 'unreadable' }; // malformed percent-encoding (e.g. Latin-1 %E9): never guess
  }
  const checked = readings.map((r) => invoiceNumberRule.safeParse(r));
  const refused = checked.find((c) => !c.success);
  if (refused?.error) return { kind: 'invalid', reason: refused.error.issues.map((i) => i.message).join('; ') };
  const [invoiceNumber, plusReading] = checked.map((c) => c.data!);
  return plusReading === undefined ? { kind: 'read', invoiceNumber } : { kind: 'read', invoiceNumber, plusReading };
}

function nameOf(part: string): string {
  const eq = part.indexOf('=');
  const name = eq < 0 ? part : part.slice(0, eq);
  try {
    return decodeURIComponent(name).toLowerCase();
  } catch {
    return name.toLowerCase();
  }
}
