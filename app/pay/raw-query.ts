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
 * reaches the server (the browser keeps the fragment): the rest of the link is gone, and the link is
 * answered as incomplete.
 */
const KNOWN = new Set(['invoiceno', 'invoicenumber', 'shortcode', 'currency', 'amount', 'lang']);

export type RawInvoiceNumber =
  | { kind: 'absent' }
  | { kind: 'unreadable' }
  /** plusReading: present when the link had a raw `+`: the number with each raw `+` kept as `+`. */
  | { kind: 'read'; invoiceNumber: string; plusReading?: string };

export function rawInvoiceNumber(url: string): RawInvoiceNumber {
  const q = url.indexOf('?');
  if (q < 0) return { kind: 'absent' };
  const parts = url.slice(q + 1).split('&');
  const at = parts.findIndex((p) => KNOWN.has(nameOf(p)) && ['invoiceno', 'invoicenumber'].includes(nameOf(p)));
  if (at < 0) return { kind: 'absent' };
  // An unknown parameter right after the number: the number had a raw `&` in it.
  const next = parts[at + 1];
  if (next !== undefined && !KNOWN.has(nameOf(next))) return { kind: 'unreadable' };
  const raw = parts[at].slice(parts[at].indexOf('=') + 1);
  try {
    const invoiceNumber = decodeURIComponent(raw.replace(/\+/g, ' '));
    return raw.includes('+') ? { kind: 'read', invoiceNumber, plusReading: decodeURIComponent(raw.replace(/\+/g, '%2B')) } : { kind: 'read', invoiceNumber };
  } catch {
    return { kind: 'unreadable' }; // malformed percent-encoding (e.g. Latin-1 %E9): never guess
  }
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
