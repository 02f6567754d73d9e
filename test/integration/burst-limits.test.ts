import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../app/server.js';
import { createBurstLimiter } from '../../app/security/burst-limit.js';
import type { Stores } from '../../app/store/index.js';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, manualClock, type Harness } from '../helpers/harness.js';
import { addUser, clearAdminTables, page, signedIn } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';

/** `stores` with one method of one store counted: how many times the route asked the database. */
function counting<S extends keyof Stores>(stores: Stores, store: S, method: keyof Stores[S]) {
  const calls = { n: 0 };
  const original = stores[store][method] as (...args: unknown[]) => unknown;
  const wrapped = { ...stores[store], [method]: (...args: unknown[]) => (calls.n++, original.apply(stores[store], args)) };
  return { stores: { ...stores, [store]: wrapped } as Stores, calls };
}

/** Public routes that read the database before anyone is known: counted per client in memory first. */
describeEachDatabase('burst limits on the public routes that read the database', ({ db }) => {
  let h: Harness;
  afterEach(() => h?.close());

  it('GET /pay/return: past the limit a 429 page with Retry-After and no query; other clients and the next minute are let through', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', BURST_LIMIT_PER_MINUTE: '5' } });
    const { stores, calls } = counting(h.stores, 'checkouts', 'byId');
    const app = createApp({ ...h.deps, stores });
    const ret = (ip: string) => request(app).get(`/pay/return?ref=${randomUUID()}`).set('X-Forwarded-For', ip);
    for (let i = 0; i < 5; i++) await ret('203.0.113.7').expect(200);
    assert.equal(calls.n, 5);
    const refused = await ret('203.0.113.7').expect(429);
    await request(app).get(`/PAY/RETURN/?ref=${randomUUID()}`).set('X-Forwarded-For', '203.0.113.7').expect(429);
    assert.equal(calls.n, 5, 'no query once over the limit');
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.match(refused.text, /<html/i);
    // One IPv6 subscriber (a /64) is one client; another client is not held up.
    for (let i = 0; i < 5; i++) await ret(`2001:db8:1:2::${i + 1}`).expect(200);
    await ret('2001:db8:1:2:ffff::9').expect(429);
    await ret('198.51.100.1').expect(200);
    h.clock.advance(60_000);
    await ret('203.0.113.7').expect(200);
  });

  it('POST /callbacks/xendit/:id with wrong tokens: the same one asked once, new ones 429 past the limit without a query; the right token still accepted', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', CALLBACK_REFUSALS_PER_MINUTE: '3' } });
    const { stores, calls } = counting(h.stores, 'merchants', 'callbackToken');
    const app = createApp({ ...h.deps, stores });
    const post = (token: string, ip = '203.0.113.9', path = h.callbackPath) =>
      request(app)
        .post(path)
        .set('X-Forwarded-For', ip)
        .set('x-callback-token', token)
        .type('json')
        .send({ id: 'inv-1', external_id: 'nobody', status: 'PENDING' });
    // The same wrong token again and again: one read, then answered from memory.
    for (let i = 0; i < 3; i++) await post('wrong-guess').expect(401);
    assert.equal(calls.n, 1);
    // Past the refusals allowed, a token that needs a read is not looked up.
    const refused = await post('another-guess').expect(429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.deepEqual(refused.body, { error: 'too many requests' });
    assert.equal(calls.n, 1);
    // Another merchant's URL from the same client (Xendit sends every merchant's callbacks from a
    // few addresses) is not held up by this merchant's refusals: asked, and answered for itself.
    await post('a-third-guess', '203.0.113.9', `/callbacks/xendit/${randomUUID()}`).expect(404);
    assert.equal(calls.n, 2);
    // One client trying many merchant URLs is bounded too: ten times the refusals, then 429 unasked.
    for (let i = 0; i < 26; i++) await post(`guess-${i}`, '203.0.113.9', `/callbacks/xendit/${randomUUID()}`).expect(404);
    await post('one-too-many', '203.0.113.9', `/callbacks/xendit/${randomUUID()}`).expect(429);
    assert.equal(calls.n, 28);
    // The merchant's own token (read with the refusals) is still accepted, from this client too.
    await post(h.merchant.callbackToken).expect(200);
    assert.equal(calls.n, 28);
    // A newly saved token works at once, from Xendit's address, whatever was refused before.
    await h.stores.merchants.setXendit(h.merchant.id, { secretKey: h.merchant.xenditSecretKey, callbackToken: 'rotated-token' }, h.clock());
    await post('rotated-token', '198.51.100.20').expect(200);
    assert.equal(calls.n, 29);
    // The next minute this client is asked about again.
    h.clock.advance(60_000);
    await post('rotated-token').expect(200);
    assert.equal(calls.n, 30);
  });

  it('a token refused before it was saved is accepted once its short memory lapses', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1' } });
    const post = (token: string) =>
      request(h.app).post(h.callbackPath).set('x-callback-token', token).type('json').send({ id: 'inv-1', external_id: 'nobody', status: 'PENDING' });
    await post('regenerated-at-xendit').expect(401);
    await h.stores.merchants.setXendit(h.merchant.id, { secretKey: h.merchant.xenditSecretKey, callbackToken: 'regenerated-at-xendit' }, h.clock());
    h.clock.advance(5_001);
    await post('regenerated-at-xendit').expect(200);
  });

  it('a token refused before it was saved in the admin is accepted at once by the process that saved it', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1' } });
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null, h.clock());
    const ops = await signedIn(h.app, 'ops@example.com');
    const post = (token: string) =>
      request(h.app).post(h.callbackPath).set('x-callback-token', token).type('json').send({ id: 'inv-1', external_id: 'nobody', status: 'PENDING' });
    // The merchant regenerated the token at Xendit first: Xendit's callbacks carry it before it is saved here.
    await post('regenerated-at-xendit').expect(401);
    const keysPage = adminMerchantPath(h.merchant.id, 'adminMerchantXendit');
    const form = await page(ops, keysPage);
    await ops.post(keysPage).type('form').send({ _csrf: form.csrf(), testKey: '', liveKey: '', callbackToken: 'regenerated-at-xendit' }).expect(303);
    assert.equal(await h.stores.merchants.callbackToken(h.merchant.id), 'regenerated-at-xendit');
    // Same instant, same process: the refusal it remembered is gone with the save.
    await post('regenerated-at-xendit').expect(200);
    await post(h.merchant.callbackToken).expect(401);
  });

  it('any /admin request with a session cookie: past the limit 429 before the session is looked up', async () => {
    h = await createHarness(db(), { env: { BURST_LIMIT_PER_MINUTE: '4' } });
    const { stores, calls } = counting(h.stores, 'sessions', 'live');
    const app = createApp({ ...h.deps, stores });
    const sid = () => `sid=${randomBytes(32).toString('base64url')}`;
    await request(app).get('/admin/login').set('Cookie', sid()).expect(200);
    await request(app)
      .get(`/admin/welcome/${randomBytes(32).toString('base64url')}`)
      .set('Cookie', sid());
    await request(app)
      .get(`/Admin/connect/${randomBytes(32).toString('base64url')}`)
      .set('Cookie', sid());
    await request(app).get('/admin/payments').set('Cookie', sid());
    assert.equal(calls.n, 4);
    const refused = await request(app)
      .get(`/ADMIN/welcome/${randomBytes(32).toString('base64url')}`)
      .set('Cookie', sid())
      .expect(429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal(calls.n, 4);
  });

  it('/admin/merchants/<id> signed out: no merchant is read (its time zone is looked up only for a signed-in user)', async () => {
    h = await createHarness(db());
    await clearAdminTables(db());
    await addUser(h.stores, 'ops@example.com', null, h.clock());
    const { stores, calls } = counting(h.stores, 'merchants', 'byId');
    const app = createApp({ ...h.deps, stores });
    for (const id of [randomUUID(), h.merchant.id]) {
      await request(app).get(`/admin/merchants/${id}`).expect(303).expect('location', '/admin/login');
      await request(app)
        .get(`/admin/merchants/${id}/settings`)
        .set('Cookie', `sid=${randomBytes(32).toString('base64url')}`)
        .expect(303);
    }
    await request(app).post(`/admin/merchants/${randomUUID()}/settings`).type('form').send({ _csrf: 'x' });
    assert.equal(calls.n, 0);
    const ops = await signedIn(app, 'ops@example.com');
    await ops.get(`/admin/merchants/${h.merchant.id}`).expect(200);
    assert.ok(calls.n > 0, 'signed in, the merchant is read');
  });

  it('GET /readyz: past the limit a bare 429 with Retry-After', async () => {
    h = await createHarness(db(), { env: { BURST_LIMIT_PER_MINUTE: '2' } });
    await request(h.app).get('/readyz').expect(200);
    await request(h.app).get('/readyz').expect(200);
    const refused = await request(h.app).get('/readyz').expect(429);
    assert.equal(refused.text, '');
    assert.ok(Number(refused.headers['retry-after']) > 0);
  });

  it('holds at most maxEntries counters, however many clients', () => {
    const clock = manualClock();
    const limiter = createBurstLimiter({ clock, limit: 1, windowSeconds: 60, maxEntries: 3 });
    for (let i = 0; i < 100; i++) limiter.hit(`client-${i}`);
    assert.equal(limiter.size, 3);
    assert.equal(limiter.hit('client-99'), 60, 'a counter kept still counts');
  });
});
