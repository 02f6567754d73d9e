import { strict as assert } from 'node:assert';
import request from 'supertest';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createOAuthHarness, oauthMerchantReadyToSell, type OAuthHarness } from '../helpers/xero-oauth.js';
import { page, seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminPaymentPath, paths } from '../../app/paths.js';
import type { Merchant } from '../../app/store/merchants.js';
import { schedule } from '../../app/jobs/schedules.js';

const KEY = 'xero-webhook-key-for-tests-0123456789abcdef';

/**
 * Issue 16 §3 on the path xero-webhooks.test.ts does not take for these rules: the reason a
 * checkout was closed shown on the payment page after a scheduled close, and the customer's click
 * again after a webhook close of an invoice paid by other means.
 */
describeEachDatabase('Xero invoice changes: the rules of one path on the other', ({ db }) => {
  let h: OAuthHarness;
  let m: Merchant;
  let tenantId: string;
  let n = 0;
  beforeEach(async () => {
    h = await createOAuthHarness(db(), { XERO_WEBHOOK_KEY: KEY });
    ({ merchant: m, tenantId } = await oauthMerchantReadyToSell(h, ++n));
    h.sims.xero.test.webhooks.subscribe(h.baseUrl + paths.xeroWebhook, KEY);
  });
  afterEach(() => h.close());

  /** An AUTHORISED IDR 150 000 invoice for Budi, and a customer's click that opened a checkout for it. */
  async function openCheckout() {
    const inv = h.sims.xero.addInvoice({
      tenantId,
      type: 'ACCREC',
      status: 'AUTHORISED',
      currency: 'IDR',
      contact: { name: 'Budi', email: 'budi@example.co.id' },
      lineItems: [{ description: 'Kopi', quantity: '2', unitAmount: '75000' }],
      invoiceNumber: `INV-P${Math.random().toString(36).slice(2, 8)}`,
    });
    const url = () => {
      const x = h.sims.xero.listInvoices(tenantId).find((i) => i.invoiceId === inv.invoiceId)!;
      // Nothing due: the link the customer kept from while it was due (link-hint.ts).
      const amount = Number(x.amountDue) > 0 ? x.amountDue : x.total;
      return `/pay?${new URLSearchParams({ invoiceNo: inv.invoiceNumber, shortCode: m.shortCode, currency: x.currencyCode, amount })}`;
    };
    const res = await request(h.app).get(url()).expect(303);
    const x = h.sims.xendit.listInvoices().find((i) => i.invoice_url === res.headers.location)!;
    return { inv, x, url };
  }
  const xenditStatus = (id: string) => h.sims.xendit.listInvoices().find((i) => i.id === id)!.status;
  const checkoutsAtXendit = (invoiceNumber: string) => h.sims.xendit.listInvoices().filter((i) => i.external_id.includes(invoiceNumber));
  const noWebhooks = () => h.sims.xero.test.webhooks.subscribe('http://127.0.0.1:9/nowhere', KEY); // deliveries get lost

  it("scheduled, no webhook: the payment's admin page says why the invoice's earlier payment page was closed", async () => {
    const { inv, x, url } = await openCheckout();
    noWebhooks();
    await h.sims.xero.test.invoices.editLines(inv.invoiceId, [{ description: 'Kopi', quantity: '1', unitAmount: '75000' }]);
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'PENDING', 'nobody told us');
    await schedule(h, 'check-open-checkouts', 30);
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'EXPIRED');

    const res = await request(h.app).get(url()).expect(303);
    const fresh = h.sims.xendit.listInvoices().find((i) => i.invoice_url === res.headers.location)!;
    assert.notEqual(fresh.id, x.id);
    await h.sims.xendit.pay(fresh.id);
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(m.id, fresh.id))!;
    assert.equal(payment.syncState, 'recorded');
    await seedAdminCast(h, db());
    const { $ } = await page(await signedIn(h.app, 'ops@example.com'), `${adminPaymentPath(payment.id)}?lang=en`);
    const closed = $('#timeline li.closed');
    assert.equal(closed.length, 1);
    assert.equal(closed.find('code').text(), x.id);
    assert.equal(closed.find('.reason').text(), "The amount due in Xero fell below this payment page's amount.");
    assert.match(closed.text(), /150[.,]000/);
  });

  it('webhook: paid by other means, the customer clicks the Xero link again: the page saying it is already paid, and no new checkout', async () => {
    const { inv, x, url } = await openCheckout();
    await h.sims.xero.test.invoices.payElsewhere(inv.invoiceId, '150000.00'); // Xero's UI, then its signed webhook
    assert.deepEqual(
      h.sims.xero.test.webhooks.deliveries().map((d) => d.status),
      [200],
    );
    await h.worker.drain();
    assert.equal(xenditStatus(x.id), 'EXPIRED');
    const [closed] = await h.stores.invoiceWatch.recentlyClosed([m.id], 1);
    assert.equal(JSON.parse(closed.closedReason).key, 'admin:closedReason_paidElsewhere');

    const creates = () => h.sims.xendit.test.countRequests({ method: 'POST', pathPrefix: '/v2/invoices' });
    const before = creates();
    const again = await request(h.app).get(url()).set('Accept-Language', 'en');
    assert.match(cheerio.load(again.text)('h1').text(), /already paid/);
    assert.equal(creates(), before, 'Xendit was asked for no invoice');
    assert.equal(checkoutsAtXendit(inv.invoiceNumber).length, 1);
    assert.equal((await h.stores.checkouts.forInvoice(m.id, inv.invoiceId)).length, 1, 'no checkout row either');
  });
});
