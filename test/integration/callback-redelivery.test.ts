import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { createApp } from '../../app/server.js';
import { reconcile } from '../../app/jobs/sync/reconcile.js';
import { createXenditSimulator } from '../../app/simulators/xendit/index.js';

const MINUTE = 60_000;

/**
 * Xendit sends a callback or webhook the merchant's server did not answer 2xx again, up to six
 * times, at 15 m, 1 h, 3 h, 6 h, 12 h and 24 h after the first attempt (docs.xendit.co/apidocs/
 * webhook-behavior); one that got no answer at all is not (help.xendit.co: auto-retry skips
 * "Timeout"). The simulator sends them when its clock has passed their time and redeliverDue is called.
 */
describe('simulated Xendit: redelivery of refused callbacks and webhooks', () => {
  const start = new Date('2026-12-01T00:00:00Z').getTime();
  let now = start;
  const received: { url: string; what: unknown; retryOf?: number }[] = [];
  const refundAnswers: number[] = [];
  const sim = createXenditSimulator({
    checkoutBaseUrl: 'http://127.0.0.1:9',
    now: () => new Date(now),
    fetch: async (url, init) => {
      const body = JSON.parse(String(init?.body)) as { status?: string; event?: string };
      received.push({ url: String(url), what: body.event ?? body.status });
      if (String(url).endsWith('/down')) throw new TypeError('fetch failed'); // nothing answers
      if (String(url).endsWith('/refunds')) return new Response('', { status: refundAnswers.shift() ?? 200 });
      return new Response('', { status: 500 }); // the invoice callbacks: always refused
    },
  });
  const key = 'xnd_development_redeliver';
  sim.registerAccount({
    secretKey: key,
    callbackToken: 'tok',
    businessName: 'Toko',
    callbackUrl: 'http://gw.test/callbacks',
    refundCallbackUrl: 'http://gw.test/refunds',
  });
  const at = (minutes: number) => {
    now = start + minutes * MINUTE;
    return sim.test.redeliverDue();
  };

  it('a callback refused is sent again at each mark until the sixth, a webhook until answered 2xx; one not answered at all is not sent again', async () => {
    const [refused, unanswered] = [1, 2].map(() => sim.createInvoice({ account: key, currency: 'IDR', amount: 10_000 }).id);
    await sim.pay(refused, { paymentMethod: 'EWALLET', paymentChannel: 'SHOPEEPAY' });
    await sim.pay(unanswered, { callbackUrl: 'http://gw.test/down' });
    refundAnswers.push(503);
    const refund = await sim.refund(refused, { amount: 1_000 });
    assert.deepEqual(
      sim.test.redeliveries().map((d) => [d.kind, d.subject, d.retries, d.dueAt.getTime() - start]),
      [
        ['invoice', refused, 0, 15 * MINUTE],
        ['refund', refund.id, 0, 15 * MINUTE],
      ],
    );

    assert.deepEqual(await at(14.99), [], 'nothing before its time');
    const first = await at(15);
    assert.deepEqual(
      first.map((r) => [r.kind, r.subject, r.retry, r.responseStatus]),
      [
        ['invoice', refused, 1, 500],
        ['refund', refund.id, 1, 200],
      ],
    );
    assert.deepEqual(await at(59), []);
    const marks = [60, 180, 360, 720, 1440];
    for (const [i, minutes] of marks.entries()) {
      assert.deepEqual(
        (await at(minutes)).map((r) => [r.subject, r.retry]),
        [[refused, i + 2]],
        `retry ${i + 2} at ${minutes} minutes`,
      );
    }
    assert.deepEqual(sim.test.redeliveries(), [], 'six redeliveries, then no more');
    assert.deepEqual(await at(10 * 1440), []);

    // Each attempt is the same callback to the same URL, logged with which redelivery it was.
    const paid = sim.test.callbacks().filter((c) => c.invoiceId === refused);
    assert.deepEqual(
      paid.map((c) => [c.status, c.retry ?? 0, c.responseStatus]),
      [0, 1, 2, 3, 4, 5, 6].map((n) => ['PAID', n, 500]),
    );
    assert.ok(paid.every((c) => JSON.stringify(c.body) === JSON.stringify(paid[0].body)));
    assert.equal(received.filter((r) => r.url.endsWith('/down')).length, 1, 'no answer at all: not sent again');
    assert.deepEqual(
      received.filter((r) => r.url.endsWith('/refunds')).map((r) => r.what),
      ['refund.succeeded', 'refund.succeeded'],
    );
  });
});

describeEachDatabase('a PAID callback the gateway refused, redelivered by Xendit', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    h.sims.xendit.test.useClock(h.clock);
  });
  afterEach(() => {
    h.sims.xendit.test.useClock();
    return h.close();
  });

  const xeroPayments = (invoiceId: string) => h.sims.xero.paymentsOf(invoiceId).filter((p) => p.status !== 'DELETED');
  const fees = (xenditId: string) =>
    h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit fee ${xenditId}` && t.status === 'AUTHORISED');
  /** The gateway while its database refuses to store callbacks: it answers 503 (store/unavailable.ts), which Xendit retries as any non-2xx. */
  const databaseDown = () => {
    const callbacks = {
      ...h.stores.callbacks,
      accept: async () => {
        throw new Error('Connection terminated unexpectedly');
      },
    };
    h.serve(createApp({ ...h.deps, stores: { ...h.stores, callbacks } }));
  };

  it('answered 503 (database unreachable), the payment is booked by reconcile meanwhile; the callback redelivered 15 minutes later is accepted and Xero still has one payment and one fee', async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    databaseDown();
    const refused = await h.sims.xendit.pay(x.id);
    assert.equal(refused?.responseStatus, 503);
    h.serve(h.app); // the database is back
    assert.equal(await h.count('callback_events'), 0);

    h.clock.advance(6 * MINUTE);
    const summary = await reconcile(
      { stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) },
      { minAgeMinutes: 5, batch: 10 },
    );
    assert.equal(summary.paid, 1);
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 1);
    assert.equal(fees(x.id).length, 1);

    h.clock.advance(9 * MINUTE - 1);
    assert.deepEqual(await h.sims.xendit.test.redeliverDue(), [], 'not before 15 minutes');
    h.clock.advance(1);
    const [again, ...more] = await h.sims.xendit.test.redeliverDue();
    assert.equal(more.length, 0);
    assert.deepEqual([again.kind, again.subject, again.retry, again.responseStatus], ['invoice', x.id, 1, 200]);
    assert.equal(h.sims.xendit.test.callbacks().at(-1)?.status, 'PAID');
    assert.equal(await h.count('callback_events'), 1, 'stored this time');
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 1, 'one payment');
    assert.equal(fees(x.id).length, 1, 'one fee');
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
    assert.deepEqual(h.sims.xendit.test.redeliveries(), [], 'answered 200: not sent again');
  });
});
