import { strict as assert } from 'node:assert';
import { connect, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import { createHttpServer } from '../../app/http.js';
import { createUploadSlots, uploadBody, uploadGate, type UploadPace } from '../../app/admin/uploads.js';

/** The "too slow" page: long enough to take several TCP segments, so a reset would cut it short. */
const PAGE = `<!doctype html><html><body><h1>The upload took too long</h1>${'<p>Nothing was read, checked or booked.</p>'.repeat(2000)}</body></html>`;
const LENGTH = 20 * 2 ** 20;

/**
 * A browser sends its whole upload before it reads the answer. Closing a socket with its bytes
 * unread makes the kernel send a reset, and a reset throws away what the browser had not read yet:
 * the "too slow" page would show as "connection reset". The gate's connection is closed lingering:
 * the page, then the end of our side, then what still comes is read and dropped, for a bounded time
 * and number of bytes.
 */
describe('an upload answered too slow: the page arrives, then the end of the connection, not a reset', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    server = undefined;
  });

  async function serve(linger: UploadPace['linger']): Promise<number> {
    const pace: UploadPace = { deadlineMs: 2000, idleMs: 150, minBytesPerSecond: 16 * 1024, linger };
    const answer: ErrorRequestHandler = (_err, _req, res, _next) => void res.status(408).type('html').send(PAGE);
    const app = express();
    app.post(
      '/upload',
      uploadGate(createUploadSlots(), pace, answer, async () => undefined),
      uploadBody(express.urlencoded({ extended: false, limit: LENGTH * 2 })),
      (_req, res) => void res.send('read'),
    );
    server = createHttpServer(app, { requestTimeoutMs: 30_000, headersTimeoutMs: 5000 });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /**
   * Sends the headers of a 20 MB upload, then `chunk` bytes every `every` ms (too slow to be in
   * before the deadline; `after` bytes a time once the answer starts) until the server's side ends
   * and `more` ms after, as a browser still sending its upload does before it reads the page, then
   * ends its side too (or, `deaf`, until the socket is closed).
   */
  function upload(port: number, o: { chunk: number; every: number; after?: number; more?: number; deaf?: boolean }) {
    // Half-open allowed: a browser still sending does not end its side when ours ends.
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const seen = { ended: false, error: undefined as string | undefined, endedAt: 0, sent: 0 };
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      if (o.after) bytes = Buffer.alloc(o.after, 'a');
    });
    socket.on('end', () => {
      seen.ended = true;
      seen.endedAt = Date.now();
      if (!o.deaf)
        setTimeout(() => {
          clearInterval(sending);
          socket.end();
        }, o.more ?? 0);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (seen.error ??= err.code));
    socket.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${LENGTH}\r\n\r\nreport=`);
    let bytes = Buffer.alloc(o.chunk, 'a');
    const sending = setInterval(() => {
      if (socket.writable && seen.sent < LENGTH - bytes.length) {
        socket.write(bytes);
        seen.sent += bytes.length;
      }
    }, o.every);
    const timer = setTimeout(() => socket.destroy(new Error('the server kept the connection open')), 10_000);
    return new Promise<typeof seen & { answer: string; closedAt: number }>((resolve) =>
      socket.on('close', () => {
        clearInterval(sending);
        clearTimeout(timer);
        resolve({ ...seen, answer: Buffer.concat(chunks).toString('utf8'), closedAt: Date.now() });
      }),
    );
  }

  it('a client still sending when the page is written, and for a while after, gets the whole page and then the end of the connection, no reset', async () => {
    const port = await serve({ ms: 2000, bytes: 2 ** 20 });
    const got = await upload(port, { chunk: 4096, every: 2, more: 300 });
    assert.equal(got.error, undefined, 'no ECONNRESET');
    assert.ok(got.ended, 'the connection ended (EOF) after the page');
    assert.match(got.answer, /^HTTP\/1\.1 408 /);
    assert.match(got.answer, /connection: close/i);
    assert.ok(got.answer.endsWith(PAGE), `the whole page: ${got.answer.length} bytes`);
  });

  it('a client that never stops sending holds the connection no longer than the linger time', async () => {
    const port = await serve({ ms: 150, bytes: 2 ** 30 });
    const got = await upload(port, { chunk: 512, every: 5, deaf: true });
    assert.ok(got.ended, 'the page and the end of the connection came first');
    assert.ok(got.answer.endsWith(PAGE));
    assert.ok(got.closedAt - got.endedAt < 1000, `closed ${got.closedAt - got.endedAt} ms after the page, linger 150 ms`);
  });

  it('nor longer than the linger bytes: a client blasting data is cut off once that much more was read', async () => {
    const port = await serve({ ms: 60_000, bytes: 64 * 1024 });
    const got = await upload(port, { chunk: 512, every: 5, after: 64 * 1024, deaf: true });
    assert.ok(got.ended && got.answer.endsWith(PAGE), 'the page and the end of the connection came first');
    assert.ok(got.closedAt - got.endedAt < 5000, `closed ${got.closedAt - got.endedAt} ms after the page, not after the 60 s linger`);
  });
});
