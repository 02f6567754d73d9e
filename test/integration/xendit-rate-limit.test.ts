import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createXenditClient } from '../../app/clients/xendit/index.js';
import { UpstreamError } from '../../app/clients/types.js';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, manualClock, paidCallback, type Harness } from '../helpers/harness.js';
import { getSims, resetSims, type Sims } from '../helpers/sims.js';

/**
 * Xendit limits each account to 60 requests a minute per endpoint in test mode (600 live), answers
 * 429 RATE_LIMIT_EXCEEDED beyond it, and says when its window resets in Rate-Limit-Reset, never in
 * Retry-After (docs.xendit.co/apidocs/rate-limits). The simulator does the same; the gateway waits
 * for that reset.
 */
describe("Xendit's rate limit", () => {
  let s: Sims;
  let seq = 0;
  before(async () => {
    s = await getSims();
  });
  beforeEach(() => resetSims());

  function account(userId?: string, prefix = 'xnd_development_') {
    const secretKey = `${prefix}rl${++seq}`;
    return { secretKey, userId: s.xendit.registerAccount({ secretKey, userId, callbackToken: 't', businessName: 'Toko Batas' }).userId };
  }
  const get = (secretKey: string, path: string) =>
    fetch(`${s.xenditUrl}${path}`, { headers: { authorization: `Basic ${Buffer.from(`${secretKey}:`).toString('base64')}` } });
  const limitHeaders = (res: Response) => ['rate-limit-limit', 'rate-limit-remaining', 'rate-limit-reset', 'retry-after'].map((h) => res.headers.get(h));

  describe('the simulator', () => {
    it('answers 429 RATE_LIMIT_EXCEEDED after 60 calls a minute to one endpoint of a test account, and takes calls again as the window rolls', async () => {
      const clock = manualClock();
      s.xendit.test.useClock(clock);
      const { secretKey, userId } = account();
      const inv = s.xendit.createInvoice({ account: secretKey, currency: 'IDR', amount: 10_000 });
      for (let i = 1; i <= 60; i++) {
        const res = await get(secretKey, `/v2/invoices/${inv.id}`);
        assert.equal(res.status, 200);
        // Every answer tells the quota, what is left of it and when the window resets (seconds).
        assert.deepEqual(limitHeaders(res), ['60', String(60 - i), i <= 30 ? '60' : '30', null], `call ${i}`);
        if (i === 30) clock.advance(30_000);
      }
      const refused = await get(secretKey, `/v2/invoices/${inv.id}`);
      assert.equal(refused.status, 429);
      assert.deepEqual(await refused.json(), { error_code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests' });
      assert.deepEqual(limitHeaders(refused), ['60', '0', '30', null], 'the first 30 calls leave the window in 30 s; no Retry-After');

      // Per endpoint, per account: the listing, another business and the same business's live key are counted apart.
      assert.equal((await get(secretKey, '/v2/invoices?limit=1')).status, 200);
      assert.equal((await get(account().secretKey, `/v2/invoices/${inv.id}`)).status, 404);
      const live = await get(account(userId, 'xnd_production_').secretKey, `/v2/invoices/${inv.id}`);
      assert.deepEqual(limitHeaders(live).slice(0, 2), ['600', '599']);

      clock.advance(29_500);
      assert.deepEqual(limitHeaders(await get(secretKey, `/v2/invoices/${inv.id}`)), ['60', '0', '0.5', null]);
      clock.advance(500);
      const again = await get(secretKey, `/v2/invoices/${inv.id}`);
      assert.equal(again.status, 200);
      assert.deepEqual(limitHeaders(again), ['60', '29', '30', null], 'the 30 later calls are still in the window');
    });

    it('a forced 429 has the same shape: Rate-Limit-Reset, no Retry-After', async () => {
      const { secretKey } = account();
      s.xendit.faults.failNext(1, 429, { retryAfter: 7 });
      const res = await get(secretKey, '/v2/invoices?limit=1');
      assert.equal(res.status, 429);
      assert.deepEqual(limitHeaders(res), ['60', '0', '7', null]);
      assert.equal(((await res.json()) as { error_code: string }).error_code, 'RATE_LIMIT_EXCEEDED');
    });
  });

  describe('the client', () => {
    let server: Server;
    let answer: Record<string, string> = {};
    before(async () => {
      server = createServer((_req, res) => {
        res.writeHead(429, { 'content-type': 'application/json', ...answer });
        res.end(JSON.stringify({ error_code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests' }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    async function waitOf(headers: Record<string, string>): Promise<number | undefined> {
      answer = headers;
      const client = createXenditClient({ apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 5000 });
      const err = await client.getInvoice('xnd_development_x', 'inv').then(
        () => assert.fail('no 429'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof UpstreamError && err.kind === 'rate_limited' && err.status === 429, String(err));
      return err.retryAfterSeconds;
    }

    it("reads when to try again from Rate-Limit-Reset (fractional seconds), or a proxy's Retry-After, the later of both", async () => {
      assert.equal(await waitOf({ 'Rate-Limit-Limit': '600', 'Rate-Limit-Remaining': '0', 'Rate-Limit-Reset': '58.37' }), 59);
      assert.equal(await waitOf({ 'Retry-After': '17' }), 17);
      assert.equal(await waitOf({ 'Rate-Limit-Reset': '5', 'Retry-After': '30' }), 30);
      assert.equal(await waitOf({ 'Rate-Limit-Reset': '0.2' }), 1, 'never less than a second');
      assert.equal(await waitOf({}), undefined, 'nothing said: unknown');
    });

    it("reads the simulator's own limit", async () => {
      const { secretKey } = account();
      s.xendit.limits.testPerMinute = 1;
      await s.xenditClient.findInvoicesByExternalId(secretKey, 'e');
      const err = await s.xenditClient.findInvoicesByExternalId(secretKey, 'e').then(
        () => assert.fail('no 429'),
        (e: unknown) => e as UpstreamError,
      );
      assert.equal(err.kind, 'rate_limited');
      assert.ok(err.retryAfterSeconds! > 0 && err.retryAfterSeconds! <= 60, String(err.retryAfterSeconds));
    });
  });
});

describeEachDatabase("the gateway at Xendit's rate limit", ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    h.sims.xendit.test.useClock(h.clock); // its window counts on the test's clock
  });
  afterEach(() => h.close());

  /** Someone else (an admin's reads, another process) spends the minute's calls to `call`'s endpoint. */
  async function spendTheMinute(call: () => Promise<unknown>): Promise<void> {
    for (let i = 0; i < 60; i++) await call();
  }

  it('a payment job that meets the limit waits for its reset without spending an attempt, then records the payment', async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    await paidCallback(h, x);
    h.clock.advance(20_000);
    await spendTheMinute(() => h.sims.xenditClient.getInvoice(h.merchant.xenditSecretKey, x.id));

    await h.worker.drain();
    const [held] = await h.stores.jobs.list();
    assert.equal(held.kind, 'record-payment');
    assert.equal(held.state, 'queued', held.lastError ?? '');
    assert.match(held.lastError ?? '', /RATE_LIMIT_EXCEEDED/);
    assert.equal(held.attempts, 0, "Xendit's 429 with its reset is not an attempt");
    assert.equal(held.runAt.getTime(), h.clock().getTime() + 60_000, 'asked back when the window resets');

    h.clock.advance(59_000);
    assert.equal(await h.worker.drain(), 0, 'not before the reset');
    h.clock.advance(1_000);
    await h.worker.drain();
    const job = (await h.stores.jobs.list()).find((j) => j.id === held.id)!;
    assert.equal(job.state, 'done', job.lastError ?? '');
    assert.equal(job.attempts, 1);
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).length, 1);
  });

  it('a click while the minute\'s invoice creations are used up gets the "try again" page at the reset, and nothing is kept', async () => {
    const key = h.merchant.xenditSecretKey;
    const sale = { currency: 'IDR' as const, amount: 10_000, description: 'elsewhere', successRedirectUrl: h.baseUrl, failureRedirectUrl: h.baseUrl };
    let n = 0;
    await spendTheMinute(() => h.sims.xenditClient.createInvoice(key, { ...sale, externalId: `other-${++n}`, invoiceDurationSeconds: 3600 }));
    const inv = h.addInvoice({});
    const res = await request(h.app).get(h.payUrl(inv.invoiceNumber)).set('Accept-Language', 'en').expect(503);
    assert.equal(res.headers['retry-after'], '60');
    assert.match(res.text, /We could not reach the payment service just now. Nothing was charged/);
    assert.equal(await h.count('checkouts'), 0);
    h.clock.advance(60_000);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
  });
});
