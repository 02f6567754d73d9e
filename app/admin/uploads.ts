/**
 * What the Xendit report uploads (fee bills: 24 MB form bodies, disputes: 2 MB) pass before their
 * body is read. Buffering and decoding one such body costs the process 50 to 75 MB of heap and
 * holds the event loop every merchant's /pay and callbacks share, so only a user who may change
 * the merchant gets that far (a staff user or a stranger is answered 403/404 with the body unread:
 * Node drains and discards it, nothing is kept), and only UPLOADS_AT_ONCE at a time per process.
 */
import type { Request, RequestHandler, Response } from 'express';
import { UploadBusy } from '../errors.js';

/** One report read at a time: a month's report is read in a second or two, so another upload waits seconds at most. */
export const UPLOADS_AT_ONCE = 1;
/** Retry-After of an upload refused while another is read: about the time one takes. */
export const UPLOAD_BUSY_RETRY_SECONDS = 5;
/**
 * A body that says it is no larger than the admin's other forms (totals typed in, a short report)
 * takes no slot: it costs no more than they do. The parser reads no more than the Content-Length
 * said (nor does Node), so a body cannot claim to be small and be large.
 */
export const SMALL_UPLOAD_BYTES = 16 * 1024;

export interface UploadSlots {
  /** A slot, or null when every one is taken; the caller frees it once. */
  take(): (() => void) | null;
  /** Slots taken now (for tests). */
  inUse(): number;
}

/** The process's upload slots; made by createApp, one per process (tests pass their own to watch them). */
export function createUploadSlots(atOnce = UPLOADS_AT_ONCE): UploadSlots {
  let taken = 0;
  return {
    take() {
      if (taken >= atOnce) return null;
      taken++;
      let freed = false;
      return () => {
        if (freed) return;
        freed = true;
        taken--;
      };
    },
    inUse: () => taken,
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
      const free = slots.take();
      if (!free) return next(new UploadBusy(UPLOAD_BUSY_RETRY_SECONDS));
      res.once('close', free);
      next();
    }, next);
  };
}
