import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { createApp } from '../../app/server.js';
import { loadConfig } from '../../config/index.js';
import { schedule } from '../../app/jobs/schedules.js';

const heading = (html: string) => cheerio.load(html)('h1').text().trim();

describeEachDatabase('GET /pay rate limits', ({ db }) => {
  let h: Harness;
  afterEach(() => h.close());

  const xeroCalls = () => h.sims.xero.test.countRequests({ pathPrefix: '/api.xro' });
  const click = (url: string, ip: string, lang = 'en') => request(h.app).get(url).set('X-Forwarded-For', ip).set('Accept-Language', lang);

  it('answers the click after PAY_RATE_LIMIT_PER_IP with a 429 page (id/en) and Retry-After, without calling Xero; the next window opens again', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_RATE_LIMIT_PER_IP: '3', PAY_RATE_LIMIT_WINDOW_SECONDS: '60' } });
    const inv = h.addInvoice({});
    for (let i = 0; i < 3; i++) await click(h.payUrl(inv.invoiceNumber), '203.0.113.7').expect(303);
    const calls = xeroCalls();

    h.clock.advance(20_000);
    const en = await click(h.payUrl(inv.invoiceNumber), '203.0.113.7').expect(429);
    assert.equal(en.headers['retry-after'], '40');
    assert.equal(en.headers['cache-control'], 'no-store');
    assert.equal(heading(en.text), 'Too many attempts');
    assert.match(cheerio.load(en.text)('main p').first().text(), /wait 40 seconds/);
    const id = await click(h.payUrl(inv.invoiceNumber), '203.0.113.7', 'id').expect(429);
    assert.equal(heading(id.text), 'Terlalu banyak percobaan');
    assert.equal(cheerio.load(id.text)('html').attr('lang'), 'id');
    // Garbage from the same client is counted and refused too, before it is even parsed.
    await click('/pay?nonsense=1', '203.0.113.7').expect(429);
    assert.equal(xeroCalls(), calls, 'a refused click costs no Xero call');

    await click(h.payUrl(inv.invoiceNumber), '198.51.100.1').expect(303); // another client is unaffected
    h.clock.advance(40_000);
    await click(h.payUrl(inv.invoiceNumber), '203.0.113.7').expect(303);
  });

  it('counts an IPv6 client by its /64', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_RATE_LIMIT_PER_IP: '2' } });
    const inv = h.addInvoice({});
    await click(h.payUrl(inv.invoiceNumber), '2001:db8:1:2::1').expect(303);
    await click(h.payUrl(inv.invoiceNumber), '2001:db8:1:2:aaaa::9').expect(303);
    await click(h.payUrl(inv.invoiceNumber), '2001:db8:1:2:ffff:ffff:ffff:ffff').expect(429);
    await click(h.payUrl(inv.invoiceNumber), '2001:db8:1:3::1').expect(303);
  });

  it('limits one payment link (ShortCode) across many clients with PAY_RATE_LIMIT_PER_SHORTCODE', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_RATE_LIMIT_PER_IP: '100', PAY_RATE_LIMIT_PER_SHORTCODE: '4' } });
    const inv = h.addInvoice({});
    // The first click is on a number without a checkout yet (counted with unknown numbers); the next
    // four are on a known invoice and count against PAY_RATE_LIMIT_PER_SHORTCODE.
    for (let i = 1; i <= 5; i++) await click(h.payUrl(inv.invoiceNumber), `192.0.2.${i}`).expect(303);
    const res = await click(h.payUrl(inv.invoiceNumber), '192.0.2.50').expect(429);
    assert.ok(Number(res.headers['retry-after']) > 0);
    await click(`/pay?invoiceNo=INV-1&shortCode=!other`, '192.0.2.50').expect(404); // other links are unaffected
  });

  it("limits one invoice's own link with PAY_RATE_LIMIT_PER_INVOICE before the ShortCode's: its customer hammering it cannot lock the merchant's other customers out", async () => {
    // The defaults: 30 per client, 40 per ShortCode, 10 per invoice.
    h = await createHarness(db(), { env: { TRUST_PROXY: '1' } });
    const mine = h.addInvoice({});
    const theirs = h.addInvoice({});
    await schedule(h, 'sync-open-invoices', 60); // both links are known: counted against the ShortCode's limit
    await h.worker.drain();
    h.clock.advance(61_000);

    // Someone holding one link (their own invoice) clicks it 30 times from each of two addresses.
    const calls = xeroCalls();
    const statuses: Record<number, number> = {};
    for (let i = 0; i < 60; i++) {
      const { status } = await click(h.payUrl(mine.invoiceNumber), i % 2 ? '203.0.113.1' : '203.0.113.2');
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    assert.deepEqual(statuses, { 303: 10, 429: 50 });
    assert.equal(
      xeroCalls() - calls,
      1,
      'the first click read the invoice from Xero; the nine admitted within PAY_READ_REUSE_SECONDS of it were sent to its checkout, refused ones cost nothing',
    );

    // A stranger with the other invoice's number but not its link is counted with invented numbers,
    // never against that invoice's own counter.
    for (let i = 0; i < 12; i++) await click(h.payUrl(theirs.invoiceNumber, { amount: String(1000 + i) }), `198.51.100.${i + 1}`).expect(404);
    // The merchant's other customers still get their checkout.
    await click(h.payUrl(theirs.invoiceNumber), '192.0.2.7').expect(303);
    // The next window opens the hammered link again.
    h.clock.advance(60_000);
    await click(h.payUrl(mine.invoiceNumber), '203.0.113.1').expect(303);
  });

  /** A merchant-wide counter's count in its current window (0: never counted). */
  const shared = async (key: string) =>
    (await db().selectFrom('rate_limits').select('hits').where('key', '=', `${key}:${h.merchant.shortCode}`).executeTakeFirst())?.hits ?? 0;
  /** A link nobody was sent (the ShortCode is public): a new number and amount each time, so no remembered miss answers it. */
  const invented = (n: number) =>
    `/pay?${new URLSearchParams({ invoiceNo: `X${n}`, shortCode: h.merchant.shortCode, currency: 'IDR', amount: String(1000 + n) })}`;

  it("one client flooding invented links cannot make another customer's first click (an invoice not yet read from Xero) wait: it spends PAY_UNKNOWN_PER_CLIENT of the merchant's PAY_UNKNOWN_PER_WINDOW", async () => {
    // The defaults: 30 per client, 20 unknown links per ShortCode, 5 of them per client (the harness lifts that one).
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_UNKNOWN_PER_CLIENT: '5' } });
    const fresh = h.addInvoice({}); // sent this morning: not among the open invoices read yet
    const statuses: Record<number, number> = {};
    for (let n = 0; n < 40; n++) {
      const { status } = await click(invented(n), '203.0.113.66');
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    assert.equal((await click(h.payUrl(fresh.invoiceNumber), '198.51.100.1')).status, 303, "another customer's first click");
    assert.deepEqual(statuses, { 404: 5, 429: 35 });
    assert.equal(await shared('pay:unknown'), 6, "the flood's clicks over the client's own limit, or its address's, did not count against the merchant's");
  });

  it("clients from several addresses of one network flooding invented links cannot make another network's customer's first click wait: together they spend PAY_UNKNOWN_PER_NETWORK of the merchant's PAY_UNKNOWN_PER_WINDOW", async () => {
    // 20 unknown links per ShortCode; 5 per client, 10 per network (the harness lifts both).
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_UNKNOWN_PER_CLIENT: '5', PAY_UNKNOWN_PER_NETWORK: '10' } });
    const fresh = h.addInvoice({}); // sent this morning: not among the open invoices read yet
    const statuses: Record<number, number> = {};
    // Four addresses of one /24, as one subscriber's /56 or /48 holds many /64s.
    for (let n = 0; n < 40; n++) {
      const { status } = await click(invented(n), `203.0.113.${70 + (n % 4)}`);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    assert.equal((await click(h.payUrl(fresh.invoiceNumber), '198.51.100.1')).status, 303, "another network's customer's first click");
    assert.deepEqual(statuses, { 404: 10, 429: 30 });
    assert.equal(await shared('pay:unknown'), 11, "the flood's clicks over its network's own limit did not count against the merchant's");
  });

  it("one client clicking invented links all day at PAY_UNKNOWN_PER_CLIENT a minute spends at most PAY_UNKNOWN_PER_CLIENT_DAY of the merchant's day share: other customers' first clicks still get through", async () => {
    // 500 Xero calls a day, 20% of them (100) for links that are not an invoice's own; 5 a minute and 30 a day per client.
    h = await createHarness(db(), {
      env: { TRUST_PROXY: '1', XERO_LIMIT_PER_DAY: '500', PAY_UNKNOWN_XERO_PERCENT: '20', PAY_UNKNOWN_PER_CLIENT: '5', PAY_UNKNOWN_PER_CLIENT_DAY: '30' },
    });
    const statuses: Record<number, number> = {};
    for (let minute = 0; minute < 40; minute++) {
      for (let n = 0; n < 5; n++) {
        const { status } = await click(invented(minute * 5 + n), '203.0.113.66');
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
      h.clock.advance(60_000);
    }
    const refused = await click(invented(1000), '203.0.113.66').expect(429);
    assert.ok(Number(refused.headers['retry-after']) > 3600, `refused until the next day, not the next minute: Retry-After ${refused.headers['retry-after']}`);
    assert.equal((await click(h.payUrl(h.addInvoice({}).invoiceNumber), '198.51.100.1')).status, 303, "another customer's first click, later that day");
    assert.deepEqual(statuses, { 404: 30, 429: 170 });
    assert.equal(await shared('pay:unknown-day'), 31, "the flood's clicks over its day share did not count against the merchant's");
  });

  it('PAY_UNKNOWN_PER_CLIENT_DAY counts an IPv6 client by its /64: 60 addresses of one /64 share one cap, another /64 is not held up; an IPv4-mapped address is its IPv4 client, however written', async () => {
    h = await createHarness(db(), {
      env: { TRUST_PROXY: '1', XERO_LIMIT_PER_DAY: '1000', PAY_UNKNOWN_XERO_PERCENT: '20', PAY_UNKNOWN_PER_CLIENT: '5', PAY_UNKNOWN_PER_CLIENT_DAY: '10' },
    });
    const day = async (from: (n: number) => string, clicks: number, first: number) => {
      const statuses: Record<number, number> = {};
      for (let n = 0; n < clicks; n++) {
        const { status } = await click(invented(first + n), from(n));
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (n % 5 === 4) h.clock.advance(60_000); // within PAY_UNKNOWN_PER_CLIENT a minute
      }
      return statuses;
    };
    // A new address for every click, all in 2001:db8:5:6::/64.
    assert.deepEqual(await day((n) => `2001:db8:5:6:${(n + 1).toString(16)}:${n}::${n + 7}`, 60, 0), { 404: 10, 429: 50 });
    assert.equal((await click(invented(100), '2001:db8:5:7::1')).status, 404, 'another /64 (of the same /48) is another client');
    assert.deepEqual(await day(() => '::ffff:198.51.100.9', 10, 200), { 404: 10 });
    for (const ip of ['198.51.100.9', '::ffff:c633:6409', '0:0:0:0:0:ffff:198.51.100.9']) assert.equal((await click(invented(300), ip)).status, 429, ip);
    assert.equal((await click(invented(301), '198.51.100.10')).status, 404, 'the next IPv4 address is another client');
  });

  it("one subscriber's twenty /64s of one /48, each within PAY_UNKNOWN_PER_CLIENT_DAY, spend at most PAY_UNKNOWN_PER_NETWORK_DAY of the merchant's day share: other networks' customers still get their first click through, known links are never counted", async () => {
    // The defaults: 5 000 Xero calls a day, 20% (1 000) for other links; 5 a minute and 50 a day per client, 10 a minute and 100 a day per network.
    h = await createHarness(db(), {
      env: {
        TRUST_PROXY: 'loopback',
        PAY_UNKNOWN_PER_CLIENT: '5',
        PAY_UNKNOWN_PER_NETWORK: '10',
        PAY_UNKNOWN_PER_CLIENT_DAY: '50',
        PAY_UNKNOWN_PER_NETWORK_DAY: '100',
      },
    });
    // Xero's own 60 calls a minute roll with the test's clock, as the clicks' minutes do.
    h.sims.xero.test.useClock(h.clock);
    const real = h.addInvoice({});
    const known = h.addInvoice({});
    await schedule(h, 'sync-open-invoices', 60); // both links are known
    await h.worker.drain();
    h.clock.advance(61_000);
    const networkDay = async () =>
      (
        await db()
          .selectFrom('rate_limits')
          .select('hits')
          .where('key', '=', `pay:network-unknown-day:${h.merchant.shortCode}:2001:db8:aa::/48`)
          .executeTakeFirst()
      )?.hits ?? 0;

    // 20 /64s of 2001:db8:aa::/48 × 50 invented links, a new address for every click, 10 a minute across the /48 (PAY_UNKNOWN_PER_NETWORK).
    const statuses: Record<number, number> = {};
    for (let n = 0; n < 1000; n++) {
      const { status } = await click(invented(n), `2001:db8:aa:${(n % 20).toString(16)}::${(n + 1).toString(16)}`);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (n % 10 === 9) h.clock.advance(61_000);
    }
    const realNoAmount = `/pay?${new URLSearchParams({ invoiceNo: real.invoiceNumber, shortCode: h.merchant.shortCode, currency: 'IDR' })}`;
    assert.equal(
      (await click(realNoAmount, '198.51.100.7')).status,
      404,
      "a real invoice's number without its amount, from another network: asked of Xero, not 429",
    );
    assert.deepEqual(statuses, { 404: 100, 429: 900 });
    assert.equal(await shared('pay:unknown-day'), 101, "the flood's clicks over its network's day share did not count against the merchant's");
    assert.equal((await click(invented(2000), '2001:db8:bb:1::1')).status, 404, 'another /48 is another network');

    const refused = await click(invented(2001), '2001:db8:aa:ff::1').expect(429);
    assert.ok(
      Number(refused.headers['retry-after']) > 3600,
      `a new /64 of the /48 is refused until the next day: Retry-After ${refused.headers['retry-after']}`,
    );
    const counted = await networkDay();
    assert.equal((await click(h.payUrl(known.invoiceNumber), '2001:db8:aa:fe::1')).status, 303, "a known invoice's own link from the same /48");
    assert.equal(await networkDay(), counted, "a known link is never counted against the network's day of other links");
  });

  it('a click refused for its address counts against nothing else', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_RATE_LIMIT_PER_IP: '3' } });
    for (let n = 0; n < 10; n++) await click(invented(n), '203.0.113.67');
    assert.equal(await shared('pay:unknown'), 3);
  });

  it("one client holding several of its own invoices' links cannot use up PAY_RATE_LIMIT_PER_SHORTCODE for the merchant's other customers", async () => {
    // The defaults: 30 per client, 40 known links per ShortCode, 10 per invoice, 20 known links per client.
    h = await createHarness(db(), { env: { TRUST_PROXY: '1' } });
    const mine = Array.from({ length: 4 }, () => h.addInvoice({}));
    const theirs = h.addInvoice({});
    await schedule(h, 'sync-open-invoices', 60); // every link is known: counted against the ShortCode's limit
    await h.worker.drain();
    h.clock.advance(61_000);

    const statuses: Record<number, number> = {};
    for (let i = 0; i < 40; i++) {
      const { status } = await click(h.payUrl(mine[i % 4].invoiceNumber), '203.0.113.5');
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
    // Every other customer of the merchant still gets their checkout.
    const others = [];
    for (let i = 0; i < 5; i++) others.push((await click(h.payUrl(theirs.invoiceNumber), `192.0.2.${i + 1}`)).status);
    assert.deepEqual(others, [303, 303, 303, 303, 303], "the merchant's other customers");
    assert.deepEqual(statuses, { 303: 20, 429: 20 });
    assert.equal(await shared('pay:shortcode'), 25, "the clicks over the client's own limit did not count against the merchant's");
  });

  it('shares the counters between web processes through the database', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_RATE_LIMIT_PER_IP: '4' } });
    const inv = h.addInvoice({});
    const second = createApp({
      config: loadConfig({
        PUBLIC_URL: h.baseUrl,
        DEMO: 'false',
        XENDIT_CHECKOUT_HOSTS: new URL(h.sims.xenditUrl).host,
        PAY_RATE_LIMIT_PER_IP: '4',
        TRUST_PROXY: '1',
      }),
      stores: h.stores,
      xero: h.sims.xeroClient,
      xendit: h.sims.xenditClient,
      clock: h.clock,
      logger: pino({ level: 'silent' }),
    });
    const statuses: number[] = [];
    for (const app of [h.app, second, h.app, second, h.app, second]) {
      statuses.push((await request(app).get(h.payUrl(inv.invoiceNumber)).set('X-Forwarded-For', '203.0.113.9')).status);
    }
    assert.deepEqual(statuses, [303, 303, 303, 303, 429, 429]);
  });

  it('counts concurrent clicks exactly (one atomic upsert per hit)', async () => {
    h = await createHarness(db(), { env: { TRUST_PROXY: '1', PAY_RATE_LIMIT_PER_IP: '10' } });
    const results = await Promise.all(Array.from({ length: 25 }, () => click('/pay?invoiceNo=X', '203.0.113.10')));
    const byStatus = results.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
    assert.deepEqual(byStatus, { 400: 10, 429: 15 });
  });
});
