/**
 * Why a refund asked of Xendit was refused or failed, in words the merchant can act on, kept on
 * the refund request (an encoded message, shown in the page's language) with Xendit's own words
 * beside them. A code without words of ours keeps Xendit's words alone, as before.
 */
import { encodeMessage, message } from '../../i18n/index.js';
import type { UpstreamError } from '../../clients/types.js';
import { REFUND_REFUSALS } from '../../clients/xendit/errors.js';
import type { XenditRefund } from '../../clients/xendit/types.js';
import { LAST_ERROR_CHARS } from '../../store/refund-requests.js';

/** What the payment page shows for a refund Xendit did not make. */
export function refundFailedReason(r: Pick<XenditRefund, 'id' | 'status' | 'failureCode'>): string {
  return `Xendit refund ${r.id} ${r.status}${r.failureCode ? ` (${r.failureCode})` : ''}: nothing was refunded`;
}

/** Refusals of POST /refunds we have words for: every code the client takes for a refusal of the refund itself. */
const REFUSED: ReadonlySet<string> = new Set(REFUND_REFUSALS);
/** failure_codes of a refund that FAILED we have words for (docs.xendit.co QR codes "Test scenarios"). */
const FAILED = new Set(['INSUFFICIENT_BALANCE', 'INELIGIBLE_TRANSACTION']);

/** Xendit's words are kept whole enough to read: at most this many characters of them. */
const SAID_CHARS = 400;

/**
 * Our message with Xendit's words in `param`, encoded within what the store keeps (LAST_ERROR_CHARS),
 * so it is never cut: a cut encoding no longer decodes, and the page would show it raw. Encoding
 * grows Xendit's text (a quote is 2 characters, a lone surrogate 6), so the text is cut, by whole
 * characters, before it is encoded; control characters are shown as spaces.
 */
function encodedWithin(key: string, param: string, text: string): string {
  const plain = text.replace(/\p{Cc}/gu, ' ');
  const chars = Array.from(plain);
  const encoded = (n: number) => encodeMessage(message(key, { [param]: n >= chars.length ? plain : `${chars.slice(0, n).join('')}…` }));
  // The most characters that fit, at most SAID_CHARS: the encoded length grows with n.
  let [lo, hi] = [0, Math.min(chars.length, SAID_CHARS)];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (encoded(mid).length <= LAST_ERROR_CHARS) lo = mid;
    else hi = mid - 1;
  }
  return encoded(lo);
}

/** A refund Xendit refused when asked (rejected, or the key refused: 401/403 without a refund code). */
export function refusalText(err: Pick<UpstreamError, 'kind' | 'code' | 'message'>): string {
  if (err.kind === 'unauthorized') return encodedWithin('admin:refundRefused_key', 'xendit', err.message);
  if (err.code && REFUSED.has(err.code)) return encodedWithin(`admin:refundRefused_${err.code}`, 'xendit', err.message);
  return err.message;
}

/** A refund Xendit took and then FAILED (or CANCELLED). */
export function failureText(r: Pick<XenditRefund, 'id' | 'status' | 'failureCode'>): string {
  const detail = refundFailedReason(r);
  if (r.failureCode && FAILED.has(r.failureCode)) return encodedWithin(`admin:refundFailed_${r.failureCode}`, 'detail', detail);
  return detail;
}
