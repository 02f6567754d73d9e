import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { SIM_CLIENT_TIMEOUT_MS } from '../helpers/sims.js';
import { createApp } from '../../app/server.js';
import { createWorker, serveWorkerMetrics } from '../../app/bin/worker.js';
import type { AddressInfo } from 'node:net';
import { createMetrics, type Metrics } from '../../app/metrics/index.js';
import { paths } from '../../app/paths.js';
import { createXeroClient } from '../../app/clients/xero/index.js';
import { createXenditClient } from '../../app/clients/xendit/index.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const LIMITS = { perMinute: 60, perDay: 5000 };

/** The value of one sample line (`name{labels} value`), or undefined when it is not exported. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(m[3]);
  }
  return undefined;
}

describeEachDatabase('GET /metrics', ({ db }) => {
  let h: Harness;
  let metrics: Metrics;
  let worker: ReturnType<typeof createWorker>;

  beforeEach(async () => {
    // Counted in the database, so the Xero budget gauges have rows to read.
    h = await createHarness(db(), { xeroLimits: LIMITS });
    metrics = createMetrics({
      source: h.stores.metrics,
      clock: h.clock,
      xeroLimits: LIMITS,
    });
    // The same simulators, through clients that report to this app's registry.
    const xero = createXeroClient({
      apiUrl: h.sims.xeroUrl,
      identityUrl: h.sims.xeroUrl,
      timeoutMs: SIM_CLIENT_TIMEOUT_MS,
      now: h.clock,
      budget: h.deps.xeroBudget!,
      observer: metrics.xero,
    });
    const xendit = createXenditClient({
      apiUrl: h.sims.xenditUrl,
      timeoutMs: SIM_CLIENT_TIMEOUT_MS,
      observer: metrics.xendit,
    });
    const deps = {
      ...h.deps,
      xero,
      xendit,
      metrics,
      config: { ...h.deps.config, metricsToken: TOKEN },
    };
    // Served at baseUrl and used by the harness's helpers (paidThroughGateway) alike.
    h.app = createApp(deps);
    h.serve(h.app);
    worker = createWorker({
      stores: h.stores,
      xero,
      xendit,
      clock: h.clock,
      logger: h.deps.logger,
      metrics,
    });
  });
  afterEach(() => h.close());

  const scrape = (token = TOKEN) => request(h.app).get('/metrics').set('Authorization', `Bearer ${token}`);

  it("a separate worker process serves its own calls' metrics on WORKER_METRICS_PORT, with the same token", async () => {
    const server = await serveWorkerMetrics({ metrics, token: TOKEN, port: 0 });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await paidThroughGateway(h);
      await worker.drain();
      const ok = await request(url).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      assert.match(ok.text, /gateway_xero_call_duration_seconds_count\{[^}]*\} [1-9]/, 'the Xero calls the worker made');
      await request(url).get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789').expect(404);
      await request(url).get('/metrics').expect(404);
      await request(url).get('/').expect(404);
    } finally {
      server.close();
    }
  });

  it("counts refusals on the refund and dispute webhooks' routes too", async () => {
    for (const path of [`${h.callbackPath}/refunds`, `${h.callbackPath}/disputes`]) {
      await request(h.app).post(path).set('x-callback-token', 'not-the-token').send({ event: 'x', id: 'y' }).expect(401);
      await request(h.app).post(path).set('x-callback-token', h.merchant.callbackToken).set('Content-Type', 'application/json').send('{"id":').expect(400);
      await request(h.app).post(path).set('x-callback-token', h.merchant.callbackToken).send({ event: 'x' }).expect(400);
    }
    const text = (await scrape().expect(200)).text;
    assert.equal(sample(text, 'gateway_callbacks_total', { outcome: 'unauthorized' }), 2);
    assert.equal(sample(text, 'gateway_callbacks_total', { outcome: 'bad_request' }), 4);
  });

  it('counts the events of signed Xero webhook deliveries, the unreadable ones apart (answered 200 all the same)', async () => {
    const key = 'xero-webhook-key-for-tests-0123456789abcdef';
    const app = createApp({ ...h.deps, metrics, config: { ...h.deps.config, metricsToken: TOKEN, xeroWebhookKey: key } });
    const invoice = { resourceId: 'b6f2c1de-0000-4000-8000-000000000001', eventDateUtc: '2026-12-05T00:00:00', eventCategory: 'INVOICE', tenantId: 't' };
    const batch = JSON.stringify({ events: [invoice, { ...invoice, eventCategory: 'CONTACT' }, 42, { ...invoice, eventDateUtc: 7 }] });
    for (const body of [batch, 'not json'])
      await request(app)
        .post(paths.xeroWebhook)
        .set('content-type', 'application/json')
        .set('x-xero-signature', createHmac('sha256', key).update(body).digest('base64'))
        .send(body)
        .expect(200, '');
    const text = (await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text;
    assert.equal(sample(text, 'gateway_xero_webhook_events_total', { outcome: 'invoice' }), 1);
    assert.equal(sample(text, 'gateway_xero_webhook_events_total', { outcome: 'other' }), 1);
    assert.equal(sample(text, 'gateway_xero_webhook_events_total', { outcome: 'unreadable' }), 3);
  });

  it('is not found without the token, with a wrong one, or when METRICS_TOKEN is not set', async () => {
    await request(h.app).get('/metrics').expect(404);
    await scrape('metrics-token-0123456789abcdeX').expect(404);
    await request(h.app)
      .get('/metrics')
      .set('Authorization', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`)
      .expect(404);
    const unset = createApp({ ...h.deps, metrics });
    await request(unset).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
  });

  it('counts pay clicks, callbacks, queue, needs review, Xero budget, upstream calls and webhook lag', async () => {
    await request(h.app).get(h.payUrl('NO-SUCH-INVOICE')).expect(404);
    const { x } = await paidThroughGateway(h);
    const body = { id: x.id, external_id: x.external_id, status: 'PAID' };
    await request(h.app).post(h.callbackPath).set('x-callback-token', h.merchant.callbackToken).send(body).expect(200);
    await request(h.app).post(h.callbackPath).set('x-callback-token', 'not-the-token').send(body).expect(401);

    const before = (
      await scrape()
        .expect(200)
        .expect('content-type', /text\/plain/)
    ).text;
    assert.equal(sample(before, 'gateway_pay_clicks_total', { outcome: 'redirect' }), 1);
    assert.equal(sample(before, 'gateway_pay_clicks_total', { outcome: 'not_found' }), 1);
    assert.equal(sample(before, 'gateway_callbacks_total', { outcome: 'stored' }), 1);
    assert.equal(sample(before, 'gateway_callbacks_total', { outcome: 'duplicate' }), 1);
    assert.equal(sample(before, 'gateway_callbacks_total', { outcome: 'unauthorized' }), 1);
    // The callback's job waits for the worker; the manual clock has not moved, so it is not late yet.
    assert.equal(
      sample(before, 'gateway_job_queue_depth', {
        kind: 'record-payment',
        state: 'queued',
      }),
      1,
    );
    assert.equal(
      sample(before, 'gateway_job_queue_oldest_seconds', {
        kind: 'record-payment',
        state: 'queued',
      }),
      0,
    );
    assert.equal(sample(before, 'gateway_payments_needs_review'), 0);
    // Two pay clicks read the invoice in Xero (one found nothing); one made a Xendit invoice.
    assert.equal(
      sample(before, 'gateway_xero_call_duration_seconds_count', {
        operation: 'findInvoiceByNumber',
        result: 'ok',
      }),
      2,
    );
    assert.equal(
      sample(before, 'gateway_xendit_call_duration_seconds_count', {
        operation: 'createInvoice',
        result: 'ok',
      }),
      1,
    );
    const org = h.merchant.xero.tenantId || h.merchant.xero.clientId;
    assert.equal(
      sample(before, 'gateway_xero_budget_calls', {
        organisation: org,
        window: 'minute',
        kind: 'used',
      }),
      2,
    );
    assert.equal(
      sample(before, 'gateway_xero_budget_calls', {
        organisation: org,
        window: 'day',
        kind: 'left',
      }),
      LIMITS.perDay - 2,
    );
    assert.ok(sample(before, 'process_cpu_user_seconds_total') !== undefined, 'default Node process metrics are exported');

    h.clock.advance(5000);
    await worker.drain();
    // As if recording had given up: the gauge reads the payments table at scrape time.
    await db().updateTable('payments').set({ sync_state: 'needs_review' }).execute();
    const after = (await scrape().expect(200)).text;
    assert.equal(
      sample(after, 'gateway_job_queue_depth', {
        kind: 'record-payment',
        state: 'queued',
      }),
      undefined,
      'a done job leaves the queue gauges',
    );
    assert.equal(sample(after, 'gateway_payments_needs_review'), 1);
    // Callback stored at the clock's start, job done 5 s later.
    assert.equal(sample(after, 'gateway_webhook_lag_seconds_count'), 1);
    assert.equal(sample(after, 'gateway_webhook_lag_seconds_sum'), 5);
    const used = sample(after, 'gateway_xero_budget_calls', {
      organisation: org,
      window: 'minute',
      kind: 'used',
    })!;
    assert.ok(used > 2, "the worker's Xero calls count against the budget");
    assert.equal(
      sample(after, 'gateway_xero_budget_calls', {
        organisation: org,
        window: 'minute',
        kind: 'left',
      }),
      LIMITS.perMinute - used,
    );

    for (const secret of [TOKEN, h.merchant.callbackToken, 'not-the-token', h.merchant.xenditSecretKey, h.merchant.xero.clientSecret]) {
      assert.ok(!after.includes(secret), `metrics contain ${secret}`);
    }
  });

  it("counts the day left against the organisation's day limit learned from Xero when it is lower (Xero's Starter tier)", async () => {
    h.sims.xero.test.setDayLimit(h.merchant.xero.clientId, 1000);
    await h.deps.xero.getOrganisation(h.merchant.xero);
    const text = (await scrape().expect(200)).text;
    const org = h.merchant.xero.tenantId || h.merchant.xero.clientId;
    assert.equal(sample(text, 'gateway_xero_budget_calls', { organisation: org, window: 'day', kind: 'used' }), 1);
    assert.equal(sample(text, 'gateway_xero_budget_calls', { organisation: org, window: 'day', kind: 'left' }), 999);
  });

  it('counts a queued job as late from when it was due, and a callback refused for its body', async () => {
    await paidThroughGateway(h);
    h.clock.advance(90_000);
    await request(h.app)
      .post(h.callbackPath)
      .set('x-callback-token', h.merchant.callbackToken)
      .set('Content-Type', 'application/json')
      .send('{"id":')
      .expect(400);
    const text = (await scrape().expect(200)).text;
    assert.equal(
      sample(text, 'gateway_job_queue_oldest_seconds', {
        kind: 'record-payment',
        state: 'queued',
      }),
      90,
    );
    assert.equal(sample(text, 'gateway_callbacks_total', { outcome: 'bad_request' }), 1);
    // The budget's minute has passed: nothing used in this one yet.
    const org = h.merchant.xero.tenantId || h.merchant.xero.clientId;
    assert.equal(
      sample(text, 'gateway_xero_budget_calls', {
        organisation: org,
        window: 'minute',
        kind: 'used',
      }),
      0,
    );
  });

  it("counts Xero's 429 and Xendit's failures as errors by operation, and the pay click as unavailable", async () => {
    const inv = h.addInvoice({});
    h.sims.xero.faults.failNext(1, 429, { retryAfter: 17 });
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    h.clock.advance(60_000); // past the block Xero's Retry-After put on the organisation's budget
    h.sims.xendit.faults.failNext(1, 503);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    const text = (await scrape().expect(200)).text;
    assert.equal(
      sample(text, 'gateway_xero_call_errors_total', {
        operation: 'findInvoiceByNumber',
        kind: 'rate_limited',
      }),
      1,
    );
    assert.equal(
      sample(text, 'gateway_xero_call_duration_seconds_count', {
        operation: 'findInvoiceByNumber',
        result: 'rate_limited',
      }),
      1,
    );
    assert.equal(
      sample(text, 'gateway_xendit_call_errors_total', {
        operation: 'createInvoice',
        kind: 'unavailable',
      }),
      1,
    );
    assert.equal(sample(text, 'gateway_pay_clicks_total', { outcome: 'unavailable' }), 2);
  });
});
