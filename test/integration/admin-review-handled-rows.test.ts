import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { page, seedAdminCast, signedIn, type Agent } from '../helpers/admin.js';
import { adminMerchantPath, adminPaymentPath, adminReviewHandledPath } from '../../app/paths.js';
import { enqueueJob } from '../helpers/jobs.js';
import { jobRow } from '../../app/jobs/enqueue.js';

/**
 * Mark as handled takes what the job was about out of review too: the row its kind keeps (a
 * payment's fee, a refund, a withdrawal…) says 'handled' wherever it is read (its page, the
 * metrics), in the same commit as the job; and nothing retries it afterwards.
 */
describeEachDatabase('admin: needs review, the handled item leaves review everywhere', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    await seedAdminCast(h, db());
  });
  afterEach(() => h.close());

  const reviewPath = () => adminMerchantPath(h.merchant.id, 'adminMerchantReview');
  const jobOf = async (kind: string) => (await h.stores.jobs.list()).find((j) => j.kind === kind)!;
  async function markShown(agent: Agent, jobId: number) {
    const shown = await page(agent, reviewPath());
    const stopped = String(shown.$(`#review tr[data-job="${jobId}"] form.handled input[name=stopped]`).val());
    await agent.post(adminReviewHandledPath(h.merchant.id, jobId)).type('form').send({ _csrf: shown.csrf(), stopped, note: 'Booked by hand' }).expect(303);
  }
  /** A job of `kind` the worker gave up on (as the runner leaves it), with its payload. */
  async function inReview(kind: string, payload: Record<string, unknown>) {
    await enqueueJob(h.stores.db, { kind, merchantId: h.merchant.id, payload: { merchantId: h.merchant.id, ...payload } }, h.clock());
    await h.stores.db.updateTable('jobs').set({ state: 'needs_review', last_error: 'Xero refused it' }).where('kind', '=', kind).execute();
    return jobOf(kind);
  }
  async function recordedPayment() {
    const { x } = await paidThroughGateway(h);
    await h.worker.drain();
    return (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
  }

  it("a handled fee: the payment's fee leaves review, and the needs-review metric counts it no more", async () => {
    const payment = await recordedPayment();
    await h.stores.payments.markFeeNeedsReview(payment.id, 'Xero refused the fee', h.clock());
    const job = await inReview('post-fee', { paymentId: payment.id });
    assert.equal(await h.stores.metrics.needsReview(), 1);

    await markShown(await signedIn(h.app, 'a@toko.test'), job.id);

    assert.equal((await h.stores.payments.byId(payment.id))?.feeState, 'handled');
    assert.equal(await h.stores.metrics.needsReview(), 0, 'gateway_payments_needs_review counts it no more');
  });

  it("a handled refund: its payment's page says handled by hand, not needs review", async () => {
    const payment = await recordedPayment();
    const xenditRefundId = `rfd-${randomUUID()}`;
    const refund = await h.stores.refunds.getOrCreate(
      {
        id: randomUUID(),
        merchantId: h.merchant.id,
        paymentId: payment.id,
        xenditRefundId,
        currency: payment.currency,
        amount: 1000,
        reason: null,
        refundedAt: h.clock(),
      },
      h.clock(),
    );
    await h.stores.refunds.needsReview(refund.id, 'Xero refused the credit note', h.clock());
    const job = await inReview('record-refund', { xenditRefundId });
    const owner = await signedIn(h.app, 'a@toko.test');
    assert.match((await page(owner, adminPaymentPath(payment.id))).$('#timeline li.refund').text(), /needs review/);

    await markShown(owner, job.id);

    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, xenditRefundId))?.state, 'handled');
    const li = (await page(owner, adminPaymentPath(payment.id))).$('#timeline li.refund').text();
    assert.doesNotMatch(li, /needs review/);
    assert.match(li, /handled by hand/);
    const id = (await page(owner, `${adminPaymentPath(payment.id)}?lang=id`)).$('#timeline li.refund').text();
    assert.match(id, /ditangani manual/);
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'handled');
  });

  it('a handled sale made outside Xero: its payment leaves review, shows no Retry, and is counted no more', async () => {
    const payment = await recordedPayment();
    await h.stores.payments.markNeedsReview(payment.id, 'Xero refused the sale', h.clock());
    const job = await inReview('record-backend-payment', { xenditInvoiceId: payment.xenditInvoiceId });
    const owner = await signedIn(h.app, 'a@toko.test');
    assert.equal((await page(owner, adminPaymentPath(payment.id))).$('section.retry form').length, 1);

    await markShown(owner, job.id);

    assert.equal((await h.stores.payments.byId(payment.id))?.syncState, 'handled');
    assert.equal(await h.stores.metrics.needsReview(), 0);
    const shown = await page(owner, adminPaymentPath(payment.id));
    assert.equal(shown.$('section.retry').length, 0, 'a handled item is terminal: no Retry');
    assert.match(shown.$('.badge.state-handled').text(), /Handled by hand/);
  });

  it('a handled fee bill: the fee bills page says handled by hand, not needs review', async () => {
    const { bill } = await h.stores.feeBills.getOrCreate(
      {
        id: randomUUID(),
        merchantId: h.merchant.id,
        period: '2026-10',
        currency: 'IDR',
        fees: 4500,
        vat: 495,
        transactions: 1,
        xenditInvoiceNumber: null,
        createdBy: null,
      },
      (feeBillId) => jobRow('record-fee-bill', { merchantId: h.merchant.id, feeBillId }, h.clock()),
      h.clock(),
    );
    await h.stores.feeBills.needsReview(bill.id, 'Xero refused the bill', h.clock());
    await h.stores.db.updateTable('jobs').set({ state: 'needs_review', last_error: 'Xero refused the bill' }).where('kind', '=', 'record-fee-bill').execute();
    const job = await jobOf('record-fee-bill');
    const owner = await signedIn(h.app, 'a@toko.test');
    const billsPath = adminMerchantPath(h.merchant.id, 'adminMerchantFeeBills');
    assert.match((await page(owner, billsPath)).$('#fee-bills tr[data-period="2026-10"]').text(), /Needs review/);

    await markShown(owner, job.id);

    const row = (await page(owner, billsPath)).$('#fee-bills tr[data-period="2026-10"]');
    assert.equal(row.attr('data-state'), 'handled');
    assert.doesNotMatch(row.text(), /Needs review/);
    assert.match(row.text(), /Handled by hand/);
  });
});
