import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { addedAtTheTestsStart, backendSalePaid, createHarness, REFUNDABLE, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { adminPaymentPath, disputeCallbackPathFor, refundCallbackPathFor } from '../../app/paths.js';
import { pino } from 'pino';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { listPaidInvoices } from '../../app/jobs/sync/list-paid.js';
import { balances } from '../../app/admin/payments/balances.js';
import { seedAdminCast, page, signedIn } from '../helpers/admin.js';
import { runHeld } from '../helpers/held-run.js';

const CREDIT_NOTES = '/api.xro/2.0/CreditNotes';

/**
 * Chargebacks (issue 16 §2): a dispute Xendit reports as LOST took the money back, and goes into
 * Xero like a refund (credit note + cash refund out of the clearing account), once; a dispute
 * raised, under review or won books nothing.
 */
describeEachDatabase('chargebacks: lost disputes at Xendit into Xero', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const webhook = (disputeId: string, status: string, token = h.merchant.callbackToken) =>
    request(h.app)
      .post(disputeCallbackPathFor(h.merchant.id))
      .set('x-callback-token', token)
      .send({ event: `dispute.${status.toLowerCase()}`, id: disputeId, status, currency: 'IDR', amount: { initial: '1.00', terminal: null } });
  const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
  const cashRefunds = () => h.sims.xero.test.refundPayments(h.tenantId);
  const row = (id: string) => h.stores.refunds.byXenditId(h.merchant.id, id);
  const disputeJobs = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-dispute');
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const list = () => listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const watched = () => h.stores.openDisputes.due(new Date('9999-01-01T00:00:00Z'), 100);
  const disputeReads = () => h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: '/v1/disputes' });

  /** One credit note and one cash refund in Xero, the chargeback's row recorded. */
  async function bookedOnce(id: string) {
    assert.equal(notes().length, 1);
    assert.equal(cashRefunds().length, 1);
    assert.equal((await row(id))?.state, 'recorded');
  }

  async function paidAndRecorded(invoice?: Parameters<typeof h.addInvoice>[0]) {
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE, invoice });
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, paid.x.id))?.syncState, 'recorded');
    return paid;
  }

  it("lost after the merchant archived the sale's revenue account in Xero: booked with that part on the sales account, the sale's tax given back", async () => {
    const other = h.sims.xero.addAccount(h.tenantId, { code: '260', name: 'Other Revenue', type: 'REVENUE' });
    const { x } = await paidAndRecorded({
      lineItems: [
        { description: 'Kopi', quantity: '2', unitAmount: '55500', accountCode: '200', taxType: 'OUTPUT' },
        { description: 'Ongkir', quantity: '1', unitAmount: '39000', accountCode: '260' },
      ],
    });
    h.sims.xero.test.archiveAccount(h.tenantId, other.accountId);
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    await bookedOnce(id);
    const [note] = notes();
    assert.deepEqual(
      note.lineItems.map((li) => [li.accountCode, li.taxType, li.lineAmount, li.taxAmount]),
      [
        ['200', 'OUTPUT', 11100000n, 1100000n],
        ['200', 'NONE', 3900000n, 0n],
      ],
    );
    assert.match(note.lineItems[1].description, /^Chargeback of .*; account 260 is archived in Xero, credited to 200$/);
  });

  it('raised: nothing booked; lost: one credit note and one cash refund, Reference "Xendit chargeback <id>"; redelivery changes nothing; the report reconciles', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await webhook(id, 'ACTION_REQUIRED').expect(200, { received: true, duplicate: false });
    await h.worker.drain();
    assert.equal(notes().length, 0, 'a raised dispute has not taken the money yet');
    assert.equal(await row(id), null);

    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    await webhook(id, 'LOST').expect(200, { received: true, duplicate: false });
    await h.worker.drain();
    const [note, ...more] = notes();
    assert.equal(more.length, 0);
    assert.equal(note.reference, `Xendit chargeback ${id}`);
    assert.equal(note.total, 15000000n);
    const [cash] = cashRefunds();
    assert.equal(cash.reference, `Xendit chargeback ${id}`);
    assert.equal(cash.accountId, h.clearingAccountId);
    assert.equal(cash.amount, 15000000n);
    const r = await row(id);
    assert.equal(r?.kind, 'chargeback');
    assert.equal(r?.state, 'recorded');
    // The payment's page says the money went back by a chargeback, not by a refund someone made.
    await seedAdminCast(h, db());
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    const { $ } = await page(await signedIn(h.app, 'a@toko.test'), adminPaymentPath(payment.id));
    const [line, ...others] = $('#timeline .refund')
      .toArray()
      .map((li) => $(li).text().replace(/\s+/g, ' ').trim());
    assert.equal(others.length, 0, 'one chargeback, one line');
    assert.match(line, /^\S.* Chargeback of IDR 150,000 lost at Xendit /);
    assert.doesNotMatch(line, /Refunded/);
    assert.ok(line.includes(`${id} — recorded in Xero`), line);
    assert.ok(line.includes(note.creditNoteId), `the credit note named: ${line}`);
    await h.sims.xendit.settle(x.id, { sendCallback: false }); // the balance holds settled money only
    const atXendit = await h.sims.xenditClient.getBalance(h.merchant.xenditSecretKey, 'IDR');
    assert.equal(
      h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId),
      BigInt(atXendit * 100),
      'the clearing account holds what Xendit holds after the chargeback',
    );

    await webhook(id, 'LOST').expect(200, { received: true, duplicate: true });
    await h.worker.drain();
    assert.equal(notes().length, 1);
    assert.equal(cashRefunds().length, 1);

    const report = await reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, (await h.stores.merchants.byId(h.merchant.id))!, {
      from: day(-1),
      to: day(1),
    });
    const back = report.rows.find((x) => x.note === `chargeback ${id}`);
    assert.equal(back?.status, 'refunded', JSON.stringify(report.rows));
    assert.equal(report.reconciled, true, JSON.stringify(report.rows));
  });

  it("an open dispute's amount, held by Xendit, is out of its CASH balance and still the merchant's: the balances count it and agree while open, lost (booked) and won", async () => {
    const { x } = await paidAndRecorded();
    await h.sims.xendit.settle(x.id, { sendCallback: false }); // held money comes out of the settled balance
    // Xero's Bank Summary is read up to the organisation's today; the simulators date things by the real clock.
    h.clock.advance(Math.max(0, Date.now() - h.clock().getTime()) + 86_400_000);
    const deps = { xero: h.sims.xeroClient, xendit: h.sims.xenditClient, stores: h.stores, clock: h.clock, logger: pino({ level: 'silent' }) };
    const idr = async () => (await balances(deps, (await h.stores.merchants.byId(h.merchant.id))!)).find((b) => b.currency === 'IDR')!;
    const before = await idr();
    assert.equal(before.balanced, true, JSON.stringify(before));
    assert.equal(before.held, 0);

    const open = await h.sims.xendit.dispute(x.id, { amount: 100_000, sendWebhook: false });
    const held = await idr();
    assert.equal(held.cash, before.cash! - 100_000, 'the disputed amount left the CASH balance');
    assert.equal(held.held, 100_000, 'and is in the HOLDING balance');
    assert.equal(held.balanced, true, JSON.stringify(held));
    await seedAdminCast(h, db());
    const { $ } = await page(await signedIn(h.app, 'a@toko.test'), '/admin');
    const line = $('#balances tr[data-currency=IDR]');
    assert.match(line.find('.xendit').text().replace(/\s/g, ' '), /IDR 100,000 held back by Xendit/);
    assert.equal(line.find('.state').text().trim(), 'Balanced');

    await h.sims.xendit.resolveDispute(open.id, 'WON', { sendWebhook: false });
    const won = await idr();
    assert.deepEqual([won.cash, won.held, won.balanced], [before.cash, 0, true], 'a won dispute gives the money back');

    const lost = await h.sims.xendit.dispute(x.id, { amount: 50_000, sendWebhook: false });
    await h.sims.xendit.resolveDispute(lost.id, 'LOST', { sendWebhook: false });
    const unbooked = await idr();
    assert.deepEqual([unbooked.cash, unbooked.held, unbooked.balanced], [before.cash! - 50_000, 0, false], 'lost: gone until the chargeback is booked');
    await webhook(lost.id, 'LOST').expect(200);
    await h.worker.drain();
    assert.equal((await row(lost.id))?.state, 'recorded');
    assert.equal((await idr()).balanced, true);
  });

  it('a chargeback whose payment is not in Xero yet (Xero down until its job gave up) gives up waiting too; the commit that records the payment queues it again, booked once', async () => {
    h.sims.xero.faults.failNext(10_000, 503, { path: '/api.xro/2.0/Payments' });
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    const jobOf = async (kind: string) => (await h.stores.jobs.list()).find((j) => j.kind === kind)!;
    for (let i = 0; i < 60 && (await jobOf('record-payment')).state !== 'needs_review'; i++) {
      h.clock.advance(9 * 3600_000);
      await h.worker.drain();
    }
    assert.equal((await jobOf('record-payment')).state, 'needs_review');
    const { id } = await h.sims.xendit.dispute(x.id, { amount: 100_000, sendWebhook: false });
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    assert.equal((await row(id))?.state, 'pending', 'its row made, waiting for the payment');
    for (let i = 0; i < 60 && (await disputeJobs())[0].state !== 'needs_review'; i++) {
      h.clock.advance(9 * 3600_000);
      await h.worker.drain();
    }
    assert.match((await disputeJobs())[0].lastError ?? '', /^gave up after \d+ attempts: .*not in Xero yet/);

    h.sims.xero.faults.reset();
    assert.equal(await h.stores.jobs.replay((await jobOf('record-payment')).id, h.clock()), true);
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
    await bookedOnce(id);
    assert.equal((await disputeJobs())[0].state, 'done');
    await list();
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    await bookedOnce(id);
  });

  it('an earlier event read after the dispute was lost hands it to the LOST job: both webhooks at once book once', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { amount: 100_000, sendWebhook: false });
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    await webhook(id, 'ACTION_REQUIRED').expect(200);
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    assert.equal(notes().length, 1);
    assert.equal(cashRefunds().length, 1);
    assert.deepEqual((await disputeJobs()).map((j) => [j.payload.status, j.state]).sort(), [
      ['ACTION_REQUIRED', 'done'],
      ['LOST', 'done'],
    ]);

    const late = await h.sims.xendit.dispute(x.id, { amount: 1_000, sendWebhook: false });
    await h.sims.xendit.resolveDispute(late.id, 'LOST', { sendWebhook: false });
    await webhook(late.id, 'ACTION_REQUIRED').expect(200);
    await h.worker.drain();
    assert.equal(notes().length, 2, 'its LOST webhook lost: the earlier event queued the LOST job, which booked it');
  });

  it('a LOST webhook that never comes: the dispute read open at its first webhook is read again once a day by the refunds listing and booked once', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await webhook(id, 'ACTION_REQUIRED').expect(200);
    await h.worker.drain();
    assert.deepEqual(
      (await watched()).map((d) => [d.xenditDisputeId, d.status]),
      [[id, 'ACTION_REQUIRED']],
    );
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });

    const reads = disputeReads();
    await list(); // the same day: not due yet
    assert.equal(disputeReads(), reads);
    h.clock.advance(86_400_000 + 1000);
    await list();
    await h.worker.drain();
    const [note, ...more] = notes();
    assert.equal(more.length, 0);
    assert.equal(note.reference, `Xendit chargeback ${id}`);
    assert.equal(cashRefunds().length, 1);
    assert.deepEqual(await watched(), []);

    // The LOST webhook arriving late, and later listings, add nothing.
    await webhook(id, 'LOST').expect(200);
    h.clock.advance(86_400_000 + 1000);
    await list();
    await h.worker.drain();
    await bookedOnce(id);
  });

  it('a merchant disabled while its dispute is open: the daily look still finds it lost and books it once (the money left Xendit all the same)', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await webhook(id, 'ACTION_REQUIRED').expect(200);
    await h.worker.drain();
    await h.stores.merchants.setStatus(h.merchant.id, 'disabled');
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    h.clock.advance(86_400_000 + 1000);
    await list();
    await h.worker.drain();
    await bookedOnce(id);
  });

  it('a LOST webhook that came while Xendit still showed the dispute open books nothing then; the daily look finds it lost and runs that job again: booked once', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await webhook(id, 'LOST').expect(200); // ahead of Xendit's own state
    await h.worker.drain();
    assert.deepEqual(
      (await disputeJobs()).map((j) => [j.payload.status, j.state]),
      [['LOST', 'done']],
    );
    assert.equal(notes().length, 0);
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    h.clock.advance(86_400_000 + 1000);
    await list();
    await h.worker.drain();
    await bookedOnce(id);
    h.clock.advance(86_400_000 + 1000);
    await list();
    await h.worker.drain();
    assert.equal(notes().length, 1, 'booked: not run again');
    assert.equal((await disputeJobs()).length, 1);
  });

  it('found lost by the daily look while its LOST job, having read it open, is still running: that job runs again and books it once', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await webhook(id, 'LOST').expect(200); // ahead of Xendit's own state
    await runHeld(h, 'record-dispute', async () => {
      assert.equal(notes().length, 0, 'the run read the dispute open');
      await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
      h.clock.advance(86_400_000 + 1000);
      await list();
      assert.deepEqual(await watched(), [], 'the daily look read it lost: no more looks');
    });
    assert.deepEqual(
      (await disputeJobs()).map((j) => [j.payload.status, j.state]),
      [['LOST', 'queued']],
      'queued again, not done',
    );
    await h.worker.drain();
    await bookedOnce(id);
    h.clock.advance(86_400_000 + 1000);
    await list();
    await h.worker.drain();
    assert.equal(notes().length, 1, 'booked: not run again');
  });

  it('a dispute Xendit no longer has when looked at again: a job in review says so', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await webhook(id, 'ACTION_REQUIRED').expect(200);
    await h.worker.drain();
    h.sims.xendit.faults.failNext(10, 404, { path: `/v1/disputes/${id}` });
    h.clock.advance(86_400_000 + 1000);
    await list();
    await h.worker.drain();
    assert.deepEqual(await watched(), []);
    const review = (await disputeJobs()).find((j) => j.payload.status === 'GONE');
    assert.equal(review?.state, 'needs_review');
    assert.match(review?.lastError ?? '', /Xendit has no dispute/);
  });

  it('a dispute read open and later won without a webhook: the daily look stops looking and books nothing', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await webhook(id, 'ACTION_REQUIRED').expect(200);
    await h.worker.drain();
    h.clock.advance(86_400_000 + 1000);
    const before = disputeReads();
    await list();
    assert.equal(disputeReads(), before + 1, 'read once by the daily look');
    assert.equal((await watched())[0]?.status, 'ACTION_REQUIRED', 'still open: looked at again tomorrow');
    await h.sims.xendit.resolveDispute(id, 'WON', { sendWebhook: false });
    h.clock.advance(86_400_000 + 1000);
    await list();
    assert.deepEqual(await watched(), []);
    const reads = disputeReads();
    h.clock.advance(86_400_000 + 1000);
    await list();
    await h.worker.drain();
    assert.equal(disputeReads(), reads, 'not read again');
    assert.equal(notes().length, 0);
  });

  it('won: nothing goes into Xero', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await h.sims.xendit.resolveDispute(id, 'WON', { sendWebhook: false });
    await webhook(id, 'WON').expect(200);
    await h.worker.drain();
    assert.equal(notes().length, 0);
    assert.deepEqual(
      (await disputeJobs()).map((j) => j.state),
      ['done'],
    );
  });

  it('the body is only a hint: a webhook saying LOST for a dispute Xendit still has open books nothing', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    assert.equal(notes().length, 0);
    assert.equal(await row(id), null);
    assert.deepEqual(
      (await disputeJobs()).map((j) => j.state),
      ['done'],
      'the job ran and read the dispute as still open',
    );
  });

  it('a refund and a lost dispute together above the payment: the chargeback waits in needs_review, nothing more in Xero', async () => {
    const { x } = await paidAndRecorded();
    const refund = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    await request(h.app)
      .post(refundCallbackPathFor(h.merchant.id))
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ event: 'refund.succeeded', data: { id: refund.id } })
      .expect(200);
    const { id } = await h.sims.xendit.dispute(x.id, { amount: 150_000, sendWebhook: false });
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    assert.equal(notes().length, 1, 'the refund only');
    const r = await row(id);
    assert.equal(r?.state, 'needs_review');
    assert.match(r?.lastError ?? '', /exceed the payment/);
  });

  it("a dispute whose reference_id is not the checkout's external id is tied by its payment_id: booked once", async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { referenceId: 'order-4711', sendWebhook: false });
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    await bookedOnce(id);
  });

  it("a backend-flow sale found by the paid listing (its PAID callback lost, so no payment_id): a lost dispute naming the invoice's external id as reference_id is booked once", async () => {
    const { x } = await backendSalePaid(h, { sendCallback: false });
    h.sims.xendit.getInvoice(x.id)!.paidAt = new Date(h.clock().getTime() - 5 * 60_000); // paid before the listing's lag
    const listed = await listPaidInvoices(
      { stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) },
      { pageSize: 100, maxPages: 5, lookbackMinutes: 60, lagSeconds: 60 },
    );
    assert.equal(listed.queued, 1);
    await h.worker.drain();
    const sale = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
    assert.deepEqual([sale?.syncState, sale?.xenditPaymentId], ['recorded', null], 'recorded without the payment_id only the callback names');
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    const read = await h.sims.xenditClient.getDispute(h.merchant.xenditSecretKey, id);
    assert.equal(read?.referenceId, x.externalId);
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    assert.equal((await disputeJobs())[0].state, 'done', (await disputeJobs())[0].lastError ?? '');
    await bookedOnce(id);
    assert.equal((await row(id))?.paymentId, sale?.id);
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    await bookedOnce(id);
  });

  it('two backend-flow sales of one external id, the second not recorded yet: its lost dispute books nothing against the first, and once the second is recorded books against it once', async () => {
    await h.stores.db.updateTable('merchants').set({ backend_flow: true }).where('id', '=', h.merchant.id).execute();
    // Xendit does not require an invoice's external_id to be unique: the merchant's system reused one.
    const sale = (customerName: string) =>
      h.sims.xendit.createInvoice({ account: h.merchant.xenditSecretKey, currency: 'IDR', amount: 150_000, customerName, externalId: 'order-77' });
    const first = sale('Sari');
    await h.sims.xendit.pay(first.id, REFUNDABLE);
    await h.worker.drain();
    const one = await h.stores.payments.byXenditInvoice(h.merchant.id, first.id);
    assert.deepEqual([one?.syncState, Boolean(one?.xenditPaymentId)], ['recorded', true]);

    // The second sale's job cannot reach Xero (its contact), so no payment is recorded for it yet.
    h.sims.xero.faults.failNext(10_000, 503, { path: '/api.xro/2.0/Contacts' });
    const second = sale('Budi');
    await h.sims.xendit.pay(second.id, REFUNDABLE);
    await h.worker.drain();
    assert.equal(await h.stores.payments.byXenditInvoice(h.merchant.id, second.id), null);
    const { id } = await h.sims.xendit.dispute(second.id, { sendWebhook: false });
    const read = await h.sims.xenditClient.getDispute(h.merchant.xenditSecretKey, id);
    assert.equal(read?.referenceId, 'order-77');
    assert.ok(read?.paymentId && read.paymentId !== one?.xenditPaymentId);
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    assert.equal((await row(id))?.paymentId ?? null, null, 'nothing booked against the first sale');
    assert.equal(notes().length, 0);

    h.sims.xero.faults.reset();
    for (let i = 0; i < 20 && (await h.stores.payments.byXenditInvoice(h.merchant.id, second.id))?.syncState !== 'recorded'; i++) {
      h.clock.advance(3600_000);
      await h.worker.drain();
    }
    const two = await h.stores.payments.byXenditInvoice(h.merchant.id, second.id);
    assert.deepEqual([two?.syncState, two?.xenditPaymentId], ['recorded', read.paymentId], 'recorded with the payment_id of its PAID callback');
    await h.worker.drain();
    assert.equal((await disputeJobs())[0].state, 'done', (await disputeJobs())[0].lastError ?? '');
    await bookedOnce(id);
    assert.equal((await row(id))?.paymentId, two?.id);
  });

  it('a dispute of a payment the gateway never recorded waits in needs_review with the reason', async () => {
    const outside = h.sims.xendit.createInvoice({ externalId: 'shop-order-9', amount: 80_000, currency: 'IDR', account: h.merchant.xenditSecretKey });
    await h.sims.xendit.pay(outside.id, { sendCallback: false });
    const { id } = await h.sims.xendit.dispute(outside.id, { sendWebhook: false });
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    const [job] = await disputeJobs();
    assert.equal(job.state, 'needs_review');
    assert.match(job.lastError ?? '', /fits no payment the gateway recorded/);
    assert.equal(notes().length, 0);
  });

  it('a lost answer to the credit note: the retry finds it by Reference and makes one of each', async () => {
    const { x } = await paidAndRecorded();
    const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    h.sims.xero.faults.dropResponseAfterSave(1, { path: CREDIT_NOTES });
    await webhook(id, 'LOST').expect(200);
    await h.worker.drain();
    assert.equal(notes().length, 1);
    assert.ok((await row(id))?.creditAttemptAt, 'outcome unknown');
    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await h.worker.drain();
    await bookedOnce(id);
  });

  it("the simulated dashboard's lost chargeback reaches the gateway by its two webhooks and is booked once", async () => {
    const { x } = await paidAndRecorded();
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { disputeCallbackUrl: h.baseUrl + disputeCallbackPathFor(h.merchant.id) });
    await request(h.sims.xenditUrl).post('/dashboard/chargebacks').type('form').send({ invoice_id: x.id }).expect(303);
    await h.worker.drain();
    assert.deepEqual((await disputeJobs()).map((j) => [j.payload.status, j.state]).sort(), [
      ['ACTION_REQUIRED', 'done'],
      ['LOST', 'done'],
    ]);
    const [note, ...more] = notes();
    assert.equal(more.length, 0);
    assert.match(note.reference, /^Xendit chargeback mi-dspt-/);
  });

  describe('found by the scheduled listing: Xendit lists the money a lost dispute took as a CHARGEBACK transaction', () => {
    // The transactions are dated by the simulated Xendit's clock: the test's, after the merchant was added.
    beforeEach(async () => {
      h.sims.xendit.test.useClock(h.clock);
      await addedAtTheTestsStart(h);
    });
    afterEach(() => h.sims.xendit.test.useClock());

    /** A recorded payment, disputed and lost at Xendit with none of its webhooks sent. */
    async function lostWithoutWebhooks() {
      const { x } = await paidAndRecorded();
      h.clock.advance(60_000);
      const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
      h.clock.advance(60_000);
      await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
      h.clock.advance(60_000);
      return id;
    }

    it('a lost dispute none of whose webhooks came (so never watched): the refunds listing finds it and books it once; later runs add nothing', async () => {
      const id = await lostWithoutWebhooks();
      assert.deepEqual(await watched(), [], 'no webhook: the daily look does not know it');
      await list();
      assert.deepEqual(
        (await disputeJobs()).map((j) => [j.payload.xenditDisputeId, j.payload.status]),
        [[id, 'LOST']],
        'the job the LOST webhook would queue',
      );
      await h.worker.drain();
      await bookedOnce(id);
      assert.equal(notes()[0].reference, `Xendit chargeback ${id}`);

      h.clock.advance(30 * 60_000);
      await list();
      await h.worker.drain();
      assert.equal((await disputeJobs()).length, 1);
      await bookedOnce(id);
    });

    it('a chargeback lost before the upgrade that added the listing is left to its webhook or the Dispute Report (it may have been booked by hand)', async () => {
      const id = await lostWithoutWebhooks();
      const floor = await h.stores.listingFloors.since('chargeback');
      assert.ok(floor, 'the migration records the floor');
      // As if this version were installed after the chargeback: its listing must not book it.
      await h.stores.db
        .updateTable('listing_floors')
        .set({ since: new Date(Date.now() + 3_600_000) })
        .where('listing', '=', 'chargeback')
        .execute();
      try {
        await list();
        assert.deepEqual(await disputeJobs(), [], 'not queued by the listing');
        await webhook(id, 'LOST').expect(200, { received: true, duplicate: false });
        await h.worker.drain();
        await bookedOnce(id);
      } finally {
        await h.stores.db.updateTable('listing_floors').set({ since: floor }).where('listing', '=', 'chargeback').execute();
      }
    });

    it('the listing first, its LOST webhook after: one job, booked once', async () => {
      const id = await lostWithoutWebhooks();
      await list();
      await h.worker.drain();
      await bookedOnce(id);
      await webhook(id, 'LOST').expect(200, { received: true, duplicate: true });
      await h.worker.drain();
      assert.equal((await disputeJobs()).length, 1);
      await bookedOnce(id);
    });

    it('the LOST webhook first, the listing after (before and after its job ran): one job, booked once', async () => {
      const id = await lostWithoutWebhooks();
      await webhook(id, 'LOST').expect(200, { received: true, duplicate: false });
      await list(); // its job still queued
      assert.equal((await disputeJobs()).length, 1);
      await h.worker.drain();
      await bookedOnce(id);
      await list();
      await h.worker.drain();
      assert.equal((await disputeJobs()).length, 1);
      await bookedOnce(id);
    });

    it("another integration's chargeback (a payment the gateway never recorded): one job in review saying so, nothing booked; later runs queue nothing more", async () => {
      const outside = h.sims.xendit.createInvoice({ externalId: 'shop-order-9', amount: 80_000, currency: 'IDR', account: h.merchant.xenditSecretKey });
      await h.sims.xendit.pay(outside.id, { sendCallback: false });
      const { id } = await h.sims.xendit.dispute(outside.id, { sendWebhook: false });
      await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
      h.clock.advance(60_000);
      await list();
      await h.worker.drain();
      const [job, ...more] = await disputeJobs();
      assert.equal(more.length, 0);
      assert.equal(job.state, 'needs_review');
      assert.match(job.lastError ?? '', /fits no payment the gateway recorded/);
      h.clock.advance(30 * 60_000);
      await list();
      await h.worker.drain();
      assert.equal((await disputeJobs()).length, 1, 'not queued or run again by each run');
      assert.equal(notes().length, 0);
    });

    it('Xendit refusing types=CHARGEBACK (an API revision without the name): asked for every type, the chargeback is still found and booked once', async () => {
      const id = await lostWithoutWebhooks();
      h.sims.xendit.faults.retiredTypes = ['CHARGEBACK'];
      await list();
      await h.worker.drain();
      await bookedOnce(id);
      await list();
      await h.worker.drain();
      assert.equal((await disputeJobs()).length, 1);
    });

    it('a CHARGEBACK listed while Xendit still reads its dispute open books nothing then; once Xendit reads it lost, the daily look books it once', async () => {
      const { x } = await paidAndRecorded();
      const { id } = await h.sims.xendit.dispute(x.id, { sendWebhook: false });
      h.clock.advance(60_000);
      // The transaction ahead of the dispute it names (nothing documents that both change at once).
      const ahead = {
        id: `txn_${id}`,
        disputeId: id,
        currency: 'IDR' as const,
        amount: 150_000,
        created: h.clock().toISOString(),
        fee: { fee: 0, feeTax: 0, withheld: 0, pending: false },
      };
      const xendit = { ...h.sims.xenditClient, listChargebacks: async () => ({ chargebacks: [ahead], hasMore: false }) };
      await listRefundsJob({ stores: h.stores, xendit, clock: h.clock, logger: pino({ level: 'silent' }) })();
      await h.worker.drain();
      assert.equal(notes().length, 0, 'Xendit reads the dispute open: nothing booked');
      assert.deepEqual(
        (await watched()).map((d) => [d.xenditDisputeId, d.status]),
        [[id, 'ACTION_REQUIRED']],
        'watched by the daily look',
      );
      await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
      h.clock.advance(86_400_000 + 1000);
      await list();
      await h.worker.drain();
      await bookedOnce(id);
      assert.equal((await disputeJobs()).length, 1);
    });

    it('a dispute open or won took nothing: no CHARGEBACK is listed, the listing queues nothing', async () => {
      const { x } = await paidAndRecorded();
      await h.sims.xendit.dispute(x.id, { amount: 10_000, sendWebhook: false });
      const won = await h.sims.xendit.dispute(x.id, { amount: 20_000, sendWebhook: false });
      await h.sims.xendit.resolveDispute(won.id, 'WON', { sendWebhook: false });
      h.clock.advance(60_000);
      await list();
      await h.worker.drain();
      assert.deepEqual(await disputeJobs(), []);
      assert.equal(notes().length, 0);
    });
  });

  it('refuses a dispute webhook with a wrong token (401) or without an id (400), writing nothing', async () => {
    const before = (await h.stores.jobs.list()).length;
    await webhook('mi-dspt-x', 'LOST', 'wrong').expect(401);
    await request(h.app)
      .post(disputeCallbackPathFor(h.merchant.id))
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ event: 'dispute.lost' })
      .expect(400);
    assert.equal((await h.stores.jobs.list()).length, before);
  });
});
