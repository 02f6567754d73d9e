import { strict as assert } from 'node:assert';
import { createHmac, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createOAuthHarness, oauthMerchantReadyToSell, type OAuthHarness } from '../helpers/xero-oauth.js';
import { page, seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminPaymentPath, callbackPathFor, paths } from '../../app/paths.js';
import type { Merchant } from '../../app/store/merchants.js';
import { schedule } from '../../app/jobs/schedules.js';
import { pino } from 'pino';
import { checkInvoiceJob } from '../../app/jobs/sync/invoice-changes.js';
import { crashHook } from '../../app/jobs/sync/crash-points.js';
import type { Job } from '../../app/store/jobs.js';

const KEY = 'xero-webhook-key-for-tests-0123456789abcdef';
const sign = (body: string, key = KEY) => createHmac('sha256', key).update(body).digest('base64');

/**
 * Xero invoices that change while a customer holds a payable checkout: Xero's webhooks (and, for
 * merchants without them, the scheduled comparison) expire that Xendit invoice, and say why.
 */
describeEachDatabase('Xero webhooks: an invoice that changes closes its checkout', ({ db }) => {
  let h: OAuthHarness;
  let m: Merchant;
  let tenantId: string;
  let n = 0;
  beforeEach(async () => {
    h = await createOAuthHarness(db(), { XERO_WEBHOOK_KEY: KEY });
    // An OAuth merchant (the gateway's own Xero app: its webhooks are signed with XERO_WEBHOOK_KEY), ready to sell.
    ({ merchant: m, tenantId } = await oauthMerchantReadyToSell(h, ++n));
    h.sims.xero.test.webhooks.subscribe(h.baseUrl + paths.xeroWebhook, KEY);
  });
  afterEach(() => h.close());

  /** An invoice of the merchant's organisation, and a customer's click that opened a checkout for it. */
  /** An AUTHORISED IDR sales invoice of this organisation, for Budi unless `contact` says otherwise. */
  const authorisedInvoice = (
    o: Omit<Parameters<typeof h.sims.xero.addInvoice>[0], 'tenantId' | 'type' | 'status' | 'currency' | 'contact'> & {
      contact?: { name: string; email?: string };
    },
  ) => h.sims.xero.addInvoice({ tenantId, type: 'ACCREC', status: 'AUTHORISED', currency: 'IDR', contact: { name: 'Budi' }, ...o });

  async function openCheckout(lines = [{ description: 'Kopi', quantity: '2', unitAmount: '75000' }]) {
    const inv = authorisedInvoice({
      contact: { name: 'Budi', email: 'budi@example.co.id' },
      lineItems: lines,
      invoiceNumber: `INV-W${Math.random().toString(36).slice(2, 8)}`,
    });
    const url = () => {
      const x = h.sims.xero.listInvoices(tenantId).find((i) => i.invoiceId === inv.invoiceId)!;
      // Nothing due (voided, deleted): the link the customer kept from while it was due; zero proves nothing (link-hint.ts).
      const amount = Number(x.amountDue) > 0 ? x.amountDue : x.total;
      return `/pay?${new URLSearchParams({ invoiceNo: inv.invoiceNumber, shortCode: m.shortCode, currency: x.currencyCode, amount })}`;
    };
    const res = await request(h.app).get(url()).expect(303);
    const x = h.sims.xendit.listInvoices().find((i) => i.invoice_url === res.headers.location)!;
    return { inv, x, url };
  }
  const xenditStatus = (id: string) => h.sims.xendit.listInvoices().find((i) => i.id === id)!.status;
  const checkoutOf = async (xeroInvoiceId: string) => (await h.stores.checkouts.forInvoice(m.id, xeroInvoiceId)).at(-1)!;
  const xeroReads = () => h.sims.xero.test.countRequests({ method: 'GET', pathPrefix: '/api.xro/2.0/Invoices' });

  it("passes Xero's intent-to-receive check: 200 for a correct signature, 401 otherwise, empty bodies", async () => {
    const check = await h.sims.xero.test.webhooks.intentToReceive();
    assert.deepEqual(check, { passed: true, statuses: [200, 401] });
  });

  it('refuses a wrongly signed or unsigned delivery with 401 and stores nothing', async () => {
    const { inv } = await openCheckout();
    const body = JSON.stringify({
      events: [{ resourceId: inv.invoiceId, eventDateUtc: '2026-12-05T01:00:00', eventType: 'UPDATE', eventCategory: 'INVOICE', tenantId }],
    });
    const jobs = await h.count('jobs');
    await request(h.app)
      .post(paths.xeroWebhook)
      .set('content-type', 'application/json')
      .set('x-xero-signature', sign(body, 'another-key-entirely-123456'))
      .send(body)
      .expect(401);
    await request(h.app).post(paths.xeroWebhook).set('content-type', 'application/json').send(body).expect(401);
    // Signed, then changed on the way: the signature is over the bytes as they arrived.
    await request(h.app)
      .post(paths.xeroWebhook)
      .set('content-type', 'application/json')
      .set('x-xero-signature', sign(body))
      .send(body.replace('UPDATE', 'CREATE'))
      .expect(401);
    assert.equal(await h.count('jobs'), jobs);
  });

  it('voided in Xero: the Xendit invoice is expired, the checkout closed with why, and the admin shows it', async () => {
    const { inv, x, url } = await openCheckout();
    await h.sims.xero.test.invoices.void(inv.invoiceId); // Xero's UI, then its signed webhook
    assert.deepEqual(
      h.sims.xero.test.webhooks.deliveries().map((d) => d.status),
      [200],
    );
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'EXPIRED', 'the customer can no longer pay it');
    const c = await checkoutOf(inv.invoiceId);
    assert.equal(c.status, 'expired');
    // The customer clicks the Xero link again: the voided invoice's own page, no new checkout.
    const again = await request(h.app).get(url()).set('Accept-Language', 'en').expect(409);
    assert.match(cheerio.load(again.text)('h1').text(), /cannot be paid online/);
    assert.equal(h.sims.xendit.listInvoices().filter((i) => i.external_id.includes(inv.invoiceNumber)).length, 1);
    const closed = await h.stores.invoiceWatch.recentlyClosed([m.id], 10);
    assert.deepEqual(
      closed.map((c) => [c.invoiceNumber, c.closedReason]),
      [[inv.invoiceNumber, JSON.stringify({ key: 'admin:closedReason_voided' })]],
    );
    // The operator's dashboard says which payment page was closed, and why.
    await seedAdminCast(h, db());
    const { $ } = await page(await signedIn(h.app, 'ops@example.com'), `${paths.admin}?lang=en`);
    const row = $('#closed-checkouts tbody tr');
    assert.equal(row.length, 1);
    assert.match(row.text(), new RegExp(`${inv.invoiceNumber}[\\s\\S]*The invoice was voided in Xero\\.`));
  });

  it('amount due lowered below the checkout: expired, and the next click makes a checkout for the new amount', async () => {
    const { inv, x, url } = await openCheckout();
    await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '1', unitAmount: '75000' }]);
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'EXPIRED');
    const res = await request(h.app).get(url()).expect(303);
    const fresh = h.sims.xendit.listInvoices().find((i) => i.invoice_url === res.headers.location)!;
    assert.notEqual(fresh.id, x.id);
    assert.equal(fresh.amount, 75000);
    assert.equal(JSON.parse((await h.stores.invoiceWatch.recentlyClosed([m.id], 1))[0].closedReason).key, 'admin:closedReason_amountLowered');
  });

  it('a close given up (Xendit would not expire it, then the invoice was put right): the reason noted for it is dropped, so a later natural expiry shows none', async () => {
    const { inv, x } = await openCheckout();
    h.sims.xendit.faults.failNext(1, 503, { path: `/invoices/${x.id}/expire` });
    await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '1', unitAmount: '75000' }]);
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'PENDING', 'Xendit did not expire it');
    await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '2', unitAmount: '75000' }]);
    h.clock.advance(3600_000);
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'PENDING', 'the invoice is right again: the checkout stays payable');
    await h.sims.xendit.expire(x.id); // its own time ran out
    await h.worker.drain();
    assert.deepEqual(await h.stores.invoiceWatch.recentlyClosed([m.id], 10), [], 'no reason shown for a close that did not happen');
  });

  it("the payment's admin page says why the invoice's earlier payment page was closed", async () => {
    const { inv, x, url } = await openCheckout();
    await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '1', unitAmount: '75000' }]);
    await h.worker.drain();
    const res = await request(h.app).get(url()).expect(303);
    const fresh = h.sims.xendit.listInvoices().find((i) => i.invoice_url === res.headers.location)!;
    await h.sims.xendit.pay(fresh.id);
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(m.id, fresh.id))!;
    await seedAdminCast(h, db());
    for (const [lang, why] of [
      ['en', "The amount due in Xero fell below this payment page's amount."],
      ['id', 'Jumlah terutang di Xero menjadi lebih kecil dari jumlah halaman pembayaran ini.'],
    ]) {
      const { $ } = await page(await signedIn(h.app, 'ops@example.com'), `${adminPaymentPath(payment.id)}?lang=${lang}`);
      const closed = $('#timeline li.closed');
      assert.equal(closed.length, 1, lang);
      assert.equal(closed.find('code').text(), x.id);
      assert.equal(closed.find('.reason').text(), why);
      assert.match(closed.text(), /150[.,]000/);
    }
  });

  it('a higher amount or an unrelated change leaves the checkout payable; paid by other means closes it', async () => {
    const { inv, x } = await openCheckout();
    await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '3', unitAmount: '75000' }]);
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'PENDING');
    await h.sims.xero.test.invoices.payElsewhere(inv.invoiceId, '225000.00');
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'EXPIRED');
    assert.equal(JSON.parse((await h.stores.invoiceWatch.recentlyClosed([m.id], 1))[0].closedReason).key, 'admin:closedReason_paidElsewhere');
  });

  it('paid at Xendit just before the void: not expired; the payment is recorded as usual (to review, as the invoice is void)', async () => {
    const { inv, x } = await openCheckout();
    await h.sims.xendit.pay(x.id, { sendCallback: false }); // paid; its callback not here yet
    await h.sims.xero.test.invoices.void(inv.invoiceId);
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'PAID');
    const payment = await h.stores.payments.byXenditInvoice(m.id, x.id);
    assert.equal(payment?.syncState, 'needs_review', 'money came in for a void invoice: a person decides');
    assert.equal((await checkoutOf(inv.invoiceId)).status, 'paid');
  });

  it('paid at Xendit just as the gateway expires it (Xendit refuses: no PENDING invoice): recorded once as paid, not closed as expired', async () => {
    const { inv, x } = await openCheckout();
    const gate = h.sims.xendit.faults.gate({ method: 'POST', path: `/invoices/${x.id}/expire` });
    await h.sims.xero.test.invoices.void(inv.invoiceId);
    const draining = h.worker.drain();
    await gate.untilParked(1); // the expiry is on its way to Xendit
    await h.sims.xendit.pay(x.id, { sendCallback: false }); // the customer pays; its callback comes later
    gate.open();
    await draining;
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'PAID');
    assert.equal((await checkoutOf(inv.invoiceId)).status, 'paid');
    assert.deepEqual(await h.stores.invoiceWatch.recentlyClosed([m.id], 10), [], 'not shown as a payment page closed because of the void');
    // The PAID callback arrives after all: the same job, already done.
    await request(h.app)
      .post(callbackPathFor(m.id))
      .set('x-callback-token', m.callbackToken)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify(h.sims.xendit.test.callbackBody(x.id)))
      .expect(200);
    await h.worker.drain();
    assert.equal(await h.count('payments'), 1, 'recorded once');
    assert.equal((await h.stores.payments.byXenditInvoice(m.id, x.id))?.syncState, 'needs_review', 'money came in for a void invoice: a person decides');
  });

  it('events about other organisations or invoices without a checkout cost no Xero call; a redelivery is one job', async () => {
    const { inv } = await openCheckout();
    const other = authorisedInvoice({
      contact: { name: 'Ani' },
      lineItems: [{ description: 'Teh', unitAmount: '1000' }],
    });
    h.sims.xero.test.clearRequests();
    const event = (resourceId: string, t = tenantId) => ({
      resourceId,
      eventDateUtc: '2026-12-05T02:00:00.000',
      eventType: 'UPDATE',
      eventCategory: 'INVOICE',
      tenantId: t,
      tenantType: 'ORGANISATION',
    });
    const body = JSON.stringify({
      events: [event(other.invoiceId), event(inv.invoiceId, '00000000-0000-4000-8000-000000000000'), { ...event(inv.invoiceId), eventCategory: 'CONTACT' }],
    });
    const jobs = await h.count('jobs');
    await request(h.app).post(paths.xeroWebhook).set('content-type', 'application/json').set('x-xero-signature', sign(body)).send(body).expect(200, '');
    assert.equal(await h.count('jobs'), jobs, 'nothing to check');
    const real = JSON.stringify({ events: [event(inv.invoiceId)] });
    for (let i = 0; i < 3; i++)
      await request(h.app).post(paths.xeroWebhook).set('content-type', 'application/json').set('x-xero-signature', sign(real)).send(real).expect(200, '');
    assert.equal(await h.count('jobs'), jobs + 1, 'Xero retried: one check');
    await h.worker.drain();
    assert.equal(xeroReads(), 1, 'one read of the one invoice concerned');
  });

  const post = (body: string) => request(h.app).post(paths.xeroWebhook).set('content-type', 'application/json').set('x-xero-signature', sign(body)).send(body);
  const invoiceEvent = (resourceId: string, eventDateUtc = '2026-12-05T04:00:00.000') => ({
    resourceUrl: `https://api.xero.com/api.xro/2.0/Invoices/${resourceId}`,
    resourceId,
    eventDateUtc,
    eventType: 'UPDATE',
    eventCategory: 'INVOICE',
    tenantId,
    tenantType: 'ORGANISATION',
  });
  const jobsOf = async (kind: string) => (await h.stores.jobs.list()).filter((j) => j.kind === kind);

  it("a signed batch with an event we cannot read: 200, the others handled, and that event's organisation compared at once", async () => {
    const good = await openCheckout();
    const bad = await openCheckout();
    h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY); // the batch below is the only delivery
    await h.sims.xero.test.invoices.void(good.inv.invoiceId);
    await h.sims.xero.test.invoices.void(bad.inv.invoiceId);
    // Xero retries a refused delivery for 24 hours, then disables the webhook
    // (developer.xero.com/documentation/webhooks/configuring-your-server): one unreadable event
    // must not cost the others, nor every later delivery.
    const body = JSON.stringify({
      events: [invoiceEvent(good.inv.invoiceId), { ...invoiceEvent(bad.inv.invoiceId), eventDateUtc: 'x'.repeat(41) }, 42, null],
      firstEventSequence: 7,
      lastEventSequence: 10,
    });
    await post(body).expect(200, '');
    await h.worker.drain();
    assert.equal(xenditStatus(good.x.id), 'EXPIRED', 'the readable event handled');
    assert.equal(xenditStatus(bad.x.id), 'EXPIRED', "the unreadable one's organisation compared: its change found");
    assert.deepEqual(
      (await h.stores.invoiceWatch.recentlyClosed([m.id], 10)).map((c) => JSON.parse(c.closedReason).key),
      ['admin:closedReason_voided', 'admin:closedReason_voided'],
    );
  });

  it('a redelivered batch (Xero retrying) is handled once', async () => {
    const a = await openCheckout();
    const b = await openCheckout();
    h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY);
    const body = JSON.stringify({
      events: [invoiceEvent(a.inv.invoiceId), invoiceEvent(b.inv.invoiceId), { ...invoiceEvent(b.inv.invoiceId), resourceId: '' }],
      firstEventSequence: 11,
      lastEventSequence: 13,
    });
    for (let i = 0; i < 3; i++) await post(body).expect(200, '');
    assert.equal((await jobsOf('check-invoice')).length, 2, 'one check per invoice, however many times the batch came');
    assert.equal((await jobsOf('check-open-checkouts')).length, 1, 'one comparison for the unreadable event');
    await h.worker.drain();
    assert.equal(xenditStatus(a.x.id), 'PENDING');
    assert.equal(xenditStatus(b.x.id), 'PENDING');
  });

  it('answers 200 to a signed body that is not a webhook (Xero would only send it again) and stores nothing; 413 past the size bound, 404 when no key is set', async () => {
    const deep = JSON.stringify({ events: [] }).replace('[]', '['.repeat(5000) + ']'.repeat(5000));
    const jobs = await h.count('jobs');
    for (const body of ['not json', '{"events": "x"}', '[]', 'null', deep]) await post(body).expect(200, '');
    assert.equal(await h.count('jobs'), jobs);
    const big = JSON.stringify({ events: [], pad: 'x'.repeat(300_000) });
    await request(h.app).post(paths.xeroWebhook).set('content-type', 'application/json').set('x-xero-signature', sign(big)).send(big).expect(413);
    // Compressed, the bound is on what it inflates to.
    await request(h.app)
      .post(paths.xeroWebhook)
      .set('content-type', 'application/json')
      .set('content-encoding', 'gzip')
      .set('x-xero-signature', sign(big))
      .serialize((b) => b)
      .send(gzipSync(big))
      .expect(413);
    const off = await createOAuthHarness(db());
    try {
      const body = JSON.stringify({ events: [] });
      await request(off.app).post(paths.xeroWebhook).set('x-xero-signature', sign(body)).send(body).expect(404);
    } finally {
      await off.close();
    }
  });

  it('without webhooks, the scheduled comparison finds the change with one Xero call for all open checkouts', async () => {
    const a = await openCheckout();
    const b = await openCheckout();
    const c = await openCheckout();
    h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY); // deliveries get lost
    await h.sims.xero.test.invoices.void(b.inv.invoiceId);
    await h.worker.drain();
    assert.equal(xenditStatus(b.x.id), 'PENDING', 'nobody told us');
    h.sims.xero.test.clearRequests();
    await schedule(h, 'check-open-checkouts', 30);
    await h.worker.drain();
    assert.equal(xenditStatus(b.x.id), 'EXPIRED');
    assert.equal(xenditStatus(a.x.id), 'PENDING');
    assert.equal(xenditStatus(c.x.id), 'PENDING');
    assert.equal(xeroReads(), 2, 'one call for the three, one to confirm the changed one');
    assert.equal((await h.stores.invoiceWatch.recentlyClosed([m.id], 10)).length, 1);
  });

  /** Each change a person (or Xero) makes to the invoice, and the reason the checkout is closed with. */
  const CHANGES = {
    voided: (id: string) => h.sims.xero.test.invoices.void(id),
    deleted: (id: string) => h.sims.xero.test.invoices.force(id, { status: 'DELETED' }),
    notOpen: (id: string) => h.sims.xero.test.invoices.force(id, { status: 'SUBMITTED' }),
    paidElsewhere: (id: string) => h.sims.xero.test.invoices.payElsewhere(id, '150000.00'),
    amountLowered: (id: string) => h.sims.xero.test.invoices.editLines(id, [{ description: 'Kopi', quantity: '1', unitAmount: '75000' }]),
    currencyChanged: (id: string) => h.sims.xero.test.invoices.force(id, { currency: 'USD' }),
    // No event comes for an invoice the organisation no longer has: only the comparison finds it.
    notFound: (id: string) => h.sims.xero.test.invoices.forget(id),
  } as const;
  const reasonOf = async (xenditInvoiceId: string) => {
    const c = (await h.stores.invoiceWatch.recentlyClosed([m.id], 50)).find((r) => r.xenditInvoiceId === xenditInvoiceId);
    return c && [c.status, JSON.parse(c.closedReason).key];
  };

  for (const [why, change] of Object.entries(CHANGES)) {
    if (why !== 'notFound')
      it(`webhook: ${why} closes the checkout with that reason, and only that checkout`, async () => {
        const other = await openCheckout();
        const { inv, x } = await openCheckout();
        await change(inv.invoiceId);
        await h.worker.drain();
        assert.equal(xenditStatus(x.id), 'EXPIRED');
        assert.deepEqual(await reasonOf(x.id), ['expired', `admin:closedReason_${why}`]);
        assert.equal(xenditStatus(other.x.id), 'PENDING');
        assert.equal((await checkoutOf(other.inv.invoiceId)).status, 'open');
      });

    it(`scheduled, no webhook: ${why} closes the checkout with that reason, and only that checkout`, async () => {
      const other = await openCheckout();
      const { inv, x } = await openCheckout();
      h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY); // deliveries get lost
      await change(inv.invoiceId);
      await h.worker.drain();
      assert.equal(xenditStatus(x.id), 'PENDING', 'nobody told us');
      await schedule(h, 'check-open-checkouts', 30);
      await h.worker.drain();
      assert.equal(xenditStatus(x.id), 'EXPIRED');
      assert.deepEqual(await reasonOf(x.id), ['expired', `admin:closedReason_${why}`]);
      assert.equal(xenditStatus(other.x.id), 'PENDING');
      assert.equal((await checkoutOf(other.inv.invoiceId)).status, 'open');
    });
  }

  /**
   * Credit the merchant allocates in Xero (PUT /Overpayments|Prepayments/{id}/Allocations) lowers the
   * invoice's AmountDue as a credit note's does: the checkout for the old amount must not stay payable.
   */
  const ALLOCATED = {
    'an overpayment allocated to part of it': ['RECEIVE-OVERPAYMENT', 5000000n, 'amountLowered'],
    'a prepayment allocated to all of it': ['RECEIVE-PREPAYMENT', 15000000n, 'paidElsewhere'],
  } as const;
  const allocate = async (invoiceId: string, type: 'RECEIVE-OVERPAYMENT' | 'RECEIVE-PREPAYMENT', amount: bigint) => {
    const credit = h.sims.xero.test.receiveCredit(tenantId, type, { contactName: 'Budi', amount });
    if (credit.overpaymentId) await h.sims.xero.test.allocateOverpayment(tenantId, credit.overpaymentId, amount, invoiceId);
    else await h.sims.xero.test.allocatePrepayment(tenantId, credit.prepaymentId!, amount, invoiceId);
  };
  for (const [what, [type, amount, why]] of Object.entries(ALLOCATED)) {
    for (const path of ['webhook', 'scheduled, no webhook'] as const)
      it(`${path}: ${what} closes the checkout for the old amount (${why})`, async () => {
        const other = await openCheckout();
        const { inv, x } = await openCheckout();
        if (path !== 'webhook') h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY); // deliveries get lost
        await allocate(inv.invoiceId, type, amount);
        await h.worker.drain();
        if (path !== 'webhook') {
          assert.equal(xenditStatus(x.id), 'PENDING', 'nobody told us');
          await schedule(h, 'check-open-checkouts', 30);
          await h.worker.drain();
        }
        assert.equal(xenditStatus(x.id), 'EXPIRED');
        assert.deepEqual(await reasonOf(x.id), ['expired', `admin:closedReason_${why}`]);
        assert.equal(xenditStatus(other.x.id), 'PENDING');
      });
  }

  describe('the customer clicks the Xero link again after a scheduled close', () => {
    async function closedBySchedule(why: 'voided' | 'paidElsewhere' | 'amountLowered') {
      const opened = await openCheckout();
      h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY);
      await CHANGES[why](opened.inv.invoiceId);
      await schedule(h, 'check-open-checkouts', 30);
      await h.worker.drain();
      assert.equal(xenditStatus(opened.x.id), 'EXPIRED');
      return opened;
    }
    const checkoutsAtXendit = (invoiceNumber: string) => h.sims.xendit.listInvoices().filter((i) => i.external_id.includes(invoiceNumber));

    it('amount lowered: a new checkout for the new amount', async () => {
      const { inv, x, url } = await closedBySchedule('amountLowered');
      const res = await request(h.app).get(url()).expect(303);
      const fresh = h.sims.xendit.listInvoices().find((i) => i.invoice_url === res.headers.location)!;
      assert.notEqual(fresh.id, x.id);
      assert.equal(fresh.amount, 75000);
      assert.equal(fresh.status, 'PENDING');
      assert.equal(checkoutsAtXendit(inv.invoiceNumber).length, 2);
    });

    it('voided: the page saying it cannot be paid online, and no new checkout', async () => {
      const { inv, url } = await closedBySchedule('voided');
      const again = await request(h.app).get(url()).set('Accept-Language', 'en').expect(409);
      assert.match(cheerio.load(again.text)('h1').text(), /cannot be paid online/);
      assert.equal(checkoutsAtXendit(inv.invoiceNumber).length, 1);
    });

    it('paid by other means: the page saying it is already paid, and no new checkout', async () => {
      const { inv, url } = await closedBySchedule('paidElsewhere');
      const again = await request(h.app).get(url()).set('Accept-Language', 'en');
      assert.match(cheerio.load(again.text)('h1').text(), /already paid/);
      assert.equal(checkoutsAtXendit(inv.invoiceNumber).length, 1);
    });
  });

  it('the scheduled comparison reads 250 of 260 open checkouts in 5 Xero calls of 50 invoices; the next run reads the 10 left first, and expires the voided one among them', async () => {
    h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY); // no webhooks
    // Opened directly (260 pay clicks would spend a minute's Xero budget several times over), their
    // Xendit invoices made in one go, past Xendit's 60 a minute: this is about the Xero calls.
    h.sims.xendit.limits.testPerMinute = 1000; // restored by the next harness
    const opened: { invoiceId: string; xenditId: string }[] = [];
    for (let i = 0; i < 260; i++) {
      const inv = authorisedInvoice({
        contact: { name: 'Budi' },
        lineItems: [{ description: 'Kopi', unitAmount: '10000' }],
        invoiceNumber: `INV-B${n}-${i}`,
      });
      const id = randomUUID();
      const externalId = `xero-${inv.invoiceNumber}-${id}`;
      const x = await h.sims.xenditClient.createInvoice(m.xenditSecretKey, {
        externalId,
        currency: 'IDR',
        amount: 10000,
        description: inv.invoiceNumber,
        successRedirectUrl: 'https://gw.example.com/ok',
        failureRedirectUrl: 'https://gw.example.com/no',
        invoiceDurationSeconds: 86400,
      });
      h.clock.advance(1); // opened one after another: never compared, the oldest come first
      const now = h.clock();
      const claimed = await h.stores.checkouts.claim(
        {
          id,
          merchantId: m.id,
          xeroInvoiceId: inv.invoiceId,
          invoiceNumber: inv.invoiceNumber,
          currency: 'IDR',
          amount: 10000,
          externalId,
          expiresAt: new Date(now.getTime() + 86400_000),
        },
        now,
      );
      await h.stores.checkouts.open(claimed!.id, claimed!.updatedAt, x.id, x.invoiceUrl, now);
      opened.push({ invoiceId: inv.invoiceId, xenditId: x.id });
    }
    // Among the 10 the first run has no calls left for.
    const voided = opened[255];
    await h.sims.xero.test.invoices.void(voided.invoiceId);
    const lists = () =>
      h.sims.xero.test
        .requests({ method: 'GET' })
        .filter((r) => r.path === '/api.xro/2.0/Invoices')
        .map((r) => new URLSearchParams(r.query).get('IDs')!.split(','));
    const expired = () => opened.filter((o) => xenditStatus(o.xenditId) !== 'PENDING').map((o) => [o.invoiceId, xenditStatus(o.xenditId)]);

    h.sims.xero.test.clearRequests();
    await schedule(h, 'check-open-checkouts', 30);
    await h.worker.drain();
    const first = lists();
    assert.deepEqual(
      first.map((ids) => ids.length),
      [50, 50, 50, 50, 50],
      'at most 5 calls of 50 invoices a run, though 260 checkouts are open',
    );
    const read = new Set(first.flat().map((id) => id.toLowerCase()));
    const left = opened.filter((o) => !read.has(o.invoiceId.toLowerCase())).map((o) => o.invoiceId.toLowerCase());
    assert.deepEqual(
      left,
      opened.slice(250).map((o) => o.invoiceId.toLowerCase()),
      'the 10 opened last are left',
    );
    assert.deepEqual(expired(), [], 'the voided one not read yet');

    h.clock.advance(30 * 60_000); // the next run
    h.sims.xero.test.clearRequests();
    await schedule(h, 'check-open-checkouts', 30);
    await h.worker.drain();
    const second = lists();
    assert.deepEqual(
      second.map((ids) => ids.length),
      [50, 50, 50, 50, 50],
    );
    assert.deepEqual(
      second[0].slice(0, 10).map((id) => id.toLowerCase()),
      left,
      'the ones never compared first, then those compared least recently',
    );
    assert.equal(xeroReads(), 6, 'and one read to confirm the voided one');
    assert.deepEqual(expired(), [[voided.invoiceId, 'EXPIRED']]);
    assert.equal(JSON.parse((await h.stores.invoiceWatch.recentlyClosed([m.id], 10))[0].closedReason).key, 'admin:closedReason_voided');
  });

  it('a run that crashed after Xendit expired the invoice, before the checkout was closed: the rerun closes it', async () => {
    const { inv, x } = await openCheckout();
    await h.sims.xendit.expire(x.id, { sendCallback: false }); // what the crashed run did at Xendit
    await h.sims.xero.test.invoices.void(inv.invoiceId);
    await h.worker.drain();
    const c = await checkoutOf(inv.invoiceId);
    assert.equal(c.status, 'expired');
    assert.equal(JSON.parse((await h.stores.invoiceWatch.recentlyClosed([m.id], 1))[0].closedReason).key, 'admin:closedReason_voided');
    assert.deepEqual(
      (await h.stores.jobs.list()).filter((j) => j.kind === 'check-invoice').map((j) => j.state),
      ['done'],
    );
  });

  describe('a checkout the reviewer found left payable', () => {
    /** A click that died creating a checkout for the invoice's full 150 000: its row stays 'creating'. */
    async function deadClick(invoice: { invoiceId: string; invoiceNumber: string }, madeAtXendit: boolean) {
      const id = randomUUID();
      const externalId = `xero-${invoice.invoiceNumber}-${id}`;
      const now = h.clock();
      const row = (await h.stores.checkouts.claim(
        {
          id,
          merchantId: m.id,
          xeroInvoiceId: invoice.invoiceId,
          invoiceNumber: invoice.invoiceNumber,
          currency: 'IDR',
          amount: 150000,
          externalId,
          expiresAt: new Date(now.getTime() + 86400_000),
        },
        now,
      ))!;
      const x = madeAtXendit
        ? await h.sims.xenditClient.createInvoice(m.xenditSecretKey, {
            externalId,
            currency: 'IDR',
            amount: 150000,
            description: invoice.invoiceNumber,
            successRedirectUrl: 'https://gw.example.com/ok',
            failureRedirectUrl: 'https://gw.example.com/no',
            invoiceDurationSeconds: 86400,
          })
        : undefined;
      return { row, x };
    }

    for (const madeAtXendit of [true, false])
      it(`a leftover 'creating' checkout (${madeAtXendit ? 'its click died after Xendit made the invoice' : 'Xendit made nothing'}) does not keep a payable checkout on the same invoice open: the next click waits until it can be ended, then ends it`, async () => {
        const inv = authorisedInvoice({
          contact: { name: 'Budi' },
          lineItems: [{ description: 'Kopi', quantity: '2', unitAmount: '75000' }],
          invoiceNumber: `INV-C${n}${madeAtXendit ? 'x' : 'n'}`,
        });
        const dead = await deadClick(inv, madeAtXendit);
        await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '1', unitAmount: '75000' }]);
        await h.worker.drain();
        const url = `/pay?${new URLSearchParams({ invoiceNo: inv.invoiceNumber, shortCode: m.shortCode, currency: 'IDR', amount: '75000.00' })}`;
        // A click may still be creating the other amount: this one is asked to try again, never
        // opening a second payable checkout beside what Xendit may hold under the first.
        await request(h.app).get(url).expect(503);
        assert.equal(h.sims.xendit.listInvoices().filter((i) => i.amount === 75000).length, 0);
        h.clock.advance(60_000);
        const res = await request(h.app).get(url).expect(303);
        const b = h.sims.xendit.listInvoices().find((i) => i.invoice_url === res.headers.location)!;
        assert.equal(b.amount, 75000);
        if (dead.x) {
          assert.equal(xenditStatus(dead.x.id), 'EXPIRED', 'what the dead click made can no longer be paid');
          const a = (await h.stores.checkouts.byId(dead.row.id))!;
          assert.deepEqual([a.status, a.xenditInvoiceId], ['expired', dead.x.id]);
        } else {
          // Kept, closed without an invoice: a create Xendit processes late still finds it (reconcile).
          const a = await h.stores.checkouts.byId(dead.row.id);
          assert.deepEqual([a?.status, a?.xenditInvoiceId], ['expired', null], 'nothing at Xendit yet: closed, not removed');
        }
        await h.sims.xero.test.invoices.void(inv.invoiceId);
        await h.worker.drain();
        assert.equal(xenditStatus(b.id), 'EXPIRED', 'the payable checkout is closed at once');
        assert.deepEqual(await reasonOf(b.id), ['expired', 'admin:closedReason_voided']);
        assert.ok(
          (await h.stores.jobs.list()).filter((j) => j.kind === 'check-invoice').every((j) => j.state === 'done'),
          'every check of the invoice ended',
        );
      });

    it("scheduled, no webhook: a checkout kept 'creating' after its create's answer was lost is compared too; once stale, what Xendit made is expired and the checkout closed with why", async () => {
      const inv = authorisedInvoice({
        contact: { name: 'Budi' },
        lineItems: [{ description: 'Kopi', quantity: '2', unitAmount: '75000' }],
        invoiceNumber: `INV-L${n}`,
      });
      const url = `/pay?${new URLSearchParams({ invoiceNo: inv.invoiceNumber, shortCode: m.shortCode, currency: 'IDR', amount: '150000.00' })}`;
      h.sims.xendit.faults.dropResponseAfterSave(1, { method: 'POST', path: '/v2/invoices' });
      await request(h.app).get(url).expect(503);
      const [made] = h.sims.xendit.listInvoices();
      h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY); // deliveries get lost
      await h.sims.xero.test.invoices.void(inv.invoiceId);
      h.clock.advance(60_000);
      await schedule(h, 'check-open-checkouts', 30);
      await h.worker.drain();
      assert.equal(xenditStatus(made.id), 'EXPIRED', 'the invoice Xendit e-mailed the payer can no longer be paid');
      assert.deepEqual(await reasonOf(made.id), ['expired', 'admin:closedReason_voided']);
    });

    it('the scheduled comparison queues no second check of an invoice while one is still retrying', async () => {
      const { inv, x } = await openCheckout();
      h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY); // no webhooks
      await h.sims.xero.test.invoices.void(inv.invoiceId);
      h.sims.xendit.faults.failNext(1000, 503, { path: `/invoices/${x.id}/expire` }); // Xendit down for hours
      const checks = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'check-invoice').map((j) => j.state);
      for (let run = 0; run < 4; run++) {
        await schedule(h, 'check-open-checkouts', 15);
        await h.worker.drain();
        assert.equal(xenditStatus(x.id), 'PENDING', 'Xendit would not expire it: the check retries later');
        assert.deepEqual(await checks(), ['queued'], `run ${run}: one check of the invoice, however many runs found it changed`);
        h.clock.advance(15 * 60_000);
      }
      h.sims.xendit.faults.reset();
      h.clock.advance(24 * 3600_000);
      await h.worker.drain();
      assert.equal(xenditStatus(x.id), 'EXPIRED');
      assert.deepEqual(await checks(), ['done']);
    });

    it('a close that got as far as Xendit before the worker died, then the invoice was put right: closed (Xendit expired it), not left open', async () => {
      const { inv, x, url } = await openCheckout();
      h.sims.xendit.test.updateAccount(m.xenditSecretKey, { expiredCallbacks: false }); // no EXPIRED callback closes it for us
      h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY);
      await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '1', unitAmount: '75000' }]);
      const deps = { stores: h.stores, xero: h.deps.xero, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) };
      const job = { payload: { merchantId: m.id, xeroInvoiceId: inv.invoiceId, event: 'lowered' } } as unknown as Job;
      const kill = () => {
        throw new Error('killed');
      };
      await assert.rejects(checkInvoiceJob({ ...deps, crash: crashHook('checkout-expired-at-xendit', kill) })(job), /killed/);
      assert.equal(xenditStatus(x.id), 'EXPIRED');
      assert.equal((await checkoutOf(inv.invoiceId)).status, 'open', 'died before closing it');
      await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '2', unitAmount: '75000' }]);
      await checkInvoiceJob(deps)(job);
      assert.equal((await checkoutOf(inv.invoiceId)).status, 'expired');
      assert.deepEqual(await reasonOf(x.id), ['expired', 'admin:closedReason_amountLowered']);
      // The customer clicks again: a fresh, payable checkout rather than Xendit's expired page.
      const res = await request(h.app).get(url()).expect(303);
      const fresh = h.sims.xendit.listInvoices().find((i) => i.invoice_url === res.headers.location)!;
      assert.notEqual(fresh.id, x.id);
      assert.equal(fresh.status, 'PENDING');
    });

    it("a dead click's leftover 'creating' checkout, its close killed after Xendit expired what the click made: the re-run closes it once, with why", async () => {
      const inv = authorisedInvoice({
        contact: { name: 'Budi' },
        lineItems: [{ description: 'Kopi', quantity: '2', unitAmount: '75000' }],
        invoiceNumber: `INV-K${n}`,
      });
      const dead = await deadClick(inv, true);
      h.sims.xendit.test.updateAccount(m.xenditSecretKey, { expiredCallbacks: false }); // no EXPIRED callback closes it for us
      h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY);
      await h.sims.xero.test.invoices.void(inv.invoiceId);
      h.clock.advance(60_000); // past twice the click's creation wait: the click is dead
      const deps = { stores: h.stores, xero: h.deps.xero, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) };
      const job = { payload: { merchantId: m.id, xeroInvoiceId: inv.invoiceId, event: 'voided in Xero' } } as unknown as Job;
      const kill = () => {
        throw new Error('killed');
      };
      await assert.rejects(checkInvoiceJob({ ...deps, crash: crashHook('checkout-expired-at-xendit', kill) })(job), /killed/);
      assert.equal(xenditStatus(dead.x!.id), 'EXPIRED', 'Xendit expired it');
      assert.equal((await h.stores.checkouts.byId(dead.row.id))?.status, 'creating', 'died before closing it');
      // The killed run took the row over: a re-run at once waits (no click may be told it is closed
      // while another run could still be at it), then closes it.
      await assert.rejects(checkInvoiceJob(deps)(job), /still being created/);
      h.clock.advance(60_000);
      await checkInvoiceJob(deps)(job);
      const closed = (await h.stores.checkouts.byId(dead.row.id))!;
      assert.deepEqual([closed.status, closed.xenditInvoiceId], ['expired', dead.x!.id]);
      assert.deepEqual(await reasonOf(dead.x!.id), ['expired', 'admin:closedReason_voided']);
      assert.deepEqual(
        (await h.stores.invoiceWatch.recentlyClosed([m.id], 10)).map((c) => c.id),
        [dead.row.id],
        'closed once',
      );
      assert.equal(h.sims.xendit.listInvoices().filter((i) => i.external_id === dead.row.externalId).length, 1, 'nothing new made at Xendit');
    });

    it('a signed batch of 701 events (501 of invoices) is answered 200 and every invoice event handled, even with the scheduled comparison off', async () => {
      const { inv, x } = await openCheckout();
      const event = (resourceId: string, eventCategory = 'INVOICE') => ({
        resourceId,
        eventDateUtc: '2026-12-05T03:00:00.000',
        eventType: 'UPDATE',
        eventCategory,
        tenantId,
        tenantType: 'ORGANISATION',
        resourceUrl: `https://api.xero.com/api.xro/2.0/Invoices/${resourceId}`,
      });
      const contacts = Array.from({ length: 200 }, () => event(randomUUID(), 'CONTACT'));
      const others = Array.from({ length: 499 }, () => event(randomUUID()));
      const late = await openCheckout();
      h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY); // the batch below is the only delivery
      await h.sims.xero.test.invoices.void(inv.invoiceId);
      await h.sims.xero.test.invoices.void(late.inv.invoiceId);
      const body = JSON.stringify({
        events: [...contacts, ...others, event(inv.invoiceId), event(late.inv.invoiceId)],
        firstEventSequence: 1,
        lastEventSequence: 701,
      });
      assert.ok(body.length < 256 * 1024);
      await request(h.app).post(paths.xeroWebhook).set('content-type', 'application/json').set('x-xero-signature', sign(body)).send(body).expect(200, '');
      await request(h.app)
        .post(paths.xeroWebhook)
        .set('content-type', 'application/json')
        .set('x-xero-signature', sign(body, 'another-key-entirely-123456'))
        .send(body)
        .expect(401);
      await h.worker.drain();
      assert.equal(xenditStatus(x.id), 'EXPIRED');
      assert.equal(xenditStatus(late.x.id), 'EXPIRED', 'the 501st invoice event too');
    });
  });
});
