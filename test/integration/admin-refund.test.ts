import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import * as cheerio from 'cheerio';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { createHarness, REFUNDABLE, paidThroughGateway, refundWebhook, type Harness } from '../helpers/harness.js';
import type { PaidBy } from '../helpers/sims.js';
import { PASSWORD, formFields, page, seedAdminCast, signedIn, type Agent } from '../helpers/admin.js';
import { dieOnCall } from '../helpers/crash.js';
import { createApp } from '../../app/server.js';
import { hashPassword } from '../../app/admin/auth/passwords.js';
import { adminPaymentPath, adminPaymentRefundPath } from '../../app/paths.js';
import { STEP_UP_MS } from '../../app/admin/web.js';
import type { UpstreamError } from '../../app/clients/types.js';

/**
 * The payment page's Refund (issue 16 §2): behind the step-up password, asked of Xendit once
 * whatever the user or the network does, and then recorded in Xero like any refund.
 */
describeEachDatabase('admin: refund a payment at Xendit', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  async function recordedPayment() {
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    assert.equal(payment.syncState, 'recorded');
    return { x, payment };
  }
  /**
   * Xendit takes a refund from the balance, which a payment fills only net of its fee once settled
   * (simulators/xendit/withdrawals.ts refundFunds): a refund of all of a payment needs more in it.
   */
  const topUp = (amount = 10_000) => h.sims.xendit.test.movement(h.merchant.xenditSecretKey, { type: 'TOPUP', currency: 'IDR', amount, cashflow: 'MONEY_IN' });
  const atXendit = async (invoiceId: string) => (await h.sims.xenditClient.listRefunds(h.merchant.xenditSecretKey, { invoiceId, limit: 100 })).refunds;
  const requestsOf = (paymentId: string) => h.stores.refundRequests.forPayment(paymentId);

  async function refundForm(agent: Agent, paymentId: string) {
    const { $, csrf } = await page(agent, adminPaymentPath(paymentId));
    return { $, csrf: csrf(), requestId: String($('#refund-new input[name=requestId]').val()), amount: String($('#refund-new input[name=amount]').val()) };
  }
  const post = (agent: Agent, paymentId: string, body: Record<string, string>) => agent.post(adminPaymentRefundPath(paymentId)).type('form').send(body);
  /** A refund of 20 000 asked with the form; Xendit makes it and its answer is lost: the page says so. Returns the form sent. */
  async function askAnswerLost(agent: Agent, paymentId: string) {
    const form = await refundForm(agent, paymentId);
    h.sims.xendit.faults.dropResponseAfterSave(1, { path: '/refunds' });
    const body = { _csrf: form.csrf, requestId: form.requestId, amount: '20000', reason: 'OTHERS' };
    await post(agent, paymentId, body)
      .expect(303)
      .expect('location', `${adminPaymentPath(paymentId)}?refund=unknown`);
    return body;
  }

  describe("by the payment's channel, as Xendit refunds it", () => {
    async function recordedPaidBy(paidBy?: PaidBy) {
      const { x } = await paidThroughGateway(h, { paidBy });
      await h.worker.drain();
      return { x, payment: (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))! };
    }

    it('a virtual account payment: no form, the page says why; a form sent anyway is refused by Xendit (REFUND_NOT_SUPPORTED) with its words, nothing made or booked in Xero', async () => {
      const { x, payment } = await recordedPaidBy(); // a BCA virtual account, the simulator's default
      assert.deepEqual([payment.paymentMethod, payment.paymentChannel], ['BANK_TRANSFER', 'BCA']);
      const agent = await signedIn(h.app, 'a@toko.test');
      const { $, csrf } = await page(agent, adminPaymentPath(payment.id));
      assert.equal($('#refund-new').length, 0, 'no Refund form');
      assert.match($('#refund .refund-channel').text(), /Xendit does not refund payments made by BCA/);

      // A page opened before, or a forged post: Xendit decides, and refuses.
      await post(agent, payment.id, { _csrf: csrf(), requestId: randomUUID(), amount: '50000', reason: 'OTHERS' })
        .expect(303)
        .expect('location', `${adminPaymentPath(payment.id)}?refund=refused`);
      const [request] = await requestsOf(payment.id);
      assert.equal(request.state, 'refused');
      assert.match(request.lastError ?? '', /REFUND_NOT_SUPPORTED: Refund is not supported/);
      assert.equal((await atXendit(x.id)).length, 0, 'Xendit made nothing');
      await h.worker.drain();
      assert.equal(h.sims.xero.test.creditNotes(h.tenantId).length, 0, 'nothing booked in Xero');
      const after = await page(agent, `${adminPaymentPath(payment.id)}?refund=refused`);
      assert.match(after.$('.refund-requests').text(), /REFUND_NOT_SUPPORTED/);
    });

    it('QRIS, refunded only whole: the form asks for the whole payment with no amount to type; a part sent anyway is refused PARTIAL_REFUND_NOT_SUPPORTED; the whole is refunded and booked', async () => {
      const { x, payment } = await recordedPaidBy({ paymentMethod: 'QR_CODE', paymentChannel: 'QRIS' });
      const agent = await signedIn(h.app, 'a@toko.test');
      const form = await refundForm(agent, payment.id);
      assert.match(form.$('#refund .refund-channel').text(), /only whole/);
      assert.equal(form.$('#refund-new input[name=amount]').attr('type'), 'hidden');
      assert.equal(form.amount, '150000');

      await post(agent, payment.id, { _csrf: form.csrf, requestId: randomUUID(), amount: '50000', reason: 'OTHERS' })
        .expect(303)
        .expect('location', `${adminPaymentPath(payment.id)}?refund=refused`);
      assert.match((await requestsOf(payment.id))[0].lastError ?? '', /PARTIAL_REFUND_NOT_SUPPORTED: Partial refund is not supported/);

      topUp();
      await post(agent, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: form.amount, reason: 'OTHERS' })
        .expect(303)
        .expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);
      const [refund] = await atXendit(x.id);
      assert.equal(refund.amount, 150_000);
      await h.worker.drain();
      assert.equal(h.sims.xero.test.creditNotes(h.tenantId)[0].total, 15000000n);
    });

    it('direct debit, which no source says Xendit refunds only whole: the form is offered with an amount to type and no note, and the simulated Xendit refunds a part', async () => {
      const { x, payment } = await recordedPaidBy({ paymentMethod: 'DIRECT_DEBIT', paymentChannel: 'DD_BRI' });
      const agent = await signedIn(h.app, 'a@toko.test');
      const form = await refundForm(agent, payment.id);
      assert.equal(form.$('#refund .refund-channel').length, 0);
      assert.equal(form.$('#refund-new input[name=amount]').attr('type'), 'text');
      assert.equal(form.amount, '150000');
      await post(agent, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: '50000', reason: 'OTHERS' })
        .expect(303)
        .expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);
      const [refund] = await atXendit(x.id);
      assert.equal(refund.amount, 50_000);
      await h.worker.drain();
      assert.equal(h.sims.xero.test.creditNotes(h.tenantId)[0].total, 5000000n);
    });

    it('a payment recorded before the gateway kept its channel gets the form, and Xendit decides', async () => {
      const { payment } = await recordedPaidBy();
      await db().updateTable('payments').set({ payment_method: null, payment_channel: null }).where('id', '=', payment.id).execute();
      const agent = await signedIn(h.app, 'a@toko.test');
      const form = await refundForm(agent, payment.id);
      assert.equal(form.amount, '150000');
      assert.equal(form.$('#refund .refund-channel').length, 0);
      await post(agent, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: '50000', reason: 'OTHERS' })
        .expect(303)
        .expect('location', `${adminPaymentPath(payment.id)}?refund=refused`);
      assert.match((await requestsOf(payment.id))[0].lastError ?? '', /REFUND_NOT_SUPPORTED/);
    });
  });

  describe('what Xendit refuses for its balance or the payment: a clear reason on the page, nothing refunded nor booked', () => {
    const refusedText = async (agent: Agent, paymentId: string) =>
      (await page(agent, `${adminPaymentPath(paymentId)}?refund=refused`)).$('.refund-requests').text();
    const ask = (agent: Agent, paymentId: string, form: { csrf: string; requestId: string }, amount: string) =>
      post(agent, paymentId, { _csrf: form.csrf, requestId: form.requestId, amount, reason: 'OTHERS' }).expect(303);

    it('more than the Xendit balance can pay, refused at once (400 INSUFFICIENT_BALANCE): the page says to top up; all of it may be asked again', async () => {
      const { x, payment } = await recordedPayment();
      const agent = await signedIn(h.app, 'a@toko.test');
      const form = await refundForm(agent, payment.id);
      // Paid 150 000, not settled: it brings 145 650 (less Xendit's 2.9 % fee), and the balance holds nothing else.
      await ask(agent, payment.id, form, '150000').expect('location', `${adminPaymentPath(payment.id)}?refund=refused`);
      const [request] = await requestsOf(payment.id);
      assert.equal(request.state, 'refused');
      assert.deepEqual(await atXendit(x.id), [], 'Xendit made nothing');
      const text = await refusedText(agent, payment.id);
      assert.match(text, /Your Xendit balance is too low for this refund/);
      assert.match(text, /INSUFFICIENT_BALANCE/, "Xendit's own words stay");
      assert.equal((await refundForm(agent, payment.id)).amount, '150000', 'nothing was refunded');
      await h.worker.drain();
      assert.equal(h.sims.xero.test.creditNotes(h.tenantId).length, 0);
      assert.equal(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR'), 0, 'the balance never below zero');
    });

    it('the same ended FAILED by Xendit (failure_code INSUFFICIENT_BALANCE): the page says why, nothing booked, the scheduled listing runs through it', async () => {
      const { x, payment } = await recordedPayment();
      h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { insufficientBalance: 'fail' });
      const agent = await signedIn(h.app, 'a@toko.test');
      const form = await refundForm(agent, payment.id);
      await ask(agent, payment.id, form, '150000').expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);
      await h.worker.drain();
      await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
      await h.worker.drain();
      const [refund] = await atXendit(x.id);
      assert.deepEqual([refund.status, refund.failureCode], ['FAILED', 'INSUFFICIENT_BALANCE']);
      const [request] = await requestsOf(payment.id);
      assert.equal(request.state, 'refused');
      const text = await refusedText(agent, payment.id);
      assert.match(text, /Your Xendit balance was too low for it/);
      assert.match(text, new RegExp(`${refund.id} FAILED \\(INSUFFICIENT_BALANCE\\)`));
      assert.equal((await refundForm(agent, payment.id)).amount, '150000', 'nothing was refunded');
      assert.equal(h.sims.xero.test.creditNotes(h.tenantId).length, 0);
      assert.deepEqual(await h.stores.refunds.forPayment(payment.id), []);
    });

    it('a payment voided at Xendit since: 403 INELIGIBLE_TRANSACTION is a refusal of this refund with its reason, not a rejected key (a key without Refunds: Write still is)', async () => {
      const { x, payment } = await recordedPayment();
      await h.sims.xendit.refund(x.id, { void: true, sendWebhook: false });
      const agent = await signedIn(h.app, 'a@toko.test');
      const form = await refundForm(agent, payment.id);
      await ask(agent, payment.id, form, '50000').expect('location', `${adminPaymentPath(payment.id)}?refund=refused`);
      assert.equal((await requestsOf(payment.id))[0].state, 'refused');
      const text = await refusedText(agent, payment.id);
      assert.match(text, /Xendit cannot refund this payment/);
      assert.match(text, /INELIGIBLE_TRANSACTION/);

      const key = h.merchant.xenditSecretKey;
      const asked = () =>
        h.sims.xenditClient.createRefund(key, { invoiceId: x.id, referenceId: randomUUID(), currency: 'IDR', amount: 1000, reason: 'OTHERS' }, randomUUID());
      await assert.rejects(asked(), (e: UpstreamError) => e.kind === 'rejected' && e.status === 403 && e.code === 'INELIGIBLE_TRANSACTION');
      h.sims.xendit.test.updateAccount(key, { permissions: { invoices: 'write', transactions: 'read', refunds: 'read' } });
      await assert.rejects(asked(), (e: UpstreamError) => e.kind === 'unauthorized' && e.status === 403);
    });

    it("Xendit's words full of quotes and control characters (each grows to 2-6 characters encoded): the page still shows our words and theirs, never the stored encoding", async () => {
      const { x, payment } = await recordedPayment();
      const agent = await signedIn(h.app, 'a@toko.test');
      const form = await refundForm(agent, payment.id);
      const words = '"\u0001\ud800'.repeat(200); // a lone surrogate is encoded as 6 characters
      // Sent as xendit-node's CreateRefund400Response codes it; the message is Xendit's to word.
      h.sims.xendit.faults.failNext(1, 400, { method: 'POST', path: '/refunds', body: { error_code: 'INSUFFICIENT_BALANCE', message: words } });
      await ask(agent, payment.id, form, '1000').expect('location', `${adminPaymentPath(payment.id)}?refund=refused`);
      const [request] = await requestsOf(payment.id);
      assert.equal(request.state, 'refused');
      assert.ok((request.lastError ?? '').length <= 1000, 'within what is kept');
      assert.doesNotThrow(() => JSON.parse(request.lastError ?? ''), 'kept whole');
      const text = await refusedText(agent, payment.id);
      assert.doesNotMatch(text, /\{"key"|\\u0001/, 'no encoded message on the page');
      assert.match(text, /Your Xendit balance is too low for this refund/);
      assert.match(text, /Xendit said: xendit rejected \(400\): INSUFFICIENT_BALANCE: " .*…/, "Xendit's own words, as many as fit");
      assert.deepEqual(await atXendit(x.id), [], 'Xendit made nothing');
    });
  });

  it('refunds part at Xendit, once for a form sent twice; the refund then goes into Xero and onto the timeline', async () => {
    const { x, payment } = await recordedPayment();
    const agent = await signedIn(h.app, 'a@toko.test');
    const form = await refundForm(agent, payment.id);
    assert.equal(form.amount, '150000', 'the whole refundable amount is proposed');
    const body = { _csrf: form.csrf, requestId: form.requestId, amount: '50000', reason: 'CANCELLATION' };
    await post(agent, payment.id, body)
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);
    await post(agent, payment.id, body)
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);

    const [refund, ...more] = await atXendit(x.id);
    assert.equal(more.length, 0, 'a form sent twice is one refund');
    assert.equal(refund.amount, 50_000);
    assert.equal(refund.referenceId, form.requestId);
    assert.equal(refund.reason, 'CANCELLATION');
    const [request] = await requestsOf(payment.id);
    assert.equal(request.state, 'sent');
    assert.equal(request.xenditRefundId, refund.id);

    await h.worker.drain();
    const [note] = h.sims.xero.test.creditNotes(h.tenantId);
    assert.equal(note.reference, `Xendit refund ${refund.id}`);
    assert.equal(note.total, 5000000n);
    const { $ } = await page(agent, `${adminPaymentPath(payment.id)}?refund=sent`);
    assert.match($('[role=status]').text(), /Xendit accepted the refund/);
    assert.match($('#timeline .refund').text(), /Refunded/);
    assert.equal($('#refund-new input[name=amount]').val(), '100000', 'what is left is proposed next');
    const audit = await h.stores.audit.forMerchant(h.merchant.id);
    assert.ok(audit.some((e) => e.action === 'refund_requested'));
  });

  it('Xendit answers PENDING, refuses a second refund meanwhile, then fails the first: the page shows why, its amount may be refunded again, nothing goes into Xero; the next refund is booked once', async () => {
    const { x, payment } = await recordedPayment();
    const key = h.merchant.xenditSecretKey;
    h.sims.xendit.test.updateAccount(key, { refundOutcome: { status: 'PENDING' } });
    const agent = await signedIn(h.app, 'a@toko.test');
    const form = await refundForm(agent, payment.id);
    await post(agent, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: '50000', reason: 'OTHERS' })
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);
    const [pending] = await atXendit(x.id);
    assert.equal(pending.status, 'PENDING', "Xendit's answer to POST /refunds");
    assert.equal((await refundForm(agent, payment.id)).amount, '100000', 'a pending refund still counts');

    const second = await refundForm(agent, payment.id);
    await post(agent, payment.id, { _csrf: second.csrf, requestId: second.requestId, amount: '10000', reason: 'OTHERS' })
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=refused`);
    assert.match((await requestsOf(payment.id)).find((r) => r.id === second.requestId)?.lastError ?? '', /REFUND_IN_PROGRESS/);
    assert.equal((await atXendit(x.id)).length, 1, 'Xendit made no second refund');

    h.sims.xendit.test.updateAccount(key, { refundOutcome: { status: 'FAILED', failureCode: 'REFUND_TEMPORARILY_UNAVAILABLE' } });
    await h.worker.drain();
    const first = (await requestsOf(payment.id)).find((r) => r.id === form.requestId)!;
    assert.equal(first.state, 'refused');
    assert.match(first.lastError ?? '', /REFUND_TEMPORARILY_UNAVAILABLE/);
    const { $ } = await page(agent, adminPaymentPath(payment.id));
    assert.match($('.refund-requests').text(), new RegExp(`${pending.id} FAILED \\(REFUND_TEMPORARILY_UNAVAILABLE\\)`));
    assert.equal($('#refund-new input[name=amount]').val(), '150000', 'nothing was refunded: all of it may be refunded again');
    assert.equal(h.sims.xero.test.creditNotes(h.tenantId).length, 0);
    assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, 0);

    h.sims.xendit.test.updateAccount(key, { refundOutcome: { status: 'SUCCEEDED' } });
    topUp();
    const again = await refundForm(agent, payment.id);
    await post(agent, payment.id, { _csrf: again.csrf, requestId: again.requestId, amount: '150000', reason: 'OTHERS' })
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);
    await h.worker.drain();
    const [note, ...more] = h.sims.xero.test.creditNotes(h.tenantId);
    assert.equal(more.length, 0, 'booked once');
    assert.equal(note.total, 15000000n);
    assert.equal((await requestsOf(payment.id)).find((r) => r.id === again.requestId)?.state, 'sent');
  });

  it('a refund that failed at Xendit whose webhook never came: the scheduled listing frees its amount; one refused as a DUPLICATE_ERROR keeps it counted (a live twin may exist)', async () => {
    const key = h.merchant.xenditSecretKey;
    h.sims.xendit.test.updateAccount(key, { refundOutcome: { status: 'PENDING' } });
    const agent = await signedIn(h.app, 'a@toko.test');
    const ask = async (failureCode: string) => {
      const { x, payment } = await recordedPayment();
      const form = await refundForm(agent, payment.id);
      await post(agent, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: '50000', reason: 'OTHERS' }).expect(303);
      await h.worker.drain(); // the job finds it PENDING and waits
      const [refund] = await atXendit(x.id);
      await h.sims.xendit.completeRefund(refund.id, 'FAILED', { sendWebhook: false, failureCode });
      return { payment, requestId: form.requestId };
    };
    const failed = await ask('INSUFFICIENT_BALANCE');
    const duplicate = await ask('DUPLICATE_ERROR');
    await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    const request = async (r: { payment: { id: string }; requestId: string }) => (await requestsOf(r.payment.id)).find((q) => q.id === r.requestId)!;
    assert.equal((await request(failed)).state, 'refused');
    assert.equal((await refundForm(agent, failed.payment.id)).amount, '150000', 'nothing was refunded: all of it may be refunded again');
    const twin = await request(duplicate);
    assert.equal(twin.state, 'sent');
    assert.match(twin.lastError ?? '', /DUPLICATE_ERROR/);
    assert.equal((await refundForm(agent, duplicate.payment.id)).amount, '100000', 'the duplicate still counts');
  });

  it('refunds that name no invoice: a lost answer is still found by our reference (not made twice), and the refund is tied to the payment by it and booked once', async () => {
    const { x, payment } = await recordedPayment();
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { refundsNameInvoice: false });
    const agent = await signedIn(h.app, 'a@toko.test');
    const body = await askAnswerLost(agent, payment.id);
    assert.deepEqual(await atXendit(x.id), [], 'Xendit lists none under the invoice');
    await post(agent, payment.id, { ...body, amount: '', reason: '' })
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);
    const all = (await h.sims.xenditClient.listRefunds(h.merchant.xenditSecretKey, { limit: 100 })).refunds;
    assert.equal(all.length, 1, 'found, not made again');
    assert.equal(all[0].invoiceId, undefined);
    await h.worker.drain();
    const [note, ...more] = h.sims.xero.test.creditNotes(h.tenantId);
    assert.equal(more.length, 0);
    assert.equal(note.reference, `Xendit refund ${all[0].id}`);
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, all[0].id))?.paymentId, payment.id);
  });

  it("a form's one-time id already used for another payment is refused, and that payment's request is left alone", async () => {
    const first = await recordedPayment();
    const second = await recordedPayment();
    const agent = await signedIn(h.app, 'a@toko.test');
    const form = await refundForm(agent, first.payment.id);
    await post(agent, first.payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: '1000', reason: 'OTHERS' }).expect(303);
    const other = await refundForm(agent, second.payment.id);
    await post(agent, second.payment.id, { _csrf: other.csrf, requestId: form.requestId, amount: '2000', reason: 'OTHERS' }).expect(400);
    assert.deepEqual(await requestsOf(second.payment.id), []);
    assert.deepEqual(await atXendit(second.x.id), []);
    assert.equal((await atXendit(first.x.id)).length, 1);
  });

  it('asks for the password again when the step-up has lapsed, and writes and asks nothing', async () => {
    const { x, payment } = await recordedPayment();
    const agent = await signedIn(h.app, 'a@toko.test');
    const form = await refundForm(agent, payment.id);
    h.clock.advance(STEP_UP_MS + 1000);
    const res = await post(agent, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: '1000', reason: 'OTHERS' }).expect(401);
    assert.ok(cheerio.load(res.text)('input[type=password]').length, 'the password page');
    assert.deepEqual(await requestsOf(payment.id), []);
    assert.deepEqual(await atXendit(x.id), []);
  });

  it('careless input gets the form back with the reason (4xx), writes nothing and asks Xendit nothing', async () => {
    const { x, payment } = await recordedPayment();
    const agent = await signedIn(h.app, 'a@toko.test');
    for (const [amount, reason, status, text] of [
      ['abc', 'OTHERS', 422, /above zero/],
      ['0', 'OTHERS', 422, /above zero/],
      ['10.5', 'OTHERS', 422, /above zero/],
      ['100.000', 'OTHERS', 422, /no thousands separators/],
      ['100,000', 'OTHERS', 422, /no thousands separators/],
      ['150001', 'OTHERS', 422, /At most/],
      ['1000', 'PLEASE', 400, /Pick a reason/],
    ] as const) {
      const form = await refundForm(agent, payment.id);
      const res = await post(agent, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount, reason }).expect(status);
      assert.match(cheerio.load(res.text)('#refund .error').text(), text, amount);
    }
    const form = await refundForm(agent, payment.id);
    await post(agent, payment.id, { _csrf: form.csrf, requestId: 'not-a-uuid', amount: '1000', reason: 'OTHERS' }).expect(400);
    assert.deepEqual(await requestsOf(payment.id), []);
    assert.deepEqual(await atXendit(x.id), []);
  });

  it('a staff user sees no Refund form and is refused (403), nothing written', async () => {
    const { x, payment } = await recordedPayment();
    await h.stores.users.add(
      { email: 'staff@toko.test', passwordHash: await hashPassword(PASSWORD), role: 'merchant', merchantId: h.merchant.id, merchantRole: 'staff' },
      h.clock(),
    );
    const agent = await signedIn(h.app, 'staff@toko.test');
    const { $, csrf } = await page(agent, adminPaymentPath(payment.id));
    assert.equal($('#refund-new').length, 0);
    await post(agent, payment.id, { _csrf: csrf(), requestId: crypto.randomUUID(), amount: '1000', reason: 'OTHERS' }).expect(403);
    assert.deepEqual(await requestsOf(payment.id), []);
    assert.deepEqual(await atXendit(x.id), []);
  });

  it("another merchant's user gets 404 and nothing is written", async () => {
    const { x, payment } = await recordedPayment();
    const agent = await signedIn(h.app, 'b@lain.test');
    const { csrf } = await page(agent, '/admin');
    await post(agent, payment.id, { _csrf: csrf(), requestId: crypto.randomUUID(), amount: '1000', reason: 'OTHERS' }).expect(404);
    assert.deepEqual(await requestsOf(payment.id), []);
    assert.deepEqual(await atXendit(x.id), []);
  });

  it("Xendit's answer lost: the page says so, and checking again finds the refund by reference instead of making a second", async () => {
    const { x, payment } = await recordedPayment();
    const agent = await signedIn(h.app, 'a@toko.test');
    const form = await askAnswerLost(agent, payment.id);
    assert.equal((await atXendit(x.id)).length, 1, 'Xendit made it');
    const [request] = await requestsOf(payment.id);
    assert.equal(request.state, 'sending');
    assert.ok(request.attemptAt);

    const { $, csrf } = await page(agent, `${adminPaymentPath(payment.id)}?refund=unknown`);
    assert.match($('[role=status]').text(), /did not answer/);
    assert.equal($('#refund-new input[name=amount]').val(), '130000', 'the unanswered request counts against what is left');
    await post(agent, payment.id, { _csrf: csrf(), requestId: form.requestId, amount: '', reason: '' })
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);
    const refunds = await atXendit(x.id);
    assert.equal(refunds.length, 1, 'found, not made again');
    assert.equal((await requestsOf(payment.id))[0].xenditRefundId, refunds[0].id);
  });
  it("Xendit's answer lost and its refund then booked by webhook: the request takes that refund's id, so the amount counts once in what is left", async () => {
    const { x, payment } = await recordedPayment();
    const agent = await signedIn(h.app, 'a@toko.test');
    await askAnswerLost(agent, payment.id);
    const [made] = await atXendit(x.id);
    await refundWebhook(h, made.id).expect(200);
    await h.worker.drain();
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, made.id))?.state, 'recorded');
    const [request] = await requestsOf(payment.id);
    assert.deepEqual([request.state, request.xenditRefundId], ['sent', made.id]);
    const { $ } = await page(agent, adminPaymentPath(payment.id));
    assert.equal($('#refund-new input[name=amount]').val(), '130000', '150 000 less the one refund of 20 000');
  });

  it('the web process killed after Xendit accepted the refund, before its request was updated: after the restart "Check again" adopts that refund, booked once and counted once', async () => {
    const { x, payment } = await recordedPayment();
    const dying = dieOnCall(h.stores, 'refundRequests', 'sent');
    const before = await signedIn(createApp({ ...h.deps, stores: dying.stores }), 'a@toko.test');
    const form = await refundForm(before, payment.id);
    await post(before, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: '20000', reason: 'OTHERS' });
    assert.ok(dying.died(), 'killed between Xendit answering and the request being marked sent');
    const [made, ...others] = await atXendit(x.id);
    assert.equal(others.length, 0, 'Xendit made it');
    const [asked] = await requestsOf(payment.id);
    assert.deepEqual([asked.state, asked.xenditRefundId], ['sending', null], 'the request knows nothing of it');

    // The restarted process (the original stores): the page offers to check again, at once.
    const agent = await signedIn(h.app, 'a@toko.test');
    const { $ } = await page(agent, adminPaymentPath(payment.id));
    assert.equal($('#refund-new input[name=amount]').val(), '130000', 'the unanswered request counts against what is left');
    const check = formFields($, '.refund-requests form');
    assert.equal(check.requestId, form.requestId);
    const asks = () => h.sims.xendit.test.countRequests({ method: 'POST', pathPrefix: '/refunds' });
    await agent
      .post(adminPaymentRefundPath(payment.id))
      .type('form')
      .send(check)
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);
    assert.equal(asks(), 1, 'found by its reference, not asked again');
    const [request] = await requestsOf(payment.id);
    assert.deepEqual([request.state, request.xenditRefundId], ['sent', made.id]);

    await h.worker.drain();
    await refundWebhook(h, made.id).expect(200, { received: true, duplicate: true }); // Xendit's webhook, late
    await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await h.worker.drain();
    const notes = h.sims.xero.test.creditNotes(h.tenantId);
    assert.deepEqual(
      notes.map((n) => [n.reference, n.total]),
      [[`Xendit refund ${made.id}`, 2000000n]],
      'booked once',
    );
    assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, 1);
    const after = await page(agent, adminPaymentPath(payment.id));
    assert.equal(after.$('#timeline li.refund').length, 1);
    assert.equal(after.$('#refund-new input[name=amount]').val(), '130000', '150 000 less the one refund of 20 000, counted once');
  });

  it('the same kill, then the scheduled listing finds the refund before anyone checks again: the request takes its id, booked once and counted once', async () => {
    const { x, payment } = await recordedPayment();
    const dying = dieOnCall(h.stores, 'refundRequests', 'sent');
    const before = await signedIn(createApp({ ...h.deps, stores: dying.stores }), 'a@toko.test');
    const form = await refundForm(before, payment.id);
    await post(before, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: '20000', reason: 'OTHERS' });
    assert.ok(dying.died());
    const [made] = await atXendit(x.id);
    await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await h.worker.drain();
    const [request] = await requestsOf(payment.id);
    assert.deepEqual([request.state, request.xenditRefundId], ['sent', made.id]);
    assert.equal(h.sims.xero.test.creditNotes(h.tenantId).length, 1);
    const { $ } = await page(await signedIn(h.app, 'a@toko.test'), adminPaymentPath(payment.id));
    assert.equal($('#refund-new input[name=amount]').val(), '130000', 'counted once');
  });

  it("Xendit's answer lost, refunds listed oldest first past what one lookup reads: not asked again (a second refund if Xendit ignored the key), the page says it cannot tell", async () => {
    const key = h.merchant.xenditSecretKey;
    h.sims.xendit.test.updateAccount(key, { refundsListOrder: 'oldest_first', refundsNameInvoice: false });
    // The account's history: 1 000 older refunds (of a payment made outside the gateway), one a minute.
    const other = h.sims.xendit.createInvoice({ account: key, currency: 'IDR', amount: 1_000_000 });
    await h.sims.xendit.pay(other.id, { sendCallback: false, ...REFUNDABLE });
    for (let i = 0; i < 1000; i++) {
      await h.sims.xendit.refund(other.id, { amount: 1000, sendWebhook: false, createdAt: new Date(Date.now() - 86_400_000 - (1000 - i) * 60_000) });
    }
    topUp(1_100_000); // those refunds of a payment not settled took all of it from the balance
    const { payment } = await recordedPayment();
    const agent = await signedIn(h.app, 'a@toko.test');
    const body = await askAnswerLost(agent, payment.id);
    const asks = () => h.sims.xendit.test.countRequests({ method: 'POST', pathPrefix: '/refunds' });
    assert.equal(asks(), 1);

    h.clock.advance(61_000); // past the time an unanswered ask belongs to its sender
    await post(agent, payment.id, { ...body, amount: '', reason: '' })
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=unknown`);
    assert.equal(asks(), 1, 'not asked again');
    const [request] = await requestsOf(payment.id);
    assert.equal(request.state, 'sending');
    assert.match(request.lastError ?? '', /more refunds than one lookup reads/);
  });

  it('a key that may read refunds but not make them: the request is refused with the reason (403 made nothing), not left "no answer"', async () => {
    const { x, payment } = await recordedPayment();
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { permissions: { invoices: 'write', transactions: 'read', refunds: 'read' } });
    const agent = await signedIn(h.app, 'a@toko.test');
    const form = await refundForm(agent, payment.id);
    await post(agent, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: '1000', reason: 'OTHERS' })
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=refused`);
    const [request] = await requestsOf(payment.id);
    assert.equal(request.state, 'refused');
    assert.equal(request.attemptAt, null);
    assert.deepEqual(await atXendit(x.id), []);
    const { $ } = await page(agent, `${adminPaymentPath(payment.id)}?refund=refused`);
    assert.match($('.refund-requests').text(), /forbidden/i);
    assert.equal($('#refund-new input[name=amount]').val(), '150000', 'a refused request leaves the whole amount');
  });

  it('an ask still waiting for Xendit belongs to its sender: "Check again" right away asks nothing; a minute on, it asks once', async () => {
    const { x, payment } = await recordedPayment();
    const agent = await signedIn(h.app, 'a@toko.test');
    const form = await refundForm(agent, payment.id);
    h.sims.xendit.faults.failNext(1, 503, { path: '/refunds' }); // no answer, nothing made
    await post(agent, payment.id, { _csrf: form.csrf, requestId: form.requestId, amount: '20000', reason: 'OTHERS' })
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=unknown`);
    const asks = () => h.sims.xendit.test.countRequests({ method: 'POST', pathPrefix: '/refunds' });
    assert.equal(asks(), 1);
    const again = { _csrf: form.csrf, requestId: form.requestId, amount: '', reason: '' };
    await post(agent, payment.id, again)
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=unknown`);
    assert.equal(asks(), 1, 'not asked a second time while the first may still be answered');
    h.clock.advance(61_000);
    await post(agent, payment.id, again)
      .expect(303)
      .expect('location', `${adminPaymentPath(payment.id)}?refund=sent`);
    assert.equal(asks(), 2);
    assert.equal((await atXendit(x.id)).length, 1);
  });

  it('the same form sent twice at the same moment asks Xendit once and logs one request', async () => {
    const { x, payment } = await recordedPayment();
    const agent = await signedIn(h.app, 'a@toko.test');
    const form = await refundForm(agent, payment.id);
    const body = { _csrf: form.csrf, requestId: form.requestId, amount: '40000', reason: 'DUPLICATE' };
    const answers = await Promise.all([post(agent, payment.id, body), post(agent, payment.id, body), post(agent, payment.id, body)]);
    for (const res of answers) {
      assert.equal(res.status, 303);
      assert.match(res.headers.location, /\?refund=(sent|unknown)$/, 'the twin that did not ask says to check again');
    }
    assert.equal((await atXendit(x.id)).length, 1);
    assert.equal((await requestsOf(payment.id)).length, 1);
    const audit = await h.stores.audit.forMerchant(h.merchant.id);
    assert.equal(audit.filter((e) => e.action === 'refund_requested').length, 1);
    await h.worker.drain();
    assert.equal(h.sims.xero.test.creditNotes(h.tenantId).length, 1);
  });

  it('forms each asking for all that is left, sent at the same moment: one refund, the others told what is left', async () => {
    const { x, payment } = await recordedPayment();
    const agent = await signedIn(h.app, 'a@toko.test');
    const forms = [];
    topUp();
    for (let i = 0; i < 6; i++) forms.push(await refundForm(agent, payment.id));
    assert.equal(new Set(forms.map((f) => f.requestId)).size, forms.length);
    const answers = await Promise.all(forms.map((f) => post(agent, payment.id, { _csrf: f.csrf, requestId: f.requestId, amount: '150000', reason: 'OTHERS' })));
    assert.deepEqual(answers.map((r) => r.status).sort(), [303, 422, 422, 422, 422, 422]);
    for (const refused of answers.filter((r) => r.status === 422))
      assert.match(
        cheerio.load(refused.text)('#refund .error').text(),
        /At most 0 IDR/,
        cheerio.load(refused.text)('body').text().replace(/\s+/g, ' ').slice(0, 600),
      );
    const refunds = await atXendit(x.id);
    assert.equal(refunds.length, 1, 'the payment is refunded once, not twice');
    assert.equal(refunds[0].amount, 150_000);
    assert.equal((await requestsOf(payment.id)).length, 1);
  });
});
