/**
 * What the Xendit report uploads (fee bills: 24 MB form bodies, disputes: 2 MB) pass before their
 * body is read. Buffering and decoding one such body costs the process 50 to 75 MB of heap and
 * holds the event loop every merchant's /pay and callbacks share, so only a user who may change
 * the merchant gets that far (a staff user or a stranger is answered 403/404 with the body unread:
 * Node drains and discards it, nothing is kept), one per merchant at a time and UPLOADS_AT_ONCE per
 * process: one merchant's user trickling a body in holds their own merchant's slot, not every merchant's,
 * and only until it shows it cannot arrive in time (UploadPace), not until the server's request timeout.
 */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { UploadBusy, UploadTooSlow } from '../errors.js';

/** Reports read at once per process: a month's report is read in a second or two, so another upload waits seconds at most. */
export const UPLOADS_AT_ONCE = 2;
/** Retry-After of an upload refused while another is read: about the time one takes. */
export const UPLOAD_BUSY_RETRY_SECONDS = 5;
/**
 * A body that says it is no larger than the admin's other forms (totals typed in, a short report)
 * takes no slot: it costs no more than they do. The parser reads no more than the Content-Length
 * said (nor does Node), so a body cannot claim to be small and be large: a compressed body, which
 * would grow past what it said once inflated, is refused before the gate (security/body-encoding.ts).
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
 * How an upload's body must arrive. The server's whole-request timeout (HTTP_REQUEST_TIMEOUT_MS)
 * answers a body not in by then with a bare 408 a person cannot act on, so the gate answers first,
 * with the admin's page, `deadlineMs` after it let the body in. A body that stops (`idleMs` without
 * a byte) or comes in too slowly to be in by the deadline (or under `minBytesPerSecond` when its
 * length was not said) is answered as soon as that shows, after `idleMs`: a trickle otherwise
 * held its slot until the deadline, and two merchants' users trickling kept every upload out.
 */
export interface UploadPace {
  deadlineMs: number;
  idleMs: number;
  minBytesPerSecond: number;
  /** After the page: how long and how many more bytes the connection is still read (lingeringClose). */
  linger: { ms: number; bytes: number };
}

/** A body without a byte for this long has stalled (at most: a third of the deadline under a short timeout). */
export const UPLOAD_IDLE_MS = 5000;
/** 128 kbit/s: slower than any connection a report is sent from, and a month's report arrives in seconds at it. */
export const UPLOAD_MIN_BYTES_PER_SECOND = 16 * 1024;
/** The most a connection answered too slow is read after its page: a browser sees the page within that, and a client cannot hold the socket. */
export const UPLOAD_LINGER_MS = 2000;
export const UPLOAD_LINGER_BYTES = 2 ** 20;

/**
 * The pace for a server whose whole-request timeout is `requestTimeoutMs`: the deadline early enough
 * that the page is sent before Node's own 408 (checked about every second, counted from the
 * request's headers, which reach the gate after the session and merchant reads).
 */
export function uploadPaceFor(requestTimeoutMs: number): UploadPace {
  // The margin never takes more than half: a timeout set as short as the settings allow (100 ms)
  // would otherwise leave a deadline at or below zero, refusing every body still arriving.
  const margin = Math.min(Math.max(250, Math.min(2000, Math.floor(requestTimeoutMs / 5))), Math.floor(requestTimeoutMs / 2));
  const deadlineMs = requestTimeoutMs - margin;
  return {
    deadlineMs,
    idleMs: Math.min(UPLOAD_IDLE_MS, Math.floor(deadlineMs / 3)),
    minBytesPerSecond: UPLOAD_MIN_BYTES_PER_SECOND,
    // Within the margin: Node's own request timeout would otherwise end the linger with the reset it avoids.
    linger: { ms: Math.min(UPLOAD_LINGER_MS, Math.floor(margin / 2)), bytes: UPLOAD_LINGER_BYTES },
  };
}

/**
 * Whether a body still coming in after `elapsedMs` (`received` of `expected` bytes, undefined when
 * not said; nothing for `idleForMs`) has taken too long: past the deadline, stalled, or, once past
 * `idleMs`, at a pace that cannot finish by the deadline.
 */
export function tooSlow(pace: UploadPace, o: { elapsedMs: number; idleForMs: number; received: number; expected?: number }): boolean {
  if (o.elapsedMs >= pace.deadlineMs || o.idleForMs >= pace.idleMs) return true;
  if (o.elapsedMs < pace.idleMs) return false;
  const perMs = o.received / o.elapsedMs;
  if (o.expected === undefined) return perMs * 1000 < pace.minBytesPerSecond;
  return o.received + perMs * (pace.deadlineMs - o.elapsedMs) < o.expected;
}

/**
 * Watches the body of an upload let in as it arrives (the socket's bytes: a 'data' listener would
 * take them from the parser) until it is all in or answered; too slow, it is answered with
 * UploadTooSlow through `answer` (the admin's error page) and its connection closed (lingering),
 * which frees its slot and ends the parser's read (whose error then finds the answer sent and is dropped).
 */
function watchBody(req: Request, res: Response, pace: UploadPace, answer: ErrorRequestHandler): void {
  if (req.complete) return;
  const socket = req.socket;
  const started = Date.now();
  const expected = /^\d+$/.test(req.get('content-length') ?? '') ? Number(req.get('content-length')) : undefined;
  const startBytes = socket.bytesRead;
  let lastBytes = startBytes;
  let lastAt = started;
  const timer = setInterval(
    () => {
      if (req.complete || res.headersSent || socket.destroyed) return clearInterval(timer);
      const now = Date.now();
      if (socket.bytesRead !== lastBytes) [lastBytes, lastAt] = [socket.bytesRead, now];
      // Bytes read since the gate are the body's (the headers were read before); what came with the headers is not counted.
      if (!tooSlow(pace, { elapsedMs: now - started, idleForMs: now - lastAt, received: lastBytes - startBytes, expected })) return;
      clearInterval(timer);
      res.set('Connection', 'close');
      lingeringClose(req, pace.linger);
      answer(new UploadTooSlow(Math.round(pace.deadlineMs / 1000)), req, res, () => socket.destroy());
    },
    Math.max(20, Math.min(250, Math.floor(pace.idleMs / 4))),
  );
  timer.unref();
  res.once('close', () => clearInterval(timer));
}

/**
 * A browser sends its whole upload before it reads the answer, and closing a socket with bytes
 * unread makes the kernel send a reset, which can throw away the page before the browser shows it
 * ("connection reset"). So the connection answered too slow is closed lingering: Node ends a
 * `Connection: close` answer with socket.destroySoon(), which here half-closes (the page, then our
 * end), keeps reading and dropping what still comes, and destroys the socket when the client ends
 * its side, after `linger.ms`, or past `linger.bytes` more, whichever is first.
 */
function lingeringClose(req: Request, linger: UploadPace['linger']): void {
  const socket = req.socket;
  socket.destroySoon = () => {
    if (socket.destroyed) return;
    socket.end();
    if (socket.readableEnded) return void socket.destroy();
    // Whoever read the body may have stopped (the parser's limit): what comes now is dropped unread by no one.
    req.resume();
    const from = socket.bytesRead;
    const stop = () => {
      clearTimeout(timer);
      clearInterval(watch);
      socket.destroy();
    };
    const timer = setTimeout(stop, linger.ms);
    const watch = setInterval(() => socket.bytesRead - from > linger.bytes && stop(), Math.max(5, Math.min(100, Math.floor(linger.ms / 10))));
    timer.unref();
    watch.unref();
    socket.once('end', stop);
    socket.once('close', stop);
  };
}

/**
 * Before the upload's body parser: `mayChange` throws (NotFound, OwnersOnly) for a user who may
 * not change the merchant, as the upload's service would once the body was read. A body larger
 * than SMALL_UPLOAD_BYTES, or of no stated length, needs a slot, kept
 * until the answer is sent or the connection ends, so a body decoded and the report worked through
 * both count. Every body let in must arrive at `pace` (UploadPace), or is answered with `answer`.
 */
export function uploadGate(
  slots: UploadSlots,
  pace: UploadPace,
  answer: ErrorRequestHandler,
  mayChange: (req: Request, res: Response) => Promise<unknown>,
): RequestHandler {
  return (req, res, next) => {
    mayChange(req, res).then(() => {
      const length = req.get('content-length');
      if (length !== undefined && /^\d+$/.test(length) && Number(length) <= SMALL_UPLOAD_BYTES) {
        watchBody(req, res, pace, answer);
        return next();
      }
      const free = slots.take(String(req.params.merchantId));
      if (!free) return next(new UploadBusy(UPLOAD_BUSY_RETRY_SECONDS));
      // Gone while who may change was read: its 'close' has fired already and would never free the slot.
      if (req.destroyed || res.destroyed || req.socket.destroyed) return free();
      res.once('close', free);
      watchBody(req, res, pace, answer);
      next();
    }, next);
  };
}

/**
 * The upload's body parser, whose callback is dropped once the upload was answered (too slow, above):
 * its read then ends with the connection, and there is nothing left to answer.
 */
export function uploadBody(parse: RequestHandler): RequestHandler {
  return (req, res, next) => parse(req, res, (err?: unknown) => (res.headersSent ? undefined : next(err)));
}
