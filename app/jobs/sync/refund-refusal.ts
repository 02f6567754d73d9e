/**
 * Why a refund asked of Xendit was refused or failed, in words the merchant can act on, kept on
 * the refund request (an encoded message, shown in the page's language) with Xendit's own words
 * beside them. A code without words of ours keeps Xendit's words alone, as before.
 */
import { encodeMessage, message } from '../../i18n/index.js';
import type { UpstreamError } from '../../clients/types.js';
import type { XenditRefund } from '../../clients/xendit/types.js';

/** What the payment page shows for a refund Xendit did not make. */
export function refundFailedReason(r: Pick<XenditRefund, 'id' | 'status' | 'failureCode'>): string {
  return `Xendit refund ${r.id} ${r.status}${r.failureCode ? ` (${r.failureCode})` : ''}: nothing was refunded`;
}

/** Refusals of POST /refunds we have words for (xendit-node CreateRefund400Response codes). */
const REFUSED = new Set([
  'INSUFFICIENT_BALANCE',
  'INELIGIBLE_TRANSACTION',
  'REFUND_NOT_SUPPORTED',
  'PARTIAL_REFUND_NOT_SUPPORTED',
  'MAXIMUM_REFUND_AMOUNT_REACHED',
  'REFUND_IN_PROGRESS',
]);
/** failure_codes of a refund that FAILED we have words for (docs.xendit.co QR codes "Test scenarios"). */
const FAILED = new Set(['INSUFFICIENT_BALANCE', 'INELIGIBLE_TRANSACTION']);

/** Xendit's words are kept whole enough to read, short enough that the stored message stays whole (1 000 characters). */
const said = (text: string) => text.slice(0, 400);

/** A refund Xendit refused when asked (rejected, or the key refused: 401/403 without a refund code). */
export function refusalText(err: Pick<UpstreamError, 'kind' | 'code' | 'message'>): string {
  if (err.kind === 'unauthorized') return encodeMessage(message('admin:refundRefused_key', { xendit: said(err.message) }));
  if (err.code && REFUSED.has(err.code)) return encodeMessage(message(`admin:refundRefused_${err.code}`, { xendit: said(err.message) }));
  return err.message;
}

/** A refund Xendit took and then FAILED (or CANCELLED). */
export function failureText(r: Pick<XenditRefund, 'id' | 'status' | 'failureCode'>): string {
  const detail = refundFailedReason(r);
  if (r.failureCode && FAILED.has(r.failureCode)) return encodeMessage(message(`admin:refundFailed_${r.failureCode}`, { detail }));
  return detail;
}
