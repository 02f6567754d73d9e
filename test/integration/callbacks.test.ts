import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../app/http.js';
import { describeEachDatabase } from '../helpers/db.js';
import { Writable } from 'node:stream';
import { createHarness, type Harness } from '../helpers/harness.js';
import { createLogger } from '../../app/bin/bootstrap.js';
import { createApp } from '../../app/server.js';

describeEachDatabase('POST /callbacks/xendit/:merchantId', ({ db }) => {
  let h: Harness;
  let token: string;
  beforeEach(async () => {
    h = await createHarness(db());
    token = h.merchant.callbackToken;
  });
  afterEach(() => h.close());

  /** A checkout clicked through /pay, so the gateway knows its Xendit invoice. */
  async function openCheckout() {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    return { inv, x };
  }

  const post = (path: string, body: unknown, tok: string | null = token) => {
    const r = request(h.app).post(path).set('Content-Type', 'application/json');
    if (tok !== null) r.set('x-callback-token', tok);
    return r.send(typeof body === 'string' ? body : JSON.stringify(body));
  };

  const writes = async () => (await h.count('callback_events')) + (await h.count('jobs'));

  it('stores a PAID event and queues one job, answering 200 with a small JSON body', async () => {
    const { x } = await openCheckout();
    const res = await post(h.callbackPath, { id: x.id, external_id: x.external_id, status: 'PAID', amount: x.amount }).expect(200);
    assert.deepEqual(res.body, { received: true, duplicate: false, status: 'PAID' });
    assert.equal(await h.count('callback_events'), 1);
    assert.equal(await h.count('jobs'), 1);
    // The body is the sender's word: the checkout changes when the job has asked Xendit.
    const checkout = await h.stores.checkouts.forXenditInvoice(h.merchant.id, x.id, x.external_id);
    assert.equal(checkout?.status, 'open');
  });

  it('still records a payment for a merchant disabled after the customer paid', async () => {
    const { x } = await openCheckout();
    await h.stores.merchants.setStatus(h.merchant.id, 'disabled');
    await post(h.callbackPath, { id: x.id, external_id: x.external_id, status: 'PAID' }).expect(200);
    assert.equal(await h.count('jobs'), 1);
  });

  it('never writes secrets to the logs', async () => {
    const lines: string[] = [];
    const logger = createLogger({ logLevel: 'debug' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const app = createApp({ ...h.deps, logger });
    const { x } = await openCheckout();
    await request(app).post(h.callbackPath).set('x-callback-token', token).send({ id: x.id, external_id: x.external_id, status: 'PAID' }).expect(200);
    await request(app).post(h.callbackPath).set('x-callback-token', 'wrong-guess').send({}).expect(401);
    await request(app).get(h.payUrl('nope')).set('Authorization', 'Bearer abc.def').expect(404);
    const login = await request(app).get('/admin/login');
    const sessionId = /=([^;]+)/.exec(String(login.headers['set-cookie']?.[0] ?? ''))?.[1];
    assert.ok(sessionId, 'the sign-in page sets a session cookie');
    const log = lines.join('');
    assert.ok(log.includes(h.callbackPath), 'requests are logged');
    for (const secret of [token, 'wrong-guess', 'abc.def', sessionId, h.merchant.xenditSecretKey, h.merchant.xero.clientSecret]) {
      assert.ok(!log.includes(secret), `log contains ${secret}`);
    }
  });

  it('absorbs duplicates: same event twice → one event, one job', async () => {
    const { x } = await openCheckout();
    const body = { id: x.id, external_id: x.external_id, status: 'PAID' };
    await post(h.callbackPath, body).expect(200);
    const again = await post(h.callbackPath, body).expect(200);
    assert.equal(again.body.duplicate, true);
    await post(h.callbackPath, { ...body, status: 'SETTLED' }).expect(200);
    assert.equal(await h.count('callback_events'), 2);
    assert.equal(await h.count('jobs'), 1);
  });

  it('marks the checkout expired on EXPIRED once Xendit confirms it, but a late EXPIRED never undoes PAID', async () => {
    const { x } = await openCheckout();
    await h.sims.xendit.expire(x.id, { sendCallback: false });
    await post(h.callbackPath, { id: x.id, external_id: x.external_id, status: 'EXPIRED' }).expect(200);
    await h.worker.drain();
    let checkout = await h.stores.checkouts.forXenditInvoice(h.merchant.id, x.id, x.external_id);
    assert.equal(checkout?.status, 'expired');

    const second = await openCheckout();
    await h.sims.xendit.pay(second.x.id, { sendCallback: false });
    await post(h.callbackPath, { id: second.x.id, external_id: second.x.external_id, status: 'PAID' }).expect(200);
    await h.worker.drain();
    await post(h.callbackPath, { id: second.x.id, external_id: second.x.external_id, status: 'EXPIRED' }).expect(200);
    await h.worker.drain();
    checkout = await h.stores.checkouts.forXenditInvoice(h.merchant.id, second.x.id, second.x.external_id);
    assert.equal(checkout?.status, 'paid');
  });

  it('a forged EXPIRED (valid token, invoice still payable at Xendit) leaves the checkout open: no second payable invoice', async () => {
    const { x } = await openCheckout();
    await post(h.callbackPath, { id: x.id, external_id: x.external_id, status: 'EXPIRED' }).expect(200);
    await h.worker.drain();
    const checkout = await h.stores.checkouts.forXenditInvoice(h.merchant.id, x.id, x.external_id);
    assert.equal(checkout?.status, 'open');
  });

  it("answers Xendit's dashboard test callback (unknown invoice) with 200 and changes nothing", async () => {
    const res = await post(h.callbackPath, {
      id: '579c8d61f23fa4ca35e52da4',
      external_id: 'invoice_123124123',
      status: 'PAID',
      amount: 50000,
      paid_amount: 50000,
    }).expect(200);
    assert.equal(res.body.ignored, 'unknown invoice');
    assert.equal(await writes(), 0);
  });

  it('404s an unknown merchant (well-formed or not) with zero writes', async () => {
    const { x } = await openCheckout();
    const body = { id: x.id, external_id: x.external_id, status: 'PAID' };
    await post(`/callbacks/xendit/${randomUUID()}`, body).expect(404);
    await post('/callbacks/xendit/not-a-uuid', body).expect(404);
    assert.equal(await writes(), 0);
  });

  it('401s a wrong or missing token with zero writes', async () => {
    const { x } = await openCheckout();
    const body = { id: x.id, external_id: x.external_id, status: 'PAID' };
    const wrong = await post(h.callbackPath, body, token + 'x').expect(401);
    assert.deepEqual(wrong.body, { error: 'invalid x-callback-token' });
    await post(h.callbackPath, body, null).expect(401);
    await post(h.callbackPath, body, '').expect(401);
    assert.equal(await writes(), 0);
  });

  it('a changed callback token works at once; the old one stops within the cache TTL (5 s)', async () => {
    const { x } = await openCheckout();
    const body = (status: string) => ({ id: x.id, external_id: x.external_id, status });
    await post(h.callbackPath, body('PENDING')).expect(200); // the old token is now remembered
    await h.stores.merchants.setXendit(h.merchant.id, { secretKey: h.merchant.xenditSecretKey, callbackToken: 'rotated-token' }, h.clock());
    await post(h.callbackPath, body('PAID'), 'rotated-token').expect(200);
    h.clock.advance(5_001);
    await post(h.callbackPath, body('SETTLED'), token).expect(401);
    await post(h.callbackPath, body('SETTLED'), 'rotated-token').expect(200);
    assert.equal(await h.count('callback_events'), 3);
  });

  it('remembers the token: a burst of callbacks reads the merchant once per TTL', async () => {
    const { x } = await openCheckout();
    let loads = 0;
    const stores = { ...h.stores, merchants: { ...h.stores.merchants, callbackToken: (id: string) => (loads++, h.stores.merchants.callbackToken(id)) } };
    const app = createApp({ ...h.deps, stores });
    for (const status of ['PENDING', 'PAID', 'SETTLED']) {
      await request(app).post(h.callbackPath).set('x-callback-token', token).send({ id: x.id, external_id: x.external_id, status }).expect(200);
    }
    assert.equal(loads, 1);
    h.clock.advance(5_001);
    await request(app).post(h.callbackPath).set('x-callback-token', token).send({ id: x.id, external_id: x.external_id, status: 'PAID' }).expect(200);
    assert.equal(loads, 2);
  });

  it('400s a malformed body with zero writes', async () => {
    await openCheckout();
    await post(h.callbackPath, '{"id": "abc",').expect(400);
    await post(h.callbackPath, { id: 'abc' }).expect(400);
    await post(h.callbackPath, { id: 123, external_id: 'x', status: 'PAID' }).expect(400);
    await post(h.callbackPath, [1, 2]).expect(400);
    assert.equal(await writes(), 0);
  });

  it('415s a body that is not JSON, and 413s an oversized one', async () => {
    await request(h.app).post(h.callbackPath).set('x-callback-token', token).set('Content-Type', 'text/plain').send('id=1').expect(415);
    await post(h.callbackPath, { id: 'a', external_id: 'b', status: 'PAID', pad: 'x'.repeat(70_000) }).expect(413);
    // Compressed (the parser inflates it: neither Xendit's docs nor xendit-node say callbacks never
    // are), the bound is on what it inflates to: a few hundred bytes growing past it are 413 too.
    const inflating = gzipSync(JSON.stringify({ id: 'a', external_id: 'b', status: 'PAID', pad: 'x'.repeat(70_000) }));
    assert.ok(inflating.length < 1024);
    await request(h.app)
      .post(h.callbackPath)
      .set('x-callback-token', token)
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize((b) => b)
      .send(inflating)
      .expect(413);
    assert.equal(await writes(), 0);
  });

  it('400s a body PostgreSQL cannot store (NUL, unpaired surrogate) with zero writes', async () => {
    const { x } = await openCheckout();
    const base = { id: x.id, external_id: x.external_id, status: 'PAID' };
    await post(h.callbackPath, { ...base, note: 'a\u0000b' }).expect(400);
    await post(h.callbackPath, { ...base, id: '\u0000' }).expect(400);
    await post(h.callbackPath, { ...base, ['k\u0000']: 1 }).expect(400);
    await post(h.callbackPath, `{"id":"${x.id}","external_id":"${x.external_id}","status":"PAID","n":"\\ud800"}`).expect(400);
    assert.equal(await writes(), 0);
  });

  it('400s a valid-token body nested 6 000 levels deep or with too many values, before walking it: never 500, zero writes', async () => {
    const { x } = await openCheckout();
    const head = `{"id":"${x.id}","external_id":"${x.external_id}","status":"PAID","n":`;
    await post(h.callbackPath, `${head}${'['.repeat(6000)}${']'.repeat(6000)}}`).expect(400);
    await post(h.callbackPath, `${head}${'{"a":'.repeat(6000)}1${'}'.repeat(6000)}}`).expect(400);
    await post(h.callbackPath, `${head}[${Array(6000).fill('0').join(',')}]}`).expect(400);
    assert.equal(await writes(), 0);
    const checkout = await h.stores.checkouts.forXenditInvoice(h.merchant.id, x.id, x.external_id);
    assert.equal(checkout?.status, 'open');
    // Xendit's own bodies (a few levels, a few dozen values) still pass.
    await post(h.callbackPath, { id: x.id, external_id: x.external_id, status: 'PAID', items: [{ name: 'Kopi', tags: [['a']] }] }).expect(200);
  });

  it('times out a client that sends headers and half a body, then stalls (408, socket closed, zero writes)', async () => {
    const { x } = await openCheckout();
    const server = createHttpServer(h.app, { requestTimeoutMs: 600, headersTimeoutMs: 300 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const body = JSON.stringify({ id: x.id, external_id: x.external_id, status: 'PAID' });
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      let answer = '';
      socket.on('data', (d) => (answer += d));
      const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
      const started = Date.now();
      socket.write(
        `POST ${h.callbackPath} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
          `x-callback-token: ${token}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, body.length >> 1)}`,
      );
      const timer = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('server kept the stalled connection open')), 5000));
      const closedAt = await Promise.race([closed, timer]);
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.ok(closedAt - started < 3000, `closed after ${closedAt - started} ms`);
      assert.equal(await writes(), 0);
      const checkout = await h.stores.checkouts.forXenditInvoice(h.merchant.id, x.id, x.external_id);
      assert.equal(checkout?.status, 'open');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
