import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { reconcile } from '../../app/jobs/sync/reconcile.js';
import { enqueue } from '../../app/jobs/enqueue.js';
import { describeEachDatabase } from '../helpers/db.js';
import { CREATION_WAIT_MS } from '../../app/store/checkouts.js';
import { createHarness, paidThroughGateway, REFUNDABLE, refundWebhook, type Harness } from '../helpers/harness.js';
import { page, seedAdminCast, signedIn, type Agent } from '../helpers/admin.js';
import { adminPaymentPath, adminPaymentRefundPath, disputeCallbackPathFor } from '../../app/paths.js';

/**
 * A merchant switches between its test and live Xendit keys: what a checkout or payment made with
 * one key needs from Xendit is read with that key (the checkout's mode), not the key in use now.
 * The harness merchant starts in test mode (a test organisation, so test payments are booked).
 */
describeEachDatabase('Xendit keys: each payment and checkout read with its own key', ({ db }) => {
  let h: Harness;
  const LIVE_KEY = 'xnd_production_PerPaymentLive3344';
  beforeEach(async () => {
    h = await createHarness(db());
    h.sims.xendit.registerAccount({ secretKey: LIVE_KEY, callbackToken: h.merchant.callbackToken, businessName: 'Toko Test' });
    await h.stores.merchants.setXenditKeys(h.merchant.id, { live: LIVE_KEY }, h.clock());
  });
  afterEach(() => h.close());

  /** As the admin switches mode, minus retiring the old key's checkouts (a click under way keeps one open). */
  const switchTo = (mode: 'test' | 'live') => h.stores.merchants.switchXenditMode(h.merchant.id, mode, h.clock());
  const payment = async (x: { id: string }) => (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;

  it('a test payment recorded after switching to live: its fee is read with the test key and posted (was: waited, then review)', async () => {
    const { x } = await paidThroughGateway(h, { beforeCallback: (x) => void (h.sims.xendit.getInvoice(x.id)!.feeTax = 479) });
    await switchTo('live');
    await h.worker.drain();
    const p = await payment(x);
    assert.equal(p.syncState, 'recorded');
    assert.equal(p.feeState, 'posted', p.feeError ?? '');
    assert.equal(p.feeTax, 479, 'the VAT read from the test account’s transaction');
    const fee = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit fee ${x.id}`);
    assert.equal(fee.length, 1);
  });

  it('a test payment refunded in full, then the merchant switches to live: the fee Xendit gives back later is read with the test key and booked', async () => {
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    assert.equal((await payment(x)).feeState, 'posted');
    const refund = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    await refundWebhook(h, refund.id).expect(200);
    await h.worker.drain();

    await switchTo('live');
    h.sims.xendit.test.giveFeeBackLater(x.id);
    h.clock.advance(2 * 3600_000 + 1000);
    await h.worker.drain();
    const back = h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference === `Xendit fee returned ${x.id}`);
    assert.equal(back.length, 1, 'booked once, read where the payment is');
    const job = (await h.stores.jobs.list()).find((j) => j.kind === 'return-fee')!;
    assert.equal(job.state, 'done', job.lastError ?? '');
  });

  /** An open checkout made with the test key (the one in use then). */
  async function openCheckout() {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    return { inv, x, checkout: async () => (await h.stores.checkouts.forXenditInvoice(h.merchant.id, x.id, x.external_id))! };
  }
  const runReconcile = () =>
    reconcile({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) }, { minAgeMinutes: 5, batch: 10 });
  const checkInvoice = (xeroInvoiceId: string) =>
    enqueue(h.stores.jobs, 'check-invoice', { merchantId: h.merchant.id, xeroInvoiceId, event: 'voided in Xero' }, h.clock());
  const alerts = () => h.stores.db.selectFrom('alerts').selectAll().where('merchant_id', '=', h.merchant.id).execute();

  /** The test key is replaced by another business's, its open checkout left open (as a click under way when the key changed). */
  async function testKeyReplaced() {
    const other = 'xnd_development_OtherBusiness5577';
    h.sims.xendit.registerAccount({ secretKey: other, callbackToken: h.merchant.callbackToken, businessName: 'Another business' });
    await h.stores.merchants.setXenditKeys(h.merchant.id, { test: other }, h.clock());
  }
  const oldHint = () => `…${h.merchant.xenditSecretKey.slice(-4)}`;

  it('reconcile finds the lost PAID callback of a test checkout with the test key while live is in use, and it is recorded', async () => {
    const { x, checkout } = await openCheckout();
    await switchTo('live');
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    h.clock.advance(6 * 60_000);
    const summary = await runReconcile();
    assert.equal(summary.paid, 1, JSON.stringify(summary));
    await h.worker.drain();
    assert.equal((await checkout()).status, 'paid');
    assert.equal((await payment(x)).syncState, 'recorded');
  });

  it('its Xero invoice voided while live is in use: the test checkout is expired at Xendit with the test key and closed', async () => {
    const { inv, x, checkout } = await openCheckout();
    await switchTo('live');
    h.sims.xero.test.invoices.void(inv.invoiceId);
    await checkInvoice(inv.invoiceId);
    await h.worker.drain();
    assert.equal(h.sims.xendit.getInvoice(x.id)!.status, 'EXPIRED');
    assert.equal((await checkout()).status, 'expired');
    assert.equal((await h.stores.jobs.list()).find((j) => j.kind === 'check-invoice')!.state, 'done');
  });

  it('a click for another amount while live is in use: the test checkout it replaces is expired with the test key, and a live one opened (was: 503)', async () => {
    const { inv, x, checkout } = await openCheckout();
    await switchTo('live');
    await h.sims.xero.test.invoices.payElsewhere(inv.invoiceId, '50000.00');
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(h.sims.xendit.getInvoice(x.id)!.status, 'EXPIRED', 'never two payable invoices for one bill');
    assert.equal((await checkout()).status, 'superseded');
    const made = h.sims.xendit.listInvoices().at(-1)!;
    assert.deepEqual([made.id !== x.id, made.amount, made.status], [true, 100_000, 'PENDING']);
  });

  it("a click for another amount while live is in use, a test checkout's create unanswered: its invoice is found and expired with the test key (was: left payable)", async () => {
    const inv = h.addInvoice({});
    h.sims.xendit.faults.dropResponseAfterSave(1, { method: 'POST', path: '/v2/invoices' });
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(503);
    const first = h.sims.xendit.listInvoices().at(-1)!;
    await switchTo('live');
    await h.sims.xero.test.invoices.payElsewhere(inv.invoiceId, '50000.00');
    h.clock.advance(CREATION_WAIT_MS + 1);
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    assert.equal(h.sims.xendit.getInvoice(first.id)!.status, 'EXPIRED', 'never two payable invoices for one bill');
    assert.equal(h.sims.xendit.listInvoices().at(-1)!.amount, 100_000);
  });

  it("its key replaced by another business's: reconcile supersedes the open checkout with why and alerts naming the key, guessing nothing", async () => {
    const { checkout } = await openCheckout();
    await testKeyReplaced();
    h.clock.advance(6 * 60_000);
    const summary = await runReconcile();
    assert.deepEqual([summary.unknown, summary.paid, summary.failed], [1, 0, 0]);
    const c = await checkout();
    assert.equal(c.status, 'superseded', 'no click reuses it');
    const row = await h.stores.db.selectFrom('checkouts').select('closed_reason').where('id', '=', c.id).executeTakeFirstOrThrow();
    assert.match(String(row.closed_reason), /keyRetiredUnconfirmed/);
    assert.ok((await alerts()).some((a) => a.kind === 'xenditKeyRetired' && JSON.stringify(a.message).includes(oldHint())));
    await runReconcile();
    assert.equal((await alerts()).filter((a) => a.kind === 'xenditKeyRetired').length, 1, 'told once');
  });

  it("its key replaced by another business's and its Xero invoice voided: the check supersedes it with why and alerts, instead of retrying for ever", async () => {
    const { inv, checkout } = await openCheckout();
    await testKeyReplaced();
    h.sims.xero.test.invoices.void(inv.invoiceId);
    await checkInvoice(inv.invoiceId);
    await h.worker.drain();
    const job = (await h.stores.jobs.list()).find((j) => j.kind === 'check-invoice')!;
    assert.equal(job.state, 'done', job.lastError ?? '');
    assert.equal((await checkout()).status, 'superseded');
    assert.ok((await alerts()).some((a) => a.kind === 'xenditKeyRetired' && JSON.stringify(a.message).includes(oldHint())));
  });

  describe("the admin's Refund button", () => {
    beforeEach(() => seedAdminCast(h, db()));
    /** Sends the payment page's Refund form for all that is left. */
    async function refundAll(agent: Agent, paymentId: string) {
      const { $, csrf } = await page(agent, adminPaymentPath(paymentId));
      const form = { requestId: String($('#refund-new input[name=requestId]').val()), amount: String($('#refund-new input[name=amount]').val()) };
      return agent
        .post(adminPaymentRefundPath(paymentId))
        .type('form')
        .send({ _csrf: csrf(), ...form, reason: 'OTHERS' });
    }
    const refundsAt = async (key: string, invoiceId: string) => (await h.sims.xenditClient.listRefunds(key, { invoiceId, limit: 100 })).refunds;

    it('a live payment refunded while test is in use: asked with the live key, made in the live account (was: Xendit "not found", refused)', async () => {
      await switchTo('live');
      const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
      await h.worker.drain();
      const p = await payment(x);
      assert.equal(p.syncState, 'recorded');
      await switchTo('test');
      // All of it leaves the live balance, which the payment fills only net of Xendit's fee: topped up.
      h.sims.xendit.test.movement(LIVE_KEY, { type: 'TOPUP', currency: 'IDR', amount: 10_000, cashflow: 'MONEY_IN' });
      const agent = await signedIn(h.app, 'a@toko.test');
      const res = await refundAll(agent, p.id);
      assert.deepEqual([res.status, res.headers.location], [303, `${adminPaymentPath(p.id)}?refund=sent`]);
      const [request] = await h.stores.refundRequests.forPayment(p.id);
      assert.equal(request.state, 'sent', request.lastError ?? '');
      const [made] = await refundsAt(LIVE_KEY, x.id);
      assert.ok(made, 'made where the payment is');
      await h.worker.drain();
      assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, made.id))?.state, 'recorded', 'read with the live key and booked');
    });

    it("no stored key reaches the payment (its test key replaced by another business's): the form says which key's account holds it, nothing asked or written", async () => {
      const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
      await h.worker.drain();
      const p = await payment(x);
      assert.equal(p.syncState, 'recorded');
      await testKeyReplaced();
      const agent = await signedIn(h.app, 'a@toko.test');
      const res = await refundAll(agent, p.id);
      assert.equal(res.status, 422);
      assert.ok(res.text.includes(`the Xendit account of the test key ${oldHint()}`), res.text);
      assert.deepEqual(await h.stores.refundRequests.forPayment(p.id), [], 'no request written');
      assert.deepEqual(await refundsAt(h.merchant.xenditSecretKey, x.id), [], 'nothing made');
    });
  });

  describe('refunds and chargebacks made at Xendit, read where their payment is', () => {
    /** A live payment booked in a real organisation, then the merchant switches to test. */
    async function livePaymentThenTest() {
      await h.stores.merchants.setAccountingOptions(h.merchant.id, { xeroTestOrganisation: false }, h.clock());
      await switchTo('live');
      const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
      await h.worker.drain();
      assert.equal((await payment(x)).syncState, 'recorded');
      await switchTo('test');
      return x;
    }
    const notesOf = (reference: string) => h.sims.xero.test.creditNotes(h.tenantId).filter((n) => n.reference === reference);

    it('a live refund made in the dashboard while test is in use: read with the live key and booked as live money (was: review "Xendit has no refund")', async () => {
      const x = await livePaymentThenTest();
      const refund = await h.sims.xendit.refund(x.id, { sendWebhook: false });
      await refundWebhook(h, refund.id).expect(200);
      await h.worker.drain();
      const row = await h.stores.refunds.byXenditId(h.merchant.id, refund.id);
      assert.equal(row?.state, 'recorded', `${row?.state}: ${row?.lastError ?? ''} ${(await h.stores.jobs.list()).map((j) => j.lastError).join('; ')}`);
      assert.equal(notesOf(`Xendit refund ${refund.id}`).length, 1);
    });

    it('a live chargeback lost while test is in use: read with the live key and booked as live money (was: review "Xendit has no dispute")', async () => {
      const x = await livePaymentThenTest();
      const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
      await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
      await request(h.app)
        .post(disputeCallbackPathFor(h.merchant.id))
        .set('x-callback-token', h.merchant.callbackToken)
        .send({ event: 'dispute.lost', id, status: 'LOST', currency: 'IDR', amount: { initial: '1.00', terminal: null } })
        .expect(200);
      await h.worker.drain();
      const row = await h.stores.refunds.byXenditId(h.merchant.id, id);
      assert.equal(row?.state, 'recorded', `${row?.state}: ${row?.lastError ?? ''} ${(await h.stores.jobs.list()).map((j) => j.lastError).join('; ')}`);
      assert.equal(notesOf(`Xendit chargeback ${id}`).length, 1);
    });
  });
});
