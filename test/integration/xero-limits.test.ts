/**
 * Xero's rate limits counted in the database: two client instances sharing one database stand for
 * two processes (web and worker, or two workers). The simulator runs on the same injected clock.
 */
import { strict as assert } from 'node:assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, manualClock, type Harness } from '../helpers/harness.js';
import { createXeroClient } from '../../app/clients/xero/index.js';
import { createXeroSimulator, type XeroSimulator } from '../../app/simulators/xero/index.js';
import { createXeroBudget, type XeroLimits } from '../../app/store/xero-budget.js';
import { UpstreamError } from '../../app/clients/types.js';
import { unlimitedXeroBudget } from '../../app/clients/xero/budget.js';
import type { XeroCredentials, XeroGateway } from '../../app/clients/xero/types.js';
import { classify, RetryLater } from '../../app/jobs/runner.js';
import { sql } from 'kysely';
import { schedule } from '../../app/jobs/schedules.js';

interface SimServer {
  sim: XeroSimulator;
  url: string;
  /** API requests answered, with their status, and the most that were ever in flight at once. */
  statuses: number[];
  maxInFlight: number;
  close(): Promise<void>;
}

async function startSim(clock: () => Date): Promise<SimServer> {
  const sim = createXeroSimulator({ now: clock });
  const app = express();
  const out: SimServer = { sim, url: '', statuses: [], maxInFlight: 0, close: async () => undefined };
  let inFlight = 0;
  app.use((req, res, next) => {
    if (!req.path.startsWith('/api.xro/')) return next();
    inFlight += 1;
    out.maxInFlight = Math.max(out.maxInFlight, inFlight);
    res.on('close', () => {
      inFlight -= 1;
      out.statuses.push(res.statusCode);
    });
    next();
  });
  app.use(sim.router);
  const server: Server = createServer(app);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  out.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  out.close = async () => {
    sim.reset();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return out;
}

async function rejection(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof UpstreamError, `expected an UpstreamError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to be refused');
}

let seq = 0;

describeEachDatabase('Xero rate limits shared through the database', ({ db }) => {
  let clock: ReturnType<typeof manualClock>;
  let s: SimServer;
  let creds: XeroCredentials;

  beforeEach(async () => {
    // Mid-minute, so a test's calls all fall in one minute window.
    clock = manualClock(new Date('2026-11-25T03:00:20Z'));
    s = await startSim(clock);
    const n = `${process.pid}-${++seq}-${Date.now()}`;
    creds = { clientId: `limits-${n}`, clientSecret: `secret-${n}`, tenantId: '' };
    s.sim.addOrganisation({ clientId: creds.clientId, clientSecret: creds.clientSecret, name: 'Toko Batas', shortCode: `!L${seq}`, baseCurrency: 'IDR' });
  });
  afterEach(() => s.close());

  /** One "process": its own budget object and client, the shared database. */
  function proc(limits: Partial<XeroLimits> = {}, slotWaitMs?: number): XeroGateway {
    return createXeroClient({ apiUrl: s.url, identityUrl: s.url, now: clock, budget: createXeroBudget(db(), clock, limits), slotWaitMs });
  }

  it('two processes make 60 calls in a minute; the 61st is held back and re-queued without reaching Xero, and a 429 from Xero counting the last 60 seconds holds both back', async () => {
    const a = proc();
    const b = proc();
    const run = async (g: XeroGateway, n: number) => {
      for (let i = 0; i < n; i++) await g.getOrganisation(creds);
    };
    await Promise.all([run(a, 30), run(b, 30)]);
    assert.equal(s.statuses.length, 60);

    const err = await rejection(a.getOrganisation(creds));
    assert.equal(err.kind, 'rate_limited');
    assert.equal(err.retryAfterSeconds, 40, 'until the next minute');
    const verdict = classify(err);
    assert.ok(verdict instanceof RetryLater && verdict.afterSeconds === 40, 'a worker job is re-queued for then');
    assert.equal((await rejection(b.getOrganisation(creds))).kind, 'rate_limited');
    assert.equal(s.statuses.length, 60, 'the refused calls never reached Xero');
    assert.deepEqual([...new Set(s.statuses)], [200]);

    // Our count starts again at the minute; Xero counts the last 60 seconds, so it may still refuse
    // (the simulator does): Xero's Retry-After is taken, and holds the other process back too.
    clock.advance(40_000);
    const late = await rejection(b.getOrganisation(creds));
    assert.deepEqual([late.kind, late.status, late.retryAfterSeconds], ['rate_limited', 429, 20]);
    assert.equal((await rejection(a.getOrganisation(creds))).status, undefined, 'held back here, never sent');
    assert.deepEqual(s.statuses.slice(60), [429]);
    // Only the Retry-After is taken from a 429: the call goes as soon as Xero's window lets it.
    clock.advance(20_000);
    await a.getOrganisation(creds);
    assert.deepEqual(s.statuses.slice(60), [429, 200]);
  });

  it('six concurrent calls for one organisation: at most five are in flight at Xero, the sixth waits for a slot', async () => {
    // The sixth polls for a slot on the real clock: long enough that a loaded machine cannot run it out.
    const a = proc({}, 120_000);
    const b = proc({}, 120_000);
    await Promise.all([a.getOrganisation(creds), b.getOrganisation(creds)]); // tokens first
    s.statuses.length = 0;
    // Calls are parked at Xero until released, so "five at once" does not depend on how fast they are sent.
    const gate = s.sim.faults.gate();
    const calls = Promise.all([a, a, a, b, b, b].map((g) => g.getOrganisation(creds)));
    await gate.untilParked(5);
    assert.equal(s.maxInFlight, 5);
    gate.open();
    const results = await calls;
    assert.equal(results.length, 6);
    assert.equal(s.statuses.length, 6);
    assert.equal(s.maxInFlight, 5);
  });

  it("frees a crashed holder's in-flight slot once its lease has passed", async () => {
    const budget = createXeroBudget(db(), clock, { slotLeaseMs: 30_000 });
    // A process takes all five slots and dies without releasing them.
    for (let i = 0; i < 5; i++) assert.equal((await budget.acquire(creds, 'read')).ok, true);

    const other = proc({ slotLeaseMs: 30_000 }, 100);
    const err = await rejection(other.getOrganisation(creds));
    assert.equal(err.kind, 'rate_limited');
    assert.match(err.message, /in flight/);
    assert.equal(s.statuses.length, 0);

    clock.advance(31_000);
    await other.getOrganisation(creds);
    assert.deepEqual(s.statuses, [200]);
  });

  it("a holder whose lease lapsed and whose slot was taken over cannot free the new holder's slot", async () => {
    const budget = createXeroBudget(db(), clock, { maxInFlight: 1, slotLeaseMs: 30_000 });
    const late = await budget.acquire(creds, 'read');
    assert.ok(late.ok);
    clock.advance(31_000);
    const current = await budget.acquire(creds, 'read');
    assert.ok(current.ok, 'the lapsed slot is taken over');
    await late.release({});
    await late.refund();
    assert.deepEqual(await budget.acquire(creds, 'read'), { ok: false, reason: 'in_flight', retryAfterSeconds: 1 }, 'still held by the current holder');
    await current.release({});
    assert.equal((await budget.acquire(creds, 'read')).ok, true);
  });

  it('a 429 with Retry-After from Xero blocks that organisation for every process until then', async () => {
    const a = proc();
    const b = proc();
    s.sim.faults.failNext(1, 429, { retryAfter: 120 });
    const first = await rejection(a.getOrganisation(creds));
    assert.equal(first.status, 429);
    assert.equal(first.retryAfterSeconds, 120);
    assert.equal(s.statuses.length, 1);

    const second = await rejection(b.getOrganisation(creds));
    assert.equal(second.kind, 'rate_limited');
    assert.equal(second.retryAfterSeconds, 120, 'the other process waits just as long');
    clock.advance(119_000);
    assert.equal((await rejection(a.getOrganisation(creds))).retryAfterSeconds, 1);
    assert.equal(s.statuses.length, 1, 'nobody called Xero while it was blocked');

    clock.advance(1_000);
    await b.getOrganisation(creds);
    assert.deepEqual(s.statuses, [429, 200]);
  });

  it("a 429 of Xero's concurrent limit (no Retry-After) holds the organisation back about a second, not a minute", async () => {
    const a = proc();
    const b = proc();
    await Promise.all([a.getOrganisation(creds), b.getOrganisation(creds)]); // tokens first
    s.statuses.length = 0;
    // Calls in flight we did not count (another installation's, a slot freed too early): Xero is at its five.
    s.sim.limits.concurrent = 0;
    const busy = await rejection(a.getOrganisation(creds));
    assert.deepEqual([busy.kind, busy.status, busy.retryAfterSeconds], ['rate_limited', 429, 1], 'tried again in a second');
    s.sim.limits.concurrent = 5;
    clock.advance(1_000);
    // A 60-second block here held every pay click and payment write of the merchant back for a minute.
    await b.getOrganisation(creds);
    assert.deepEqual(s.statuses, [429, 200]);
  });

  it("keeps an app's calls across its organisations inside the per-app minute limit", async () => {
    const second = s.sim.addOrganisation({
      clientId: creds.clientId,
      clientSecret: creds.clientSecret,
      name: 'Toko Dua',
      shortCode: `!M${seq}`,
      baseCurrency: 'IDR',
    });
    const first = s.sim.test.findOrganisation((o) => o.clientId === creds.clientId && o.tenantId !== second.tenantId)!;
    s.sim.limits.appPerMinute = 6;
    const orgA = { ...creds, tenantId: first.tenantId };
    const orgB = { ...creds, tenantId: second.tenantId };
    const a = proc({ appPerMinute: 6 });
    const b = proc({ appPerMinute: 6 });
    for (let i = 0; i < 3; i++) await Promise.all([a.getOrganisation(orgA), b.getOrganisation(orgB)]);
    const err = await rejection(b.getOrganisation(orgA));
    assert.match(err.message, /app's budget/);
    assert.equal(s.statuses.length, 6);
    assert.deepEqual([...new Set(s.statuses)], [200]);
  });

  it('slots released while another release is in flight go in one statement: all freed, each counter raised to the highest figure Xero gave', async () => {
    const budget = createXeroBudget(db(), clock);
    const other = { clientId: creds.clientId, tenantId: `${creds.tenantId}-other` };
    const scopes = [creds, creds, creds, other, other].map((c) => ({ clientId: c.clientId, tenantId: c.tenantId }));
    const tickets = [];
    for (const scope of scopes) {
      const t = await budget.acquire(scope, 'read');
      assert.ok(t.ok);
      tickets.push(t);
    }
    const slots = async () =>
      Number((await sql<{ n: string }>`select count(*) as n from xero_slots where key like ${`org:${creds.clientId}:%`}`.execute(db())).rows[0].n);
    assert.equal(await slots(), 5);
    // The first organisation: Xero said 50, 40 and 55 left this minute (20 used at most); the other: 50 once.
    const remaining = [50, 40, 55, undefined, 50];
    await Promise.all(tickets.map((t, i) => t.release(remaining[i] === undefined ? {} : { minRemaining: remaining[i] })));
    assert.equal(await slots(), 0);
    const used = await sql<{
      key: string;
      minute_used: number;
    }>`select key, minute_used from xero_calls where key like ${`org:${creds.clientId}:%`} order by key`.execute(db());
    assert.deepEqual(
      used.rows.map((r) => Number(r.minute_used)),
      [20, 10],
      'the first organisation: Xero counted 20 (more than our 3); the other: 10 from its one answer',
    );
  });

  it("learns an organisation's smaller day limit from Xero's answers (an app on the Starter tier: 1 000), and the configured one again once the tier rises", async () => {
    // Configured for 5 000 a day; Xero allows this app 1 000 (simulators/xero/limits.ts: its tiers since 2 March 2026).
    s.sim.test.setDayLimit(creds.clientId, 1000);
    const a = proc();
    let made = 0;
    let refused: UpstreamError | undefined;
    // 50 calls a minute, inside the minute's 60.
    for (let minute = 0; minute < 30 && !refused; minute++) {
      for (let i = 0; i < 50 && !refused; i++) {
        refused = await a.getOrganisation(creds).then(
          () => void made++,
          (err: unknown) => (err instanceof UpstreamError ? err : Promise.reject(err)),
        );
      }
      clock.advance(60_000);
    }
    assert.match(refused?.message ?? '', /kept for payment writes/);
    assert.equal(made, 900, "reads stop at the payment writes' reserve of the organisation's 1 000 (10 %), not of the 5 000 configured");
    assert.deepEqual([...new Set(s.statuses)], [200], 'Xero never had to refuse');
    const learned = async () =>
      (await sql<{ day_learned: number | null }>`select day_learned from xero_calls where key = ${`org:${creds.clientId}:`}`.execute(db())).rows[0].day_learned;
    assert.equal(await learned(), 1000);

    // The app moved to a paid tier: the next answer Xero gives (a payment write, which may spend the reserve) says so.
    s.sim.test.setDayLimit(creds.clientId, 5000);
    await a.forPurpose('payment-write').getOrganisation(creds);
    assert.equal(await learned(), null, 'the configured 5 000 again');
    await a.getOrganisation(creds);
    assert.equal(s.statuses.length, 902);
  });

  it("corrects its counters from Xero's X-MinLimit-Remaining (calls it did not count itself)", async () => {
    s.sim.limits.perMinute = 10;
    const outsider = createXeroClient({ apiUrl: s.url, identityUrl: s.url, now: clock, budget: unlimitedXeroBudget });
    for (let i = 0; i < 4; i++) await outsider.getOrganisation(creds);
    const a = proc({ perMinute: 10 });
    await a.getOrganisation(creds); // Xero: 5 left this minute
    for (let i = 0; i < 5; i++) await a.getOrganisation(creds);
    assert.equal((await rejection(a.getOrganisation(creds))).kind, 'rate_limited');
    assert.equal(s.statuses.length, 10);
    assert.deepEqual([...new Set(s.statuses)], [200]);
  });
});

describeEachDatabase('Xero daily budget: the share kept for payment writes', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { xeroLimits: { perDay: 20, reserveShare: 0.5 } });
  });
  afterEach(() => h.close());

  it('when only the reserve is left, /pay answers 503 with Retry-After and reads wait, while record-payment still records', async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;

    // Reads (the worker's, the admin's) spend the budget down to the reserve of 10, then stop.
    let refused: UpstreamError | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      refused = await h.deps.xero.getOrganisation(h.merchant.xero).then(
        () => undefined,
        (err: unknown) => (err instanceof UpstreamError ? err : Promise.reject(err)),
      );
    }
    assert.equal(refused?.kind, 'rate_limited');
    assert.match(refused!.message, /kept for payment writes/);
    assert.equal(refused!.retryAfterSeconds, 21 * 3600, 'until the next UTC day');

    const other = h.addInvoice({});
    const res = await request(h.app).get(h.payUrl(other.invoiceNumber)).set('Accept', 'text/html').expect(503);
    assert.equal(res.headers['retry-after'], String(21 * 3600));
    assert.match(res.text, /Payments are briefly unavailable|Pembayaran sedang tidak tersedia/);

    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const p = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
    assert.equal(p?.syncState, 'recorded');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).length, 1);
  });

  it('when only the reserve is left, the scheduled comparison of open checkouts makes no Xero call (compared the next day instead), and record-payment still records', async () => {
    const voided = h.addInvoice({});
    await request(h.app).get(h.payUrl(voided.invoiceNumber)).expect(303);
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    const sent = () => h.sims.xero.test.countRequests({ pathPrefix: '/api.xro/' });
    await h.sims.xero.test.invoices.void(voided.invoiceId); // no webhook for this merchant: only the comparison can find it
    const voidedAtXendit = () => h.sims.xendit.listInvoices().find((i) => i.external_id.includes(voided.invoiceNumber))!.status;

    // Reads spend the day's budget down to the reserve of 10, kept for payment writes.
    let refused = false;
    for (let i = 0; i < 20 && !refused; i++)
      refused = await h.deps.xero.getOrganisation(h.merchant.xero).then(
        () => false,
        (err: unknown) => (err instanceof UpstreamError && err.kind === 'rate_limited') || Promise.reject(err),
      );
    assert.ok(refused, 'only the reserve is left');

    const before = sent();
    await schedule(h, 'check-open-checkouts', 30);
    await h.worker.drain();
    assert.equal(sent(), before, 'the comparison reached no Xero endpoint');
    const compare = (await h.stores.jobs.list()).filter((j) => j.kind === 'check-open-checkouts');
    assert.deepEqual(
      compare.map((j) => j.state),
      ['done'],
      'an exhausted budget is a skipped merchant, not a failing job',
    );
    assert.equal(voidedAtXendit(), 'PENDING', 'nothing compared, nothing closed');

    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded', 'the reserve is still there for the payment');
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).length, 1);

    h.clock.advance(21 * 3600_000); // the next UTC day: a fresh budget
    await schedule(h, 'check-open-checkouts', 30);
    await h.worker.drain();
    assert.equal(voidedAtXendit(), 'EXPIRED', 'the checkout left uncompared is compared first the next day');
  });

  it("uses a merchant's own daily limit (its share of an organisation another installation also calls) instead of the default", async () => {
    await h.stores.merchants.setXeroDayLimit(h.merchant.id, 6); // reserve: 3 of them
    const sent = () => h.sims.xero.test.countRequests({ pathPrefix: '/api.xro/' });
    const before = sent();
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) {
      outcomes.push(
        await h.deps.xero.getOrganisation(h.merchant.xero).then(
          () => 'ok',
          (err: UpstreamError) => err.kind,
        ),
      );
    }
    assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 'rate_limited', 'rate_limited']);
    assert.equal(sent() - before, 3);
  });
});
