import { strict as assert } from 'node:assert';
import { connect, type Socket } from 'node:net';
import { startSims, startStack, type Sims, type Stack } from '../../bench/stack.js';
import { ENGINE, openTestDatabase } from '../helpers/db.js';

/** The bytes of one callback for an invoice the gateway does not know (200, nothing written). */
function callbackRequest(stack: Stack, n: number): string {
  const body = JSON.stringify({ id: `bench-gateway-${n}`, external_id: `bench-gateway-${n}`, status: 'PAID' });
  return (
    `POST ${stack.callbackPath} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
    `x-callback-token: ${stack.callbackToken}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** The answers on a socket in order; once it fails or closes, how it ended instead of an answer. */
function answersOn(socket: Socket): () => Promise<string> {
  let buffered = '';
  let ended: string | undefined;
  const ready: string[] = [];
  const waiting: ((answer: string) => void)[] = [];
  const pump = () => {
    for (let head = buffered.indexOf('\r\n\r\n'); head >= 0; head = buffered.indexOf('\r\n\r\n')) {
      const length = Number(/^content-length: *(\d+)/im.exec(buffered.slice(0, head))?.[1] ?? 0);
      if (buffered.length < head + 4 + length) break;
      ready.push(buffered.slice(0, head + 4 + length));
      buffered = buffered.slice(head + 4 + length);
    }
    while (waiting.length && (ready.length || ended)) waiting.shift()!(ready.shift() ?? ended!);
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => ((buffered += chunk), pump()));
  socket.on('error', (err: NodeJS.ErrnoException) => ((ended ??= `error ${err.code ?? err.message}`), pump()));
  socket.on('close', () => ((ended ??= 'closed without an answer'), pump()));
  return () => new Promise((resolve) => (waiting.push(resolve), pump()));
}

// bench/stack.ts once served the gateway from node:http's createServer() with Node's defaults, and
// `npm run bench` counted 3 of 6 200 callbacks with no answer at all.
describe('bench gateway (bench/stack.ts)', function () {
  this.timeout(60_000);
  let sims: Sims;
  let stack: Stack;
  before(async () => {
    sims = await startSims({ xeroMs: 0, xenditMs: 0 });
    stack = await startStack(ENGINE, sims, { database: await openTestDatabase() });
  });
  after(async () => {
    await stack?.close();
    await sims?.close();
  });

  it("answers a callback on a kept-alive socket with npm start's keep-alive, not Node's default", async () => {
    // Node's default closes an idle socket after 6 s; a callback written on it just then while the
    // gateway's event loop is stalled is reset unanswered (nodejs/node#43456). npm start's server
    // (app/http.ts) keeps it 65 s, longer than any sender's idle reuse.
    const url = new URL(stack.gatewayUrl);
    const socket = connect(Number(url.port), url.hostname);
    try {
      const next = answersOn(socket);
      socket.write(callbackRequest(stack, 1));
      const first = await next();
      assert.match(first, /^HTTP\/1\.1 200 /);
      assert.match(first, /^keep-alive: timeout=65\r$/im, 'the keep-alive npm start announces (app/http.ts)');
    } finally {
      socket.destroy();
    }
  });
});
