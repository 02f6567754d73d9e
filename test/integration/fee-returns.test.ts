import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, REFUNDABLE, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { refundCallbackPathFor } from '../../app/paths.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { housekeepingJob } from '../../app/jobs/sync/housekeeping.js';
import { reconciliationReport } from '../../app/report/reconcile.js';
import { adminPaymentPath } from '../../app/paths.js';
import { addUser, clearAdminTables, page, signedIn } from '../helpers/admin.js';

/**
 * Issue 16 §2: the fee Xendit gives back with a refund is reversed in Xero, once, on the webhook
 * path and the scheduled listing alike; a refund that gives nothing back books nothing more.
 */
describeEachDatabase('fees Xendit gives back with a refund', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const webhook = (refundId: string) =>
    request(h.app)
      .post(refundCallbackPathFor(h.merchant.id))
      .set('x-callback-token', h.merchant.callbackToken)
      .send({ event: 'refund.succeeded', business_id: 'b', created: new Date().toISOString(), data: { id: refundId, status: 'SUCCEEDED', amount: 1 } });
  const returns = () => h.sims.xero.bankTransactionsOf(h.tenantId).filter((t) => t.reference.startsWith('Xendit fee returned'));
  const clearing = () => h.sims.xero.balanceOf(h.tenantId, h.clearingAccountId);
  const xendit = () => BigInt(h.sims.xendit.test.balance(h.merchant.xenditSecretKey, 'IDR') * 100);
  const list = () => listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const report = async () =>
    reconciliationReport({ xero: h.sims.xeroClient, xendit: h.sims.xenditClient }, (await h.stores.merchants.byId(h.merchant.id))!, {
      from: day(-1),
      to: day(1),
    });

  /** A VOIDED transaction counts only when it names the invoice (clients/xendit/transactions.ts): these do. */
  const voidable = (x: { id: string }) => void Object.assign(h.sims.xendit.getInvoice(x.id)!, { feeTax: 479, transactionNamesInvoice: true });

  /** Paid with a fee and VAT on it, recorded, fee posted and settled: both balances equal. */
  async function settledPayment() {
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE, beforeCallback: (x) => void (h.sims.xendit.getInvoice(x.id)!.feeTax = 479) });
    await h.sims.xendit.settle(paid.x.id);
    await h.worker.drain();
    const payment = await h.stores.payments.byXenditInvoice(h.merchant.id, paid.x.id);
    assert.equal(payment?.feeState, 'posted');
    assert.equal(clearing(), xendit());
    return { ...paid, payment: payment! };
  }

  it('a part refund that gives nothing back books no fee; the refund of the rest that gives the fee back brings fee and VAT back once, and the report reconciles', async () => {
    const { x, payment } = await settledPayment();
    const first = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    await webhook(first.id).expect(200);
    await h.worker.drain();
    assert.equal(returns().length, 0, 'Xendit kept the fee');
    assert.equal(clearing(), xendit());

    const rest = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
    await webhook(rest.id).expect(200);
    await h.worker.drain();
    const [back, ...more] = returns();
    assert.equal(more.length, 0);
    assert.equal(back.reference, `Xendit fee returned ${x.id}`);
    assert.equal(back.type, 'RECEIVE');
    assert.equal(back.accountId, h.clearingAccountId);
    assert.equal(back.reconciled, true);
    assert.deepEqual(
      back.lineItems.map((l) => [l.accountCode, l.lineAmount]),
      [
        ['404', BigInt(payment.fee!) * 100n],
        ['404', 47900n],
      ],
      'the fee and its VAT as they were posted',
    );
    assert.equal(clearing(), xendit(), 'the clearing account follows the balance');
    assert.equal(clearing(), 0n, 'everything paid went back');
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, rest.id))?.state, 'recorded');

    const r = await report();
    const row = r.rows.find((x) => x.status === 'fee_returned');
    assert.ok(row, JSON.stringify(r.rows));
    assert.equal(row.xenditFee, row.xeroFee);
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
    assert.equal(r.totals.IDR.difference, '0.00');

    // The payment's page in the admin shows it on the timeline, after the refunds.
    await clearAdminTables(h.stores.db);
    await addUser(h.stores, 'a@toko.test', h.merchant.id, h.clock());
    const { $ } = await page(await signedIn(h.app, 'a@toko.test'), adminPaymentPath(payment.id));
    const timeline = $('li.refund')
      .map((_, li) => $(li).text().replace(/\s+/g, ' ').trim())
      .get();
    assert.equal(timeline.length, 3, timeline.join(' | '));
    assert.match(timeline[2], new RegExp(`Xendit gave its fee back: .* into the clearing account \\(${back.bankTransactionId}\\)`));

    // Redelivered webhooks and the scheduled listing add nothing.
    await webhook(rest.id).expect(200, { received: true, duplicate: true });
    await list();
    await h.worker.drain();
    assert.equal(returns().length, 1);
  });

  it('a payment voided before it settled (VOIDED at Xendit, fee.status unchanged): fee and VAT come back once; the report flags it until then and reconciles after', async () => {
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE, beforeCallback: voidable });
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    assert.equal(payment.feeState, 'posted', 'not settled yet: fee posted all the same');
    const { id } = await h.sims.xendit.refund(x.id, { void: true, sendWebhook: false });

    const before = await report();
    const flagged = before.rows.filter((r) => r.xenditInvoiceId === x.id && r.status === 'missing_in_xero' && /gave the fee back/.test(r.note));
    assert.equal(flagged.length, 1, JSON.stringify(before.rows));

    await webhook(id).expect(200);
    await h.worker.drain();
    const [back, ...more] = returns();
    assert.equal(more.length, 0);
    assert.equal(back.reference, `Xendit fee returned ${x.id}`);
    assert.deepEqual(
      back.lineItems.map((l) => [l.accountCode, l.lineAmount]),
      [
        ['404', BigInt(payment.fee!) * 100n],
        ['404', 47900n],
      ],
    );
    assert.equal(xendit(), 0n, 'nothing of it ever reached the balance');
    assert.equal(h.sims.xendit.test.pendingSettlement(h.merchant.xenditSecretKey, 'IDR'), 0, 'and nothing is on its way');
    assert.equal(clearing(), 0n, 'paid, less the fee, less the refund, plus the fee back');
    const after = await report();
    assert.equal(after.rows.filter((r) => r.status === 'fee_returned').length, 1, JSON.stringify(after.rows));
    assert.equal(after.reconciled, true, JSON.stringify(after.rows));
  });

  it('a voided transaction that shows no fee figures (not documented either way): the fee and VAT posted come back', async () => {
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE, beforeCallback: voidable });
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    const { id } = await h.sims.xendit.refund(x.id, { void: true, sendWebhook: false });
    Object.assign(h.sims.xendit.getInvoice(x.id)!, { feesPaidAmount: 0, feeTax: 0 });
    // The report expects what the job will book: the fee and VAT posted.
    const posted = `-${payment.fee! + 479}.00`;
    const before = (await report()).rows.filter((r) => r.xenditInvoiceId === x.id && r.status === 'missing_in_xero' && /gave the fee back/.test(r.note));
    assert.deepEqual(
      before.map((r) => r.xenditFee),
      [posted],
      'flagged as not booked yet',
    );
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.deepEqual(
      returns().map((t) => t.lineItems.map((l) => l.lineAmount)),
      [[BigInt(payment.fee!) * 100n, 47900n]],
    );
    assert.equal(clearing(), 0n);
    const after = await report();
    assert.deepEqual(
      after.rows
        .filter((r) => r.xenditInvoiceId === x.id && /fee/.test(r.note) && r.xeroFee !== null && r.xenditAmount === null)
        .map((r) => [r.status, r.xenditFee]),
      [['fee_returned', posted]],
      JSON.stringify(after.rows),
    );
  });

  it('found by the scheduled listing when no webhook came: the same single entry', async () => {
    const { x } = await settledPayment();
    await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
    await list();
    await h.worker.drain();
    assert.equal(returns().length, 1);
    assert.equal(clearing(), xendit());
    await list();
    await h.worker.drain();
    assert.equal(returns().length, 1);
  });

  it("two refunds' jobs over one payment, one stalled past Xero's idempotency window between its read and its mark while the other books: one entry", async () => {
    const { x } = await settledPayment();
    const part = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    const rest = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
    await webhook(part.id).expect(200);
    await webhook(rest.id).expect(200);
    // Each refund has its own return-fee job (another claim): the first to mark stalls, the other runs meanwhile.
    const fr = h.stores.feeReturns;
    const noteAttempt = fr.noteAttempt.bind(fr);
    let stalled = false;
    fr.noteAttempt = async (...args) => {
      if (!stalled && args[2] !== null) {
        stalled = true;
        await h.worker.drain();
        assert.equal(returns().length, 1, 'booked by the other job');
        h.sims.xero.test.forgetIdempotencyKeys(h.tenantId); // minutes on
      }
      return noteAttempt(...args);
    };
    await h.worker.drain();
    assert.equal(stalled, true);
    assert.equal(returns().length, 1, 'the fee given back booked once');
    assert.equal(clearing(), xendit());
  });

  it('a lost answer to the fee given back: the retry finds it by Reference and books it once', async () => {
    const { x, payment } = await settledPayment();
    const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
    h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/BankTransactions' });
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.equal(returns().length, 1, 'Xero did save it');
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded', 'the refund does not wait for its fee');
    const pending = await h.stores.feeReturns.byPayment(payment.id);
    assert.ok(pending?.attemptAt, 'sent, no answer: the outcome is unknown');
    assert.equal(pending.xeroEntryId, null);
    h.clock.advance(60_000);
    await h.worker.drain();
    assert.equal(returns().length, 1, 'not booked twice');
    assert.equal((await h.stores.feeReturns.byPayment(payment.id))?.xeroEntryId, returns()[0].bankTransactionId);
    assert.equal(h.sims.xero.test.creditNotes(h.tenantId).length, 1);
    assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, 1);
    assert.equal(clearing(), xendit());
  });

  it('Xendit marking the fee given back after the refund: a full refund is looked at again, a part refund is not', async () => {
    const { x } = await settledPayment();
    const part = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false });
    await webhook(part.id).expect(200);
    await h.worker.drain();
    const jobOf = async (refundId: string) => {
      const row = await h.stores.refunds.byXenditId(h.merchant.id, refundId);
      return (await h.stores.jobs.list()).find((j) => j.kind === 'return-fee' && (j.payload as { refundId: string }).refundId === row!.id)!;
    };
    assert.equal((await jobOf(part.id)).state, 'done', 'a part refund: Xendit keeps the fee, nothing to wait for');

    const rest = await h.sims.xendit.refund(x.id, { sendWebhook: false });
    await webhook(rest.id).expect(200);
    await h.worker.drain();
    const waiting = await jobOf(rest.id);
    assert.equal(waiting.state, 'queued', 'refunded in full: looked at again later');
    assert.match(waiting.lastError ?? '', /does not say yet whether it gave the fee/);
    assert.equal(returns().length, 0);

    // Xendit gives the fee back some time after the refund.
    h.sims.xendit.test.giveFeeBackLater(x.id);
    h.clock.advance(2 * 3600_000 + 1000);
    await h.worker.drain();
    assert.equal((await jobOf(rest.id)).state, 'done');
    const [back, ...more] = returns();
    assert.equal(more.length, 0);
    assert.equal(back.reference, `Xendit fee returned ${x.id}`);
    assert.equal(clearing(), xendit());
  });

  it("Xendit listing refunds oldest first: the report's fee given back and not in Xero is still the invoice's latest refund's", async () => {
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { refundsListOrder: 'oldest_first' });
    const { x } = await settledPayment();
    const part = await h.sims.xendit.refund(x.id, { amount: 50_000, sendWebhook: false, createdAt: new Date(Date.now() - 2 * 3600_000) });
    const rest = await h.sims.xendit.refund(x.id, { sendWebhook: false, createdAt: new Date(Date.now() - 3600_000) });
    for (const { id } of [part, rest]) await webhook(id).expect(200);
    await h.worker.drain();
    h.sims.xendit.test.giveFeeBackLater(x.id);
    const rows = (await report()).rows.filter((r) => r.xenditInvoiceId === x.id && /gave the fee back/.test(r.note));
    assert.deepEqual(
      rows.map((r) => r.note),
      [`Xendit gave the fee back (refund ${rest.id}): not in Xero yet`],
    );
  });

  it('a fee Xendit marks given back days after a full refund: the refunds listing looks once a day and books it once; after 30 days it stops looking', async () => {
    const a = await settledPayment();
    const b = await settledPayment();
    for (const { x } of [a, b]) await webhook((await h.sims.xendit.refund(x.id, { sendWebhook: false })).id).expect(200);
    await h.worker.drain();
    const looks = async (paymentId: string) =>
      (await h.stores.jobs.list()).filter((j) => j.kind === 'return-fee' && (j.payload as { paymentId: string }).paymentId === paymentId);
    // The refund's own job gives up after its hours of looking (refunds are dated by the simulated Xendit's clock).
    const refundedAt = (await h.stores.refunds.forPayment(b.payment.id))[0].refundedAt;
    h.clock.advance(refundedAt.getTime() - h.clock().getTime() + 13 * 3600_000);
    await h.worker.drain();
    assert.deepEqual(
      (await looks(a.payment.id)).map((j) => j.state),
      ['done'],
    );

    await list();
    await list();
    await h.worker.drain();
    assert.equal((await looks(a.payment.id)).length, 2, 'one look a day, however often the listing runs');
    assert.equal(returns().length, 0, 'Xendit has not given it back yet');

    assert.equal((await report()).reconciled, true);
    h.clock.advance(86_400_000);
    h.sims.xendit.test.giveFeeBackLater(a.x.id);
    // Until the next look, the report shows the fee Xendit gave back that Xero does not have.
    const before = await report();
    const missing = before.rows.filter((r) => r.xenditInvoiceId === a.x.id && r.status === 'missing_in_xero');
    assert.equal(missing.length, 1, JSON.stringify(before.rows));
    assert.match(missing[0].note, /Xendit gave the fee back \(refund rfd-.*\): not in Xero yet/);
    assert.equal(before.reconciled, false);
    assert.notEqual(before.totals.IDR.difference, '0.00');

    await list();
    await h.worker.drain();
    const [back, ...more] = returns();
    assert.equal(more.length, 0);
    assert.equal(back.reference, `Xendit fee returned ${a.x.id}`);
    assert.ok((await looks(a.payment.id)).every((j) => j.state === 'done'));
    assert.equal(clearing(), xendit());
    const after = await report();
    assert.deepEqual(
      after.rows.filter((r) => r.xenditInvoiceId === a.x.id && r.status !== 'matched' && r.status !== 'refunded').map((r) => r.status),
      ['fee_returned'],
    );
    assert.equal(after.reconciled, true, JSON.stringify(after.rows));

    h.clock.advance(86_400_000);
    await list();
    assert.equal((await looks(a.payment.id)).length, 3, 'booked: not looked at again');
    const bLooks = (await looks(b.payment.id)).length;
    assert.equal(bLooks, 4, 'never given back: looked at each day');
    // Housekeeping drops the looks once done (a day on), not the refund's own job.
    await h.worker.drain();
    h.clock.advance(86_400_000 + 1000);
    await housekeepingJob({ stores: h.stores, clock: h.clock, logger: pino({ level: 'silent' }) })();
    assert.deepEqual(
      (await looks(b.payment.id)).map((j) => j.payload.look ?? 'own'),
      ['own'],
    );
    h.clock.advance(30 * 86_400_000);
    await list();
    assert.equal((await looks(b.payment.id)).length, 1, 'no longer looked at after 30 days');
    await h.worker.drain();
    assert.equal(returns().length, 1);
  });

  it('a merchant disabled after a full refund: the daily look still finds the fee Xendit gave back later and books it once', async () => {
    const { x, payment } = await settledPayment();
    await webhook((await h.sims.xendit.refund(x.id, { sendWebhook: false })).id).expect(200);
    await h.worker.drain();
    const refundedAt = (await h.stores.refunds.forPayment(payment.id))[0].refundedAt;
    h.clock.advance(refundedAt.getTime() - h.clock().getTime() + 13 * 3600_000); // past the refund's own looks
    await h.worker.drain();
    const feeJobs = (await h.stores.jobs.list()).filter((j) => j.kind === 'return-fee');
    assert.deepEqual(
      feeJobs.map((j) => j.state),
      ['done'],
    );
    await h.stores.merchants.setStatus(h.merchant.id, 'disabled');
    h.clock.advance(86_400_000);
    h.sims.xendit.test.giveFeeBackLater(x.id);
    await list();
    await h.worker.drain();
    const [back, ...more] = returns();
    assert.equal(more.length, 0);
    assert.equal(back.reference, `Xendit fee returned ${x.id}`);
    assert.equal(clearing(), xendit());
  });

  it('the simulated dashboard\'s refund with "fee given back" ticked gives it back; refused on a part refund', async () => {
    const { x } = await settledPayment();
    const refundForm = (fields: Record<string, string>) =>
      fetch(`${h.sims.xenditUrl}/dashboard/refunds`, { method: 'POST', body: new URLSearchParams({ invoice_id: x.id, ...fields }), redirect: 'manual' });
    const part = await refundForm({ amount: '50000', fee_returned: 'on' });
    assert.equal(part.status, 400);
    assert.match(await part.text(), /the fee is given back only with a refund of all that is left/);
    assert.equal((await refundForm({ fee_returned: 'on' })).status, 303);
    await list();
    await h.worker.drain();
    assert.equal(returns().length, 1);
    assert.equal(clearing(), xendit());
  });

  it('a fee still in review does not hold the refund up; once it is posted, replaying the job books its return once', async () => {
    await h.stores.db.updateTable('merchants').set({ fee_account_code: null }).where('id', '=', h.merchant.id).execute();
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.sims.xendit.settle(x.id);
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    assert.equal(payment.feeState, 'needs_review');
    const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
    await webhook(id).expect(200);
    await h.worker.drain();
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded');
    const job = (await h.stores.jobs.list()).find((j) => j.kind === 'return-fee')!;
    assert.equal(job.state, 'needs_review');
    assert.match(job.lastError ?? '', /fee of Xendit invoice .* needs review itself: once it is posted, replay this job/);
    assert.equal(returns().length, 0);

    // The merchant sets a fee account; the operator replays the fee, then the return.
    await h.stores.db.updateTable('merchants').set({ fee_account_code: '404' }).where('id', '=', h.merchant.id).execute();
    const postFee = (await h.stores.jobs.list()).find((j) => j.kind === 'post-fee')!;
    assert.ok(await h.stores.jobs.replay(postFee.id, h.clock()));
    await h.worker.drain();
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    assert.equal(returns().length, 1);
    assert.equal(clearing(), xendit());
    assert.ok(await h.stores.jobs.replay(job.id, h.clock()));
    await h.worker.drain();
    assert.equal(returns().length, 1, 'a replay after it is booked adds nothing');
  });

  it('Xendit saying it gave back more than was posted books nothing and asks a person', async () => {
    const { x } = await settledPayment();
    h.sims.xendit.getInvoice(x.id)!.feeTax = 900; // the transaction's VAT now above the 479 posted
    const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
    await webhook(id).expect(200);
    await h.worker.drain();
    const job = (await h.stores.jobs.list()).find((j) => j.kind === 'return-fee')!;
    assert.equal(job.state, 'needs_review');
    assert.match(job.lastError ?? '', /gave back a fee of .* more than the .* posted: not booked/);
    assert.equal(returns().length, 0);
    // The daily look leaves a payment in review to the person: no second job asking the same.
    const refundedAt = (await h.stores.refunds.forPayment(job.payload.paymentId as string))[0].refundedAt;
    h.clock.advance(refundedAt.getTime() - h.clock().getTime() + 13 * 3600_000);
    await list();
    assert.deepEqual(
      (await h.stores.jobs.list()).filter((j) => j.kind === 'return-fee').map((j) => j.id),
      [job.id],
    );
  });

  it('merchants who post fees as manual journals get the journal the other way round', async () => {
    const account = h.sims.xero.addAccount(h.tenantId, { code: '095', name: 'Xendit clearing', type: 'CURRENT', enablePaymentsToAccount: true });
    await h.stores.db.updateTable('merchants').set({ clearing_account_id: account.accountId }).where('id', '=', h.merchant.id).execute();
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { feePosting: 'manual_journal' }, h.clock());
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE, beforeCallback: (x) => void (h.sims.xendit.getInvoice(x.id)!.feeTax = 479) });
    await h.worker.drain();
    const { id } = await h.sims.xendit.refund(x.id, { feeReturned: true, sendWebhook: false });
    await webhook(id).expect(200);
    await h.worker.drain();
    const journals = h.sims.xero.manualJournalsOf(h.tenantId);
    const back = journals.find((j) => j.narration === `Xendit fee returned ${x.id}`);
    assert.ok(back, JSON.stringify(journals.map((j) => j.narration)));
    assert.deepEqual(
      back.lines.map((l) => [l.accountCode, l.lineAmount]),
      [
        ['404', -435000n],
        ['404', -47900n],
        ['095', 482900n],
      ],
    );
    assert.equal(h.sims.xero.balanceOf(h.tenantId, account.accountId), 0n, 'paid, less the refund, the fee back');
    const r = await report();
    assert.equal(r.rows.filter((x) => x.status === 'fee_returned').length, 1, JSON.stringify(r.rows));
    assert.equal(r.reconciled, true, JSON.stringify(r.rows));
  });
});
