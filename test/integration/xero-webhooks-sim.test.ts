import { strict as assert } from 'node:assert';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createOAuthHarness, oauthMerchantReadyToSell, type OAuthHarness } from '../helpers/xero-oauth.js';
import { paths } from '../../app/paths.js';
import type { Merchant } from '../../app/store/merchants.js';

const KEY = 'xero-webhook-key-for-tests-0123456789abcdef';
const sign = (body: string) => createHmac('sha256', KEY).update(body).digest('base64');
const HOUR = 3600_000;

/** A receiver that records what it is sent and answers with `status` (changeable), as a webhook endpoint would. */
async function receiver() {
  const got: { body: string; signature: string }[] = [];
  const r = { got, status: 500, url: '', server: undefined as unknown as Server };
  r.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-xero-signature']) });
      res.statusCode = r.status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/webhooks/xero`;
  return r;
}

/**
 * The simulated Xero's webhook deliveries, as developer.xero.com/documentation/webhooks describes
 * them: batches of events with sequence numbers, for changes made in Xero and through the API, and
 * a refused delivery retried with decreasing frequency until the webhook is disabled after 24 hours.
 */
describeEachDatabase("Simulated Xero's webhook deliveries", ({ db }) => {
  let h: OAuthHarness;
  let m: Merchant;
  let tenantId: string;
  let r: Awaited<ReturnType<typeof receiver>>;
  let n = 0;
  beforeEach(async () => {
    h = await createOAuthHarness(db(), { XERO_WEBHOOK_KEY: KEY });
    ({ merchant: m, tenantId } = await oauthMerchantReadyToSell(h, ++n));
    h.sims.xero.test.useClock(h.clock);
    r = await receiver();
  });
  afterEach(async () => {
    await new Promise((resolve) => r.server.close(resolve));
    await h.close();
  });

  const invoice = () =>
    h.sims.xero.addInvoice({
      tenantId,
      type: 'ACCREC',
      status: 'AUTHORISED',
      currency: 'IDR',
      contact: { name: 'Budi', email: 'budi@example.co.id' },
      lineItems: [{ description: 'Kopi', quantity: '2', unitAmount: '75000' }],
      invoiceNumber: `INV-S${Math.random().toString(36).slice(2, 8)}`,
    });
  const events = (i: number) => JSON.parse(r.got[i].body) as { events: Record<string, unknown>[]; firstEventSequence: number; lastEventSequence: number };

  it("delivers every change since the last delivery in one signed POST, the gateway's own payments through the API too", async () => {
    r.status = 200;
    h.sims.xero.test.webhooks.subscribe(r.url, KEY);
    const paid = invoice();
    const res = await request(h.app)
      .get(`/pay?${new URLSearchParams({ invoiceNo: paid.invoiceNumber, shortCode: m.shortCode, currency: 'IDR', amount: '150000.00' })}`)
      .expect(303);
    const x = h.sims.xendit.listInvoices().find((i) => i.invoice_url === res.headers.location)!;
    await h.sims.xendit.pay(x.id);
    await h.worker.drain(); // the gateway records the payment in Xero, through the API
    const made = await h.deps.xero.createInvoice(
      m.xero,
      {
        contactName: 'Ani',
        date: '2026-12-05',
        dueDate: '2026-12-12',
        reference: 'made through the API',
        currencyCode: 'IDR',
        lineItems: [{ description: 'Teh', quantity: '1', unitAmount: '1000', accountCode: '200' }],
      },
      'sim-webhooks-create-1',
    );
    assert.equal(r.got.length, 0, 'not yet delivered');
    const voided = invoice();
    await h.sims.xero.test.invoices.void(voided.invoiceId);
    assert.equal(r.got.length, 1, 'one POST');
    assert.equal(r.got[0].signature, sign(r.got[0].body));
    const batch = events(0);
    assert.deepEqual(
      batch.events.map((e) => [e.eventCategory, e.eventType, e.resourceId, e.tenantId]),
      [
        ['INVOICE', 'UPDATE', paid.invoiceId, tenantId],
        ['INVOICE', 'CREATE', made.invoiceId, tenantId],
        ['INVOICE', 'UPDATE', voided.invoiceId, tenantId],
      ],
    );
    assert.equal(batch.lastEventSequence - batch.firstEventSequence, 2);
    await h.sims.xero.test.invoices.editLines(invoice().invoiceId, [{ description: 'Teh', unitAmount: '1000' }]);
    assert.equal(events(1).firstEventSequence, batch.lastEventSequence + 1, 'the sequence goes on');
    assert.deepEqual(
      h.sims.xero.test.webhooks.deliveries().map((d) => [d.eventCount, d.status]),
      [
        [3, 200],
        [1, 200],
      ],
    );
  });

  it('retries a refused delivery on its clock with decreasing frequency, the same body each time, and disables the webhook after 24 hours', async () => {
    h.sims.xero.test.webhooks.subscribe(r.url, KEY);
    const started = h.clock().getTime();
    await h.sims.xero.test.invoices.void(invoice().invoiceId);
    assert.equal(r.got.length, 1);
    const at = [0];
    // Driven minute by minute through the test API: a retry goes out only once it is due.
    for (let minute = 1; minute <= 26 * 60; minute++) {
      h.clock.advance(60_000);
      const before = r.got.length;
      await h.sims.xero.test.webhooks.deliverDue();
      if (r.got.length > before) at.push(h.clock().getTime() - started);
    }
    assert.ok(at.length >= 5, `retried (${at.length} attempts)`);
    assert.ok(
      r.got.every((g) => g.body === r.got[0].body && g.signature === r.got[0].signature),
      'the same request each time',
    );
    const gaps = at.slice(1).map((t, i) => t - at[i]);
    assert.ok(
      gaps.slice(0, -1).every((g, i) => i === 0 || g >= gaps[i - 1]),
      `decreasing frequency: ${gaps.map((g) => g / 60_000).join(', ')} minutes`,
    );
    assert.ok(gaps[0] < gaps.at(-2)!, 'further apart as it goes on');
    assert.equal(at.at(-1), 24 * HOUR, 'the last attempt at 24 hours');
    assert.equal(h.sims.xero.test.webhooks.status(), 'DISABLED');
    // Disabled: later changes are not sent until the webhook is enabled again.
    r.status = 200;
    const count = r.got.length;
    await h.sims.xero.test.invoices.void(invoice().invoiceId);
    h.clock.advance(HOUR);
    await h.sims.xero.test.webhooks.deliverDue();
    assert.equal(r.got.length, count);
  });

  it('a refused delivery that then succeeds: what changed meanwhile follows in the next POST', async () => {
    h.sims.xero.test.webhooks.subscribe(r.url, KEY);
    await h.sims.xero.test.invoices.void(invoice().invoiceId);
    const later = invoice();
    await h.sims.xero.test.invoices.void(later.invoiceId); // while the first delivery is being retried
    assert.equal(r.got.length, 1, 'held while the refused one is retried');
    r.status = 200;
    h.clock.advance(HOUR);
    await h.sims.xero.test.webhooks.deliverDue();
    assert.equal(r.got.length, 3);
    assert.equal(r.got[1].body, r.got[0].body);
    assert.deepEqual(
      events(2).events.map((e) => e.resourceId),
      [later.invoiceId],
    );
    assert.equal(events(2).firstEventSequence, events(0).lastEventSequence + 1);
    assert.equal(h.sims.xero.test.webhooks.status(), 'OK');
  });

  it('to the gateway: a delivery retried after a lost answer is handled once', async () => {
    h.sims.xero.test.webhooks.subscribe(h.baseUrl + paths.xeroWebhook, KEY);
    const inv = invoice();
    const res = await request(h.app)
      .get(`/pay?${new URLSearchParams({ invoiceNo: inv.invoiceNumber, shortCode: m.shortCode, currency: 'IDR', amount: '150000.00' })}`)
      .expect(303);
    const x = h.sims.xendit.listInvoices().find((i) => i.invoice_url === res.headers.location)!;
    await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '3', unitAmount: '75000' }]);
    await h.sims.xero.test.webhooks.redeliverLast(); // as when Xero did not get our 200 in time
    assert.deepEqual(
      h.sims.xero.test.webhooks.deliveries().map((d) => d.status),
      [200, 200],
    );
    assert.equal((await h.stores.jobs.list()).filter((j) => j.kind === 'check-invoice').length, 1);
    await h.worker.drain();
    assert.equal(h.sims.xendit.listInvoices().find((i) => i.id === x.id)!.status, 'PENDING');
  });
});
