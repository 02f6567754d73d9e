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
    const { app, perUrl, perClient } = routerApp(h);
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

  it("refusals for ids that are no merchant's do not hold up a merchant's callbacks from the same address (Xendit's), while those ids stay bounded unread", async () => {
    h = await createHarness(db());
    // Reads of the merchant's token, and of which merchants exist, counted.
    const merchants = h.stores.merchants;
    const reads = { token: 0, ids: 0 };
    const stores = {
      ...h.stores,
      merchants: {
        ...merchants,
        callbackToken: (id: string) => (reads.token++, merchants.callbackToken(id)),
        ids: () => (reads.ids++, merchants.ids()),
      },
    };
    const tokens = createCallbackTokenCache({ load: (id) => stores.merchants.callbackToken(id), clock: h.clock });
    // One refusal per merchant URL and client a minute; ten per client.
    const app = express()
      .set('trust proxy', 1)
      .use(callbackRouter({ stores, clock: h.clock, failuresPerMinute: 1, tokens }))
      .use(errorHandler(pino({ level: 'silent' })));
    const post = (path: string, token: string, ip = '203.0.113.50') =>
      request(app)
        .post(path)
        .set('X-Forwarded-For', ip)
        .set('x-callback-token', token)
        .type('json')
        .send({ id: 'inv-1', external_id: 'nobody', status: 'PENDING' });
    // Anyone with a Xendit account of their own points its callback URL at made-up ids here: Xendit
    // sends those test callbacks from the addresses it sends every merchant's from.
    for (let i = 0; i < 5; i++) await post(`/callbacks/xendit/${randomUUID()}${kinds[i % 3]}`, 'their-own-token').expect(404);
    for (let i = 0; i < 5; i++) await post(`/callbacks/xendit/not-a-merchant-${i}`, 'their-own-token').expect(404);
    assert.equal(reads.token, 5);
    // The merchant's callback (its token not read in this process yet) is still read and taken.
    await post(h.callbackPath, h.merchant.callbackToken).expect(200);
    assert.equal(reads.token, 6);
    // Made-up ids from that address are refused unread past the count: one read of which merchants
    // exist for the window, none per id.
    for (let i = 0; i < 5; i++) await post(`/callbacks/xendit/${randomUUID()}`, 'their-own-token').expect(429);
    await post('/callbacks/xendit/not-a-merchant', 'their-own-token').expect(429);
    assert.equal(reads.token, 6);
    assert.ok(reads.ids <= 1, `merchant ids read ${reads.ids} times`);
    // A wrong token at the merchant's URL is still counted per merchant URL and client: one, then 429 unread.
    await post(h.callbackPath, 'a-wrong-token').expect(401);
    await post(h.callbackPath, 'another-wrong-token').expect(429);
    assert.equal(reads.token, 7);
    // Its right token is still taken (remembered).
    await post(h.callbackPath, h.merchant.callbackToken).expect(200);
    // A merchant added meanwhile is let through once which merchants exist is read again (seconds
    // later), not refused for the rest of the minute.
    const added = await h.stores.merchants.add({
      name: 'Warung Baru',
      shortCode: `!N${randomUUID().slice(0, 6)}`,
      xero: { clientId: 'new', clientSecret: 'new-secret', tenantId: '' },
      xenditSecretKey: 'xnd_development_new',
      callbackToken: 'new-token',
      clearingAccountId: 'acc-new',
    });
    h.clock.advance(10_000);
    await post(`/callbacks/xendit/${added.id}`, 'new-token').expect(200);
    await post(`/callbacks/xendit/${randomUUID()}`, 'their-own-token').expect(429);
    assert.equal(reads.token, 8);
  });

  it("a merchant's id spelt in upper case is that merchant: its token opens, a wrong one is refused and counted with the lower-case spelling, nothing unhandled", async () => {
    h = await createHarness(db());
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => void (lines.push(String(chunk)), done()) });
    const { app, perUrl } = routerApp(h, pino(sink));
    const upper = h.callbackPath.replace(h.merchant.id, h.merchant.id.toUpperCase());
    assert.notEqual(upper, h.callbackPath);
    const post = (path: string, token: string) =>
      request(app).post(path).set('x-callback-token', token).type('json').send({ id: 'inv-1', external_id: 'nobody', status: 'PENDING' });
    await post(upper, 'guess').expect(401);
    await post(h.callbackPath, 'guess').expect(401);
    assert.equal(perUrl.size, 1, 'one counter for the two spellings');
    await post(upper, h.merchant.callbackToken).expect(200);
    assert.deepEqual(
      lines.filter((l) => JSON.parse(l).level >= 50),
      [],
      'no error-level line',
    );
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

/** The callback router alone, its refusal counters given so a test can look at their size. */
function routerApp(h: Harness, logger = pino({ level: 'silent' })) {
  const perUrl = createBurstLimiter({ clock: h.clock, limit: 1000, windowSeconds: 60 });
  const perClient = createBurstLimiter({ clock: h.clock, limit: 10_000, windowSeconds: 60 });
  const tokens = createCallbackTokenCache({ load: (id) => h.stores.merchants.callbackToken(id), clock: h.clock });
  const app = express()
    .set('trust proxy', 1)
    .use(callbackRouter({ stores: h.stores, clock: h.clock, failuresPerMinute: 1000, tokens, refusals: { perUrl, perClient } }))
    .use(errorHandler(logger));
  return { app, perUrl, perClient };
}
