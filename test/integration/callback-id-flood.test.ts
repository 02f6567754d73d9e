import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { createLogger } from '../../app/bin/bootstrap.js';
import { callbackRouter } from '../../app/callbacks/controller.js';
import { createCallbackTokenCache } from '../../app/callbacks/token-cache.js';
import { errorHandler } from '../../app/error-handler.js';
import { createApp } from '../../app/server.js';
import { createBurstLimiter } from '../../app/security/burst-limit.js';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';

/** A path segment as long as a request line lets through (Node's 16 KiB header bound). */
const longId = () => randomBytes(12_000).toString('base64url').slice(0, 16_000);
const kinds = ['', '/refunds', '/disputes'];

/** Anyone may POST to /callbacks/xendit/<anything>: what an id that cannot be a merchant costs must not grow with it. */
describeEachDatabase('callbacks to ids that are no merchant id', ({ db }) => {
  let h: Harness;
  afterEach(() => h?.close());

  it('holds no counter per such id: only the client is counted', async () => {
    h = await createHarness(db());
    const perUrl = createBurstLimiter({ clock: h.clock, limit: 1000, windowSeconds: 60 });
    const perClient = createBurstLimiter({ clock: h.clock, limit: 10_000, windowSeconds: 60 });
    const tokens = createCallbackTokenCache({ load: (id) => h.stores.merchants.callbackToken(id), clock: h.clock });
    const app = express()
      .set('trust proxy', 1)
      .use(callbackRouter({ stores: h.stores, clock: h.clock, failuresPerMinute: 1000, tokens, refusals: { perUrl, perClient } }))
      .use(errorHandler(pino({ level: 'silent' })));
    for (let i = 0; i < 30; i++)
      await request(app)
        .post(`/callbacks/xendit/${longId()}${kinds[i % 3]}`)
        .set('X-Forwarded-For', `203.0.113.${i % 2}`)
        .set('x-callback-token', 'guess')
        .type('json')
        .send({ id: 'inv-1', external_id: 'x', status: 'PAID' })
        .expect(404);
    assert.equal(perUrl.size, 0, 'no counter keyed by an id that cannot be a merchant id');
    assert.equal(perClient.size, 2, 'one counter per client');
    // A well-formed id still has its own counter (36 characters of key).
    await request(app).post(`/callbacks/xendit/${randomUUID()}`).set('x-callback-token', 'guess').type('json').send({}).expect(404);
    assert.equal(perUrl.size, 1);
  });

  it('a flood of such ids from one client gets 429 past the per-client limit, and the logs hold no raw path', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', CALLBACK_REFUSALS_PER_MINUTE: '3' } });
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
    const app = createApp({ ...h.deps, logger: createLogger({ logLevel: 'info' }, sink) });
    const post = (id: string, ip = '203.0.113.9') =>
      request(app)
        .post(`/callbacks/xendit/${id}`)
        .set('X-Forwarded-For', ip)
        .set('x-callback-token', 'guess')
        .type('json')
        .send({ id: 'inv-1', external_id: 'x', status: 'PAID' });
    // Per client: ten times CALLBACK_REFUSALS_PER_MINUTE.
    for (let i = 0; i < 30; i++) await post(`${longId()}${kinds[i % 3]}`).expect(404);
    const longest = () => Math.max(...lines.map((l) => l.length));
    assert.ok(longest() < 4_000, `a log line of ${longest()} characters`);
    const refused = await post(longId()).expect(429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    // Another client is not held up; the merchant's own callbacks from it are still taken.
    await post(longId(), '198.51.100.1').expect(404);
    await request(app)
      .post(h.callbackPath)
      .set('X-Forwarded-For', '198.51.100.1')
      .set('x-callback-token', h.merchant.callbackToken)
      .type('json')
      .send({ id: 'inv-1', external_id: 'nobody', status: 'PENDING' })
      .expect(200);
    assert.ok(longest() < 4_000, `a log line of ${longest()} characters`);
  });

  it('request headers of any length are logged cut short: Node takes 16 kB of them from anyone', async () => {
    h = await createHarness(db());
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
    const app = createApp({ ...h.deps, logger: createLogger({ logLevel: 'info' }, sink) });
    await request(app)
      .post(`/callbacks/xendit/${randomUUID()}`)
      .set('user-agent', 'u'.repeat(6000))
      .set('x-anything', 'x'.repeat(6000))
      .set('cookie', 'gw_session=not-for-logs')
      .set('x-callback-token', 'guess-not-for-logs')
      .type('json')
      .send({})
      .expect(404);
    const line = lines.find((l) => l.includes('"x-anything"'));
    assert.ok(line, 'the request is logged with its headers');
    assert.ok(line.length < 4_000, `a log line of ${line.length} characters`);
    assert.match(line, /"x-anything":"x{300}…\[6000 characters\]"/);
    // Still redacted as before (bin/bootstrap.ts REDACT): the cut headers are a new object.
    assert.doesNotMatch(line, /not-for-logs/);
    assert.match(line, /"cookie":"\[redacted\]"/);
  });
});
