import { strict as assert } from 'node:assert';
import * as cheerio from 'cheerio';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, REFUNDABLE, paidThroughGateway, refundWebhook, type Harness } from '../helpers/harness.js';
import { page, seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminMerchantPath } from '../../app/paths.js';
import { dateIn } from '../../app/jobs/sync/org-date.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';
import { listWithdrawalsJob } from '../../app/jobs/sync/list-withdrawals.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { pino } from 'pino';

/**
 * Xero refuses documents dated on or before the organisation's lock date ("The document date
 * cannot be before the period lock date, currently set at …"). What happened in a locked month is
 * booked on the first open day, once: known lock dates up front, a lock set since it was last
 * read found from Xero's refusal.
 */
describeEachDatabase('Xero lock dates: entries of a closed period on the first open day', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const org = () => h.sims.xero.test.organisation(h.tenantId);
  // Xendit's simulated payments and refunds carry the real time: the organisation's (Jakarta) day.
  const day = (offset = 0) => dateIn(new Date(Date.now() + offset * 86_400_000), 'Asia/Jakarta');

  // The merchant as stored now (its time zone read by the first job): the report reads no organisation.
  const reportOf = async (from: string, to: string) =>
    reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, (await h.stores.merchants.byId(h.merchant.id))!, { from, to });

  /** Retries come a second after a refusal: let the clock and the worker run them. */
  async function settle() {
    for (let i = 0; i < 5; i++) {
      h.clock.advance(5_000);
      await h.worker.drain();
    }
  }

  it('a lock date already set when the organisation is first read: the payment and its fee are dated the first open day, with no refusal', async () => {
    // The accountant has closed up to today (the end-of-year lock later than the period lock).
    h.sims.xero.test.setLockDates(h.tenantId, { period: day(-5), endOfYear: day() });
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
    const [payment] = [...org().payments.values()];
    assert.equal(payment.date, day(1), 'the later of the two lock dates, plus a day');
    const fees = [...org().bankTransactions.values()];
    assert.equal(fees.length, 1);
    assert.equal(fees[0].date, day(1), 'the fee too');
    // Its day's report shows it uncounted; the next day's counts it on both sides.
    const today = await reportOf(day(), day());
    assert.equal(today.rows.find((r) => r.xenditInvoiceId === x.id)?.status, 'xendit_only', JSON.stringify(today.rows));
    assert.equal(today.reconciled, true, JSON.stringify(today.rows));
    const tomorrow = await reportOf(day(1), day(1));
    assert.equal(tomorrow.rows.find((r) => r.xenditInvoiceId === x.id)?.status, 'matched', JSON.stringify(tomorrow.rows));
    assert.equal(tomorrow.reconciled, true, JSON.stringify(tomorrow.rows));
    assert.equal(h.sims.xero.test.requests({ method: 'GET', pathPrefix: '/api.xro/2.0/Organisation' }).length, 1, 'read once, with the time zone');

    // The accountant opens the period again: followed once the lock date is a day old.
    h.sims.xero.test.setLockDates(h.tenantId, {});
    h.clock.advance(25 * 3600_000);
    const { x: later } = await paidThroughGateway(h);
    await h.worker.drain();
    const again = await h.stores.payments.byXenditInvoice(h.merchant.id, later.id);
    assert.equal([...org().payments.values()].find((p) => p.paymentId === again?.xeroPaymentId)?.date, day(), 'dated its own day again');
    assert.equal(h.sims.xero.test.requests({ method: 'GET', pathPrefix: '/api.xro/2.0/Organisation' }).length, 2, 'read again after a day');
  });

  it('a lock set after the organisation was read: Xero refuses the refund, the gateway reads the lock date and books it the next day, one credit note and one cash refund', async () => {
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    h.sims.xero.test.setLockDates(h.tenantId, { period: day() });
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    await settle();
    const notes = h.sims.xero.test.creditNotes(h.tenantId);
    const cash = h.sims.xero.test.refundPayments(h.tenantId);
    assert.deepEqual(
      notes.map((n) => n.date),
      [day(1)],
    );
    assert.deepEqual(
      cash.map((c) => c.date),
      [day(1)],
    );
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded');
    assert.equal((await h.stores.merchants.byId(h.merchant.id))?.xeroLockDate, day());
    assert.equal(h.sims.xero.test.requests({ method: 'PUT', pathPrefix: '/api.xro/2.0/CreditNotes' }).length, 2, 'refused once, then booked once');
    const today = await reportOf(day(), day());
    assert.equal(today.rows.find((r) => r.note.includes(id))?.status, 'xendit_only', JSON.stringify(today.rows));
    assert.equal(today.reconciled, true, JSON.stringify(today.rows));
    const tomorrow = await reportOf(day(1), day(1));
    assert.equal(tomorrow.rows.find((r) => r.note.includes(id))?.status, 'refunded', JSON.stringify(tomorrow.rows));
    assert.equal(tomorrow.reconciled, true, JSON.stringify(tomorrow.rows));
    assert.equal((await reportOf(day(), day(1))).reconciled, true);
  });

  it('a lock set after the organisation was read, then a payment: refused once, the lock date read, the payment and its fee booked the next day', async () => {
    await paidThroughGateway(h);
    await h.worker.drain();
    h.sims.xero.test.setLockDates(h.tenantId, { endOfYear: day() });
    const { x } = await paidThroughGateway(h);
    await settle();
    const recorded = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
    assert.equal(recorded?.syncState, 'recorded', recorded?.lastError ?? '');
    const second = [...org().payments.values()].find((p) => p.paymentId === recorded?.xeroPaymentId);
    assert.equal(second?.date, day(1));
    assert.equal([...org().payments.values()].length, 2, 'one Xero payment each');
  });

  it('a lock set after the organisation was read, then several payments recorded side by side: every one is dated after it, none left for review', async () => {
    await paidThroughGateway(h);
    await h.worker.drain();
    h.sims.xero.test.setLockDates(h.tenantId, { period: day() });
    const paid = [await paidThroughGateway(h), await paidThroughGateway(h), await paidThroughGateway(h)];
    await settle();
    for (const { x } of paid) {
      const p = await h.stores.payments.byXenditInvoice(h.merchant.id, x.id);
      assert.equal(p?.syncState, 'recorded', p?.lastError ?? '');
    }
    const dates = [...org().payments.values()].map((p) => p.date).sort();
    assert.deepEqual(dates, [day(), day(1), day(1), day(1)]);
    assert.equal((await h.stores.jobs.list({ state: 'needs_review' })).length, 0);
  });

  it("a withdrawal of a day locked since: its transfer is booked the next day, once; each day's report reconciles, the locked day showing it uncounted", async () => {
    const savings = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId;
    await h.stores.settlements.saveAndResume(h.merchant.id, { IDR: savings }, (w) => JOB_SPECS['record-withdrawal'].dedupeKey(w), h.clock());
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    await h.sims.xendit.settle(x.id);
    await h.worker.drain();
    const w = h.sims.xendit.test.withdraw(h.merchant.xenditSecretKey, 'IDR', 100_000);
    h.sims.xero.test.setLockDates(h.tenantId, { period: day() });
    await listWithdrawalsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await settle();
    const transfers = h.sims.xero.test.bankTransfers(h.tenantId);
    assert.deepEqual(
      transfers.map((t) => [t.reference, t.date]),
      [[`Xendit withdrawal ${w.id}`, day(1)]],
    );
    const report = reportOf;
    const locked = await report(day(), day());
    const left = locked.rows.find((r) => r.note.includes(w.id));
    assert.equal(left?.status, 'xendit_only', JSON.stringify(locked.rows));
    assert.equal(locked.reconciled, true, JSON.stringify(locked.rows));
    const open = await report(day(1), day(1));
    const booked = open.rows.find((r) => r.note.includes(w.id));
    assert.equal(booked?.status, 'transferred', JSON.stringify(open.rows));
    assert.equal(booked?.xenditAmount, booked?.xeroPayment);
    assert.equal(open.reconciled, true, JSON.stringify(open.rows));
    const both = await report(day(), day(1));
    assert.equal(both.rows.find((r) => r.note.includes(w.id))?.status, 'transferred');
    assert.equal(both.reconciled, true, JSON.stringify(both.rows));
  });

  it("a month's Xendit fee bill uploaded after the accountant locked that month: booked once, dated the first day after the lock, due no earlier", async () => {
    await seedAdminCast(h, db());
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { xenditFeeBilling: 'invoiced' }, new Date('2026-01-01T00:00:00Z'));
    h.sims.xero.test.setLockDates(h.tenantId, { period: '2026-11-05' });
    const agent = await signedIn(h.app, 'a@toko.test');
    const pagePath = adminMerchantPath(h.merchant.id, 'adminMerchantFeeBills');
    const report = 'billed_at,net_currency,fees_paid_amount,vat_paid_amount\n2026-10-03 10:00:00,IDR,4500,495\n';
    const { csrf } = await page(agent, pagePath);
    const preview = cheerio.load(
      (await agent.post(adminMerchantPath(h.merchant.id, 'adminMerchantFeeBillsPreview')).type('form').send({ _csrf: csrf(), report }).expect(200)).text,
    );
    const form = preview('#fee-book');
    await agent
      .post(form.attr('action')!)
      .type('form')
      .send({ _csrf: String(form.find('input[name=_csrf]').val()), mode: 'report', report: form.find('textarea[name=report]').text() })
      .expect(303);
    await settle();
    const bill = h.sims.xero.findInvoice('Xendit fees 2026-10 IDR', h.tenantId);
    assert.equal(bill?.date, '2026-11-06', 'October is locked: the first open day');
    assert.equal(bill?.dueDate, '2026-11-30', 'due a month after October as before');
    assert.equal(bill?.total, 499500n);
    const refusedThenAccepted = h.sims.xero.test.requests({ method: 'PUT', pathPrefix: '/api.xro/2.0/Invoices' }).length;
    assert.equal(refusedThenAccepted, 2, 'refused once for the lock date, then booked once');
    assert.equal((await h.stores.feeBills.forMerchant(h.merchant.id))[0]?.state, 'recorded');
  });
});
