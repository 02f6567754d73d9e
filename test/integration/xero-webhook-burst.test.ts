import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createOAuthHarness, type OAuthHarness } from '../helpers/xero-oauth.js';
import { paths } from '../../app/paths.js';

const KEY = 'xero-webhook-key-for-tests-0123456789abcdef';
const sign = (body: string, key = KEY) => createHmac('sha256', key).update(body).digest('base64');
const intent = () => JSON.stringify({ events: [], firstEventSequence: 0, lastEventSequence: 0, entropy: 'S0m3r4Nd0mt3xt' });

/**
 * Anyone may POST to /webhooks/xero, and each POST cost up to 256 kB read and an HMAC over it: they
 * are counted per client before either, with room for Xero's own deliveries.
 */
describeEachDatabase('Xero webhooks: POSTs counted per client before the body is read', ({ db }) => {
  let h: OAuthHarness;
  afterEach(() => h?.close());

  const post = (body: string, from: string, signature = sign(body)) =>
    request(h.app).post(paths.xeroWebhook).set('content-type', 'application/json').set('X-Forwarded-For', from).set('x-xero-signature', signature).send(body);

  it('past the budget: a bare 429 with Retry-After before the body is read or signed; other clients and the next minute are let through', async () => {
    h = await createOAuthHarness(db(), { XERO_WEBHOOK_KEY: KEY, XERO_WEBHOOKS_PER_MINUTE: '3', TRUST_PROXY: '1' });
    for (let i = 0; i < 3; i++) await post(intent(), '203.0.113.7').expect(200, '');
    const refused = await post(intent(), '203.0.113.7').expect(429, '');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    // Wrongly signed: 429, not 401 (no HMAC worked out); past the size bound: 429, not 413 (the body unread).
    await post(intent(), '203.0.113.7', sign(intent(), 'another-key-entirely-123456')).expect(429, '');
    const big = JSON.stringify({ events: [], pad: 'x'.repeat(300_000) });
    await post(big, '203.0.113.7').expect(429, '');
    // Any spelling the route answers to is counted too.
    await request(h.app).post('/WEBHOOKS/XERO/').set('X-Forwarded-For', '203.0.113.7').send(intent()).expect(429);
    await post(intent(), '198.51.100.1').expect(200, '');
    h.clock.advance(60_000);
    await post(intent(), '203.0.113.7').expect(200, '');
  });

  it("the default budget lets Xero's intent-to-receive check and a busy minute of deliveries from one address through", async () => {
    h = await createOAuthHarness(db(), { XERO_WEBHOOK_KEY: KEY });
    const budget = h.deps.config.burstLimit.xeroWebhooksPerMinute;
    assert.equal(budget, 600);
    h.sims.xero.test.webhooks.subscribe(h.baseUrl + paths.xeroWebhook, KEY);
    for (let i = 0; i < 5; i++) assert.deepEqual(await h.sims.xero.test.webhooks.intentToReceive(), { passed: true, statuses: [200, 401] });
    // 10 deliveries a second for the rest of the minute, from the same address as the checks.
    for (let i = 0; i < budget - 10; i++) await request(h.app).post(paths.xeroWebhook).set('x-xero-signature', sign(intent())).send(intent()).expect(200);
    await request(h.app).post(paths.xeroWebhook).set('x-xero-signature', sign(intent())).send(intent()).expect(429);
  });
});
