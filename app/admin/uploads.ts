/**
 * What the Xendit report uploads (fee bills: 24 MB form bodies, disputes: 2 MB) pass before their
 * body is read. Buffering and decoding one such body costs the process 50 to 75 MB of heap and
 * holds the event loop every merchant's /pay and callbacks share, so only a user who may change
 * the merchant gets that far (a staff user or a stranger is answered 403/404 with the body unread:
 * Node drains and discards it, nothing is kept), one per merchant at a time and UPLOADS_AT_ONCE per
 * process: one merchant's user trickling a body in holds their own merchant's slot, not every merchant's.
 */
import type { Request, RequestHandler, Response } from 'express';
import { UploadBusy } from '../errors.js';

/** Reports read at once per process: a month's report is read in a second or two, so another upload waits seconds at most. */
export const UPLOADS_AT_ONCE = 2;
/** Retry-After of an upload refused while another is read: about the time one takes. */
export const UPLOAD_BUSY_RETRY_SECONDS = 5;
/**
 * A body that says it is no larger than the admin's other forms (totals typed in, a short report)
 * takes no slot: it costs no more than they do. The parser reads no more than the Content-Length
 * said (nor does Node), so a body cannot claim to be small and be large.
 */
export const SMALL_UPLOAD_BYTES = 16 * 1024;

export interface UploadSlots {
  /** A slot for `merchantId`, or null when it holds one or every one is taken; the caller frees it once. */
  take(merchantId: string): (() => void) | null;
  /** Slots taken now (for tests). */
  inUse(): number;
}

/** The process's upload slots; made by createApp, one per process (tests pass their own to watch them). */
export function createUploadSlots(atOnce = UPLOADS_AT_ONCE): UploadSlots {
  const holders = new Set<string>();
  return {
    take(merchantId) {
      if (holders.size >= atOnce || holders.has(merchantId)) return null;
      holders.add(merchantId);
      let freed = false;
      return () => {
        if (freed) return;
        freed = true;
        holders.delete(merchantId);
      };
    },
    inUse: () => holders.size,
  };
}

/**
 * Before the upload's body parser: `mayChange` throws (NotFound, OwnersOnly) for a user who may
 * not change the merchant, as the upload's service would once the body was read. A body larger
 * than SMALL_UPLOAD_BYTES, or of no stated length, needs a slot, kept
 * until the answer is sent or the connection ends, so a body decoded and the report worked through
 * both count.
 */
export function uploadGate(slots: UploadSlots, mayChange: (req: Request, res: Response) => Promise<unknown>): RequestHandler {
  return (req, res, next) => {
    mayChange(req, res).then(() => {
      const length = req.get('content-length');
      if (length !== undefined && /^\d+$/.test(length) && Number(length) <= SMALL_UPLOAD_BYTES) return next();
      const free = slots.take(String(req.params.merchantId));
      if (!free) return next(new UploadBusy(UPLOAD_BUSY_RETRY_SECONDS));
      // Gone while who may change was read: its 'close' has fired already and would never free the slot.
      if (req.destroyed || res.destroyed || req.socket.destroyed) return free();
      res.once('close', free);
      next();
    }, next);
  };
}
