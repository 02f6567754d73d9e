import { UpstreamError } from '../types.js';
import type { XenditGateway, XenditInvoice } from './types.js';

/**
 * Expires the invoice: 'expired' once Xendit says it can no longer be paid; the invoice as Xendit
 * holds it when it did not expire it (paid first: Xendit may refuse, "Could not find and update
 * PENDING invoice", xendit/xendit-php#200, or answer 200 with it still PAID, which is not documented
 * either way); 'unknown' when the key cannot reach it (refused: revoked; or no such invoice in its
 * account). No answer is thrown: whether it expired is not known. The one way the pay path (ending
 * a checkout, a duplicate) and the jobs (a retired key, a paid twin) expire an invoice.
 */
export async function expireAndRead(
  deps: { xendit: Pick<XenditGateway, 'expireInvoice' | 'getInvoice'> },
  key: string,
  xenditInvoiceId: string,
): Promise<'expired' | 'unknown' | XenditInvoice> {
  let x: XenditInvoice | null;
  try {
    x = await deps.xendit.expireInvoice(key, xenditInvoiceId);
  } catch (err) {
    if (!(err instanceof UpstreamError) || err.retryable) throw err;
    try {
      x = await deps.xendit.getInvoice(key, xenditInvoiceId);
    } catch (readErr) {
      if (readErr instanceof UpstreamError && readErr.kind === 'unauthorized') return 'unknown';
      throw readErr;
    }
  }
  if (!x) return 'unknown';
  return x.status === 'EXPIRED' ? 'expired' : x;
}
