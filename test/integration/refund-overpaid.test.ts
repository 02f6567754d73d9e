import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import request from 'supertest';
import { createHarness, REFUNDABLE, paidCallback, paidThroughGateway, refundWebhook, type Harness } from '../helpers/harness.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { page, seedAdminCast, signedIn } from '../helpers/admin.js';
import { adminPaymentPath, disputeCallbackPathFor } from '../../app/paths.js';

/**
 * A payment the gateway booked partly as a Xero overpayment (the customer paid 150 000 at Xendit
 * after 50 000 of the invoice was paid in cash) and then refunded at Xendit: what was paid beyond
 * the invoice goes back on the overpayment (a refund payment of it, AROVERPAYMENTPAYMENT), not on a
 * credit note against sales; only the rest takes a credit note. Found by webhook or listing, once.
 */
describeEachDatabase('refunds of an overpaid payment: the Xero overpayment is refunded first', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { overpayments: true }, h.clock());
  });
  afterEach(() => h.close());

  const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
  const refundsOut = (type: string) => h.sims.xero.test.refundPayments(h.tenantId).filter((p) => p.paymentType === type);
  /** What the refunds took off the overpayment and what they put on credit notes, in hundredths. */
  const assertSplit = (want: { onOverpayment: bigint[]; creditNotes: bigint[] }) =>
    assert.deepEqual({ onOverpayment: refundsOut('AROVERPAYMENTPAYMENT').map((p) => p.amount), creditNotes: notes().map((n) => n.total) }, want);
  /** The overpayment of the payment's bank transaction, as Xero holds it. */
  const overpaymentOf = async (payment: { xeroOverpaymentTxnId: string | null }) => {
    const t = h.sims.xero.bankTransactionsOf(h.tenantId).find((b) => b.bankTransactionId === payment.xeroOverpaymentTxnId)!;
    return (await h.sims.xeroClient.getOverpayment(h.merchant.xero, t.overpaymentId!))!;
  };
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const report = async () =>
    reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, (await h.stores.merchants.byId(h.merchant.id))!, {
      from: day(-1),
      to: day(1),
    });
  const list = () => listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();

  /** 150 000 paid at Xendit for an invoice of which only 100 000 was still due: 50 000 overpaid. */
  async function overpaid() {
    const paid = await paidThroughGateway(h, {
      paidBy: REFUNDABLE,
      afterCheckout: (inv) => {
        const other = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account');
        h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '50000', other.accountId, 'Cash');
      },
    });
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, paid.x.id))!;
    assert.equal(payment.syncState, 'recorded');
    assert.equal(payment.overpaid, 50000);
    return { ...paid, payment };
  }

  it('a refund of what was paid beyond the invoice is paid out of the overpayment: no credit note, the overpayment spent, the report reconciled', async () => {
    const { x, payment } = await overpaid();
    const before = h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId);
    const { id } = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain();

    assert.equal(notes().length, 0, 'nothing taken off sales');
    const [out, ...more] = refundsOut('AROVERPAYMENTPAYMENT');
    assert.equal(more.length, 0);
    assert.equal(out.amount, 5000000n);
    assert.equal(out.accountId, h.clearingAccountId);
    assert.equal(out.reference, `Xendit refund ${id}`);
    assert.equal(out.reconciled, true);
    const over = await overpaymentOf(payment);
    assert.equal(out.documentId, over.overpaymentId);
    assert.equal(payment.xeroOverpaymentId, over.overpaymentId, 'kept from the create answer');
    assert.notEqual(over.overpaymentId, payment.xeroOverpaymentTxnId, "the overpayment's own id, not its bank transaction's");
    assert.equal(over.remainingCredit, '0');
    assert.equal(over.status, 'PAID');
    assert.equal(h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId), before - 5000000n);
    const row = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(row?.state, 'recorded');
    assert.equal(row?.overpaymentPart, 50000);
    assert.equal(row?.xeroOverpaymentRefundId, out.paymentId);
    assert.equal(row?.xeroCreditNoteId, null);

    const r = await report();
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
    const [refunded] = r.rows.filter((x) => x.note.includes(id));
    assert.equal(refunded.status, 'refunded');
    assert.equal(refunded.xeroPayment, '-50000.00');

    // The payment's page says where the refund went, though it has no credit note.
    await seedAdminCast(h, db());
    const { $ } = await page(await signedIn(h.app, 'a@toko.test'), adminPaymentPath(payment.id));
    const line = $('li.refund').text().replace(/\s+/g, ' ');
    assert.match(line, new RegExp(`${id}.*paid back on the Xero overpayment`));
    assert.doesNotMatch(line, /credit note/);
  });

  it('a payment booked before the OverpaymentID was kept (only its bank transaction, as the migration leaves it): the overpayment is found by its line, refunded, and its id kept', async () => {
    const { x, payment } = await overpaid();
    const over = await overpaymentOf(payment);
    await h.stores.db.updateTable('payments').set({ xero_overpayment_id: null }).where('id', '=', payment.id).execute();
    const { id } = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain();

    assertSplit({ onOverpayment: [5000000n], creditNotes: [] });
    assert.equal(refundsOut('AROVERPAYMENTPAYMENT')[0].documentId, over.overpaymentId);
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded');
    assert.equal((await h.stores.payments.byId(payment.id))?.xeroOverpaymentId, over.overpaymentId, 'kept once found');
  });

  it('a refund in full found by the listing: 50 000 on the overpayment, 100 000 on a credit note; the report counts both parts as one refund', async () => {
    const { x } = await overpaid();
    const { id } = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    await list();
    await h.worker.drain();

    assert.deepEqual(
      refundsOut('AROVERPAYMENTPAYMENT').map((p) => p.amount),
      [5000000n],
    );
    const [note, ...moreNotes] = notes();
    assert.equal(moreNotes.length, 0);
    assert.equal(note.total, 10000000n, 'the sale itself');
    assert.deepEqual(
      refundsOut('ARCREDITPAYMENT').map((p) => [p.amount, p.documentId]),
      [[10000000n, note.creditNoteId]],
    );
    const r = await report();
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
    const rows = r.rows.filter((x) => x.note.includes(id));
    assert.deepEqual(
      rows.map((x) => [x.status, x.xenditAmount, x.xeroPayment]),
      [['refunded', '-150000.00', '-150000.00']],
    );
  });

  it('the clearing account archived in Xero meanwhile: Xero refuses the refund out of it, and the refund waits for review with its reason, nothing booked', async () => {
    const { x } = await overpaid();
    h.sims.xero.test.archiveAccount(h.tenantId, h.clearingAccountId); // archived by the merchant in Xero
    const { id } = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain();
    const row = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(row?.state, 'needs_review');
    assert.match(row?.lastError ?? '', /has been archived/);
    assertSplit({ onOverpayment: [], creditNotes: [] });
  });

  it('credit the merchant allocated elsewhere in Xero is not refunded again: the overpayment gives what it holds, a credit note the rest', async () => {
    const { x, payment } = await overpaid();
    const over = await overpaymentOf(payment);
    await h.sims.xero.test.allocateOverpayment(h.tenantId, over.overpaymentId, 3000000n, h.addInvoice({}).invoiceId); // another invoice of the customer
    const { id } = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain();

    assertSplit({ onOverpayment: [2000000n], creditNotes: [3000000n] });
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded');
    assert.equal((await report()).reconciled, true);
  });

  it('two partial refunds: the first takes from the overpayment, the second what is left of it and the rest on a credit note', async () => {
    const { x } = await overpaid();
    const first = await h.sims.xendit.refund(x.id, { amount: 30_000, sendWebhook: false });
    await refundWebhook(h, first.id).expect(200);
    await h.worker.drain();
    const second = await h.sims.xendit.refund(x.id, { amount: 30_000, sendWebhook: false });
    await refundWebhook(h, second.id).expect(200);
    await h.worker.drain();

    assert.deepEqual(
      refundsOut('AROVERPAYMENTPAYMENT').map((p) => [p.reference, p.amount]),
      [
        [`Xendit refund ${first.id}`, 3000000n],
        [`Xendit refund ${second.id}`, 2000000n],
      ],
    );
    assert.deepEqual(
      notes().map((n) => [n.reference, n.total]),
      [[`Xendit refund ${second.id}`, 1000000n]],
    );
    assert.equal((await report()).reconciled, true);
  });

  it('a lost answer to the overpayment refund: the retry finds it by Reference, pays out once, and keeps the split it decided', async () => {
    const { x, payment } = await overpaid();
    const { id } = await h.sims.xendit.refund(x.id, { amount: 60_000, sendWebhook: false });
    h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/Payments' });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain();
    assert.equal(refundsOut('AROVERPAYMENTPAYMENT').length, 1, 'Xero saved it');
    const marked = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.ok(marked?.overpaymentRefundAttemptAt, 'outcome unknown');
    assert.equal(marked?.overpaymentPart, 50000);
    assert.equal(notes().length, 0, 'nothing further sent before the outcome is known');

    // Meanwhile the overpayment reads as spent: a split decided again would send it all to a credit note.
    assert.equal((await overpaymentOf(payment)).remainingCredit, '0');
    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await h.worker.drain();
    assert.equal(refundsOut('AROVERPAYMENTPAYMENT').length, 1, 'found, not paid out again');
    assert.deepEqual(
      notes().map((n) => n.total),
      [1000000n],
    );
    assert.equal(refundsOut('ARCREDITPAYMENT').length, 1);
    const row = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(row?.state, 'recorded');
    assert.equal(row?.xeroOverpaymentRefundId, refundsOut('AROVERPAYMENTPAYMENT')[0].paymentId);
    assert.equal((await report()).reconciled, true);
  });

  const PAYMENTS = '/api.xro/2.0/Payments';
  /** A refund of 50 000 a person books in Xero under the Reference the gateway would use. */
  const byHand = (refundId: string) => ({
    accountId: h.clearingAccountId,
    date: new Date().toISOString().slice(0, 10),
    amount: '50000',
    reference: `Xendit refund ${refundId}`,
  });
  const job = async (refundId: string) => (await h.stores.jobs.list()).find((j) => j.kind === 'record-refund' && j.payload.xenditRefundId === refundId)!;

  it('a job that waited for its payment, the overpayment refunded by hand meanwhile (same Reference), takes that as the split: nothing refunded twice', async () => {
    // Paid beyond the invoice at Xendit, its PAID callback late: the refund's webhook comes first.
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '50000', h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account').accountId, 'Cash');
    const x = h.sims.xendit.listInvoices().at(-1)!;
    await h.sims.xendit.pay(x.id, { sendCallback: false, ...REFUNDABLE });
    const { id } = await h.sims.xendit.refund(x.id, { amount: 60_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain(); // the payment is not recorded yet: the job waits
    await paidCallback(h, x);
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    assert.equal(payment.overpaid, 50000);
    // The accountant, told by the report, pays the overpayment back by hand under the refund's Reference.
    const over = await overpaymentOf(payment);
    await h.sims.xeroClient.createOverpaymentRefund(h.merchant.xero, { overpaymentId: over.overpaymentId, ...byHand(id) }, 'by-hand');
    await list();
    h.clock.advance(3600_000); // the job's next attempt
    await h.worker.drain();

    assert.equal(refundsOut('AROVERPAYMENTPAYMENT').length, 1, 'the one made by hand');
    assert.deepEqual(
      notes().map((n) => n.total),
      [1000000n],
      'only the rest on a credit note',
    );
    const row = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(row?.state, 'recorded');
    assert.equal(row?.overpaymentPart, 50000);
    assert.equal((await report()).reconciled, true);
  });

  it('credit allocated while the refund was on its way: Xero refuses, and the Retry decides the split again on what the overpayment then holds', async () => {
    const { x, payment } = await overpaid();
    const over = await overpaymentOf(payment);
    const { id } = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    const gate = h.sims.xero.faults.gate({ path: PAYMENTS, method: 'POST' }); // xero-node's createPayment POSTs
    const draining = h.worker.drain();
    await gate.untilParked(1);
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.overpaymentPart, 50000, 'decided');
    await h.sims.xero.test.allocateOverpayment(h.tenantId, over.overpaymentId, 3000000n, h.addInvoice({}).invoiceId);
    gate.open();
    await draining;
    const refused = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(refused?.state, 'needs_review');
    assert.match(refused?.lastError ?? '', /exceeds the amount outstanding/);
    assert.equal(refused?.overpaymentPart, null, 'nothing was made: the split is open again');
    assert.equal(refundsOut('AROVERPAYMENTPAYMENT').length, 0);

    assert.ok(await h.stores.jobs.replay((await job(id)).id, h.clock())); // what Retry does
    await h.worker.drain();
    assertSplit({ onOverpayment: [2000000n], creditNotes: [3000000n] });
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded');
  });

  it('two refunds of the payment booked at the same moment share the overpayment, never claiming the same credit twice', async () => {
    const { x } = await overpaid();
    const a = await h.sims.xendit.refund(x.id, { amount: 30_000, sendWebhook: false });
    const b = await h.sims.xendit.refund(x.id, { amount: 30_000, sendWebhook: false });
    await refundWebhook(h, a.id).expect(200);
    await refundWebhook(h, b.id).expect(200);
    // Both jobs read the overpayment (50 000 left) before either decides.
    const gate = h.sims.xero.faults.gate({ path: '/api.xro/2.0/Overpayments/', method: 'GET' });
    const both = Promise.all([h.worker.runOnce(), h.worker.runOnce()]);
    await gate.untilParked(2);
    gate.open();
    await both;
    h.clock.advance(120_000); // one may have waited for the other's answer
    await h.worker.drain();

    assert.deepEqual(
      refundsOut('AROVERPAYMENTPAYMENT')
        .map((p) => p.amount)
        .sort(),
      [2000000n, 3000000n],
    );
    assert.deepEqual(
      notes().map((n) => n.total),
      [1000000n],
    );
    for (const r of [a, b]) assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, r.id))?.state, 'recorded');
    assert.equal((await report()).reconciled, true);
  });

  it('an overpayment voided in Xero: the refund waits for a person, who books it by hand; the Retry then finds it and books nothing more', async () => {
    const { x, payment } = await overpaid();
    h.sims.xero.test.voidOverpayment(h.tenantId, (await overpaymentOf(payment)).overpaymentId);
    const { id } = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain();
    const row = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(row?.state, 'needs_review');
    assert.match(row?.lastError ?? '', new RegExp(`was voided in Xero: book the refund in Xero by hand with Reference "Xendit refund ${id}"`));
    assert.equal(notes().length + h.sims.xero.test.refundPayments(h.tenantId).length, 0, 'nothing guessed');

    // The accountant books it as a credit note and its cash refund, under the Reference named.
    const contactId = (await h.sims.xeroClient.getInvoice(h.merchant.xero, payment.xeroInvoiceId))!.contactId!;
    const note = await h.sims.xeroClient.createCreditNote(
      h.merchant.xero,
      {
        contactId,
        date: new Date().toISOString().slice(0, 10),
        reference: `Xendit refund ${id}`,
        currencyCode: 'IDR',
        lineAmountTypes: 'NoTax',
        lineItems: [{ description: 'by hand', accountCode: '200', amount: '50000' }],
      },
      'by-hand-note',
    );
    await h.sims.xeroClient.createCreditNoteRefund(h.merchant.xero, { creditNoteId: note.creditNoteId, ...byHand(id) }, 'by-hand-cash');
    assert.ok(await h.stores.jobs.replay((await job(id)).id, h.clock()));
    await h.worker.drain();
    assert.equal(notes().length, 1);
    assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, 1);
    const done = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(done?.state, 'recorded');
    assert.equal(done?.overpaymentPart, 0);
    assert.equal(done?.xeroCreditNoteId, note.creditNoteId);
  });

  it('a chargeback of an overpayment voided in Xero: in review naming its Reference; booked there by hand, the Retry finds it and books nothing more', async () => {
    const { x, payment } = await overpaid();
    h.sims.xero.test.voidOverpayment(h.tenantId, (await overpaymentOf(payment)).overpaymentId);
    const { id } = await h.sims.xendit.dispute(x.id, { amount: 50_000, sendWebhook: false });
    await h.sims.xendit.resolveDispute(id, 'LOST', { sendWebhook: false });
    await request(h.app)
      .post(disputeCallbackPathFor(h.merchant.id))
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ event: 'dispute.lost', id, status: 'LOST' })
      .expect(200);
    await h.worker.drain();
    const reference = `Xendit chargeback ${id}`;
    const row = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(row?.state, 'needs_review');
    assert.match(row?.lastError ?? '', new RegExp(`book the refund in Xero by hand with Reference "${reference}"`));

    const contactId = (await h.sims.xeroClient.getInvoice(h.merchant.xero, payment.xeroInvoiceId))!.contactId!;
    const note = await h.sims.xeroClient.createCreditNote(
      h.merchant.xero,
      {
        contactId,
        date: new Date().toISOString().slice(0, 10),
        reference,
        currencyCode: 'IDR',
        lineAmountTypes: 'NoTax',
        lineItems: [{ description: 'by hand', accountCode: '200', amount: '50000' }],
      },
      'by-hand-chargeback-note',
    );
    await h.sims.xeroClient.createCreditNoteRefund(h.merchant.xero, { creditNoteId: note.creditNoteId, ...byHand(id), reference }, 'by-hand-chargeback-cash');
    const dispute = (await h.stores.jobs.list()).find((j) => j.kind === 'record-dispute' && j.payload.xenditDisputeId === id)!;
    assert.ok(await h.stores.jobs.replay(dispute.id, h.clock())); // what Retry does
    await h.worker.drain();
    assert.equal(notes().length, 1, 'no second credit note');
    assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, 1, 'no second cash refund');
    const done = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(done?.state, 'recorded');
    assert.equal(done?.xeroCreditNoteId, note.creditNoteId);
  });

  it("a lock date set between a refund's two parts dates them apart: each period's report reconciles, the refund counted whole with its first part", async () => {
    const { x } = await overpaid();
    const { id } = await h.sims.xendit.refund(x.id, { amount: 60_000, sendWebhook: false });
    await refundWebhook(h, id).expect(200);
    // The accountant locks the day between the refund on the overpayment and the credit note.
    const gate = h.sims.xero.faults.gate({ path: '/api.xro/2.0/CreditNotes' });
    const draining = h.worker.drain();
    await gate.untilParked(1);
    const [onOverpayment] = refundsOut('AROVERPAYMENTPAYMENT');
    const day = onOverpayment.date;
    h.sims.xero.test.setLockDates(h.tenantId, { period: day });
    gate.open();
    await draining;
    h.clock.advance(5_000);
    await h.worker.drain();
    const [cash] = refundsOut('ARCREDITPAYMENT');
    assert.ok(cash.date > day, 'the credit note and its refund dated after the lock');
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded');

    const next = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
    const reportOf = async (from: string, to: string) =>
      reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, (await h.stores.merchants.byId(h.merchant.id))!, { from, to });
    const locked = await reportOf(next(day, -1), day);
    const [whole] = locked.rows.filter((r) => r.note.includes(id));
    assert.deepEqual([whole.status, whole.xenditAmount, whole.xeroPayment], ['refunded', '-60000.00', '-60000.00']);
    assert.equal(locked.reconciled, true, JSON.stringify(locked.rows));

    const after = await reportOf(next(day, 1), next(day, 2));
    const [rest] = after.rows.filter((r) => r.note.includes(id));
    assert.deepEqual([rest.status, rest.xeroPayment], ['xendit_only', '-10000.00']);
    assert.match(rest.note, new RegExp(`counted with its first part on ${day}`));
    assert.equal(after.reconciled, true, JSON.stringify(after.rows));
  });
});
