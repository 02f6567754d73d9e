import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, REFUNDABLE, paidThroughGateway, refundWebhook, type Harness } from '../helpers/harness.js';

/**
 * A refund whose cash refund's answer was lost, retried in an organisation past Xero's high volume
 * threshold: GET Payments takes only paged reads there (simulators/xero/high-volume.ts), so the
 * retry's look-up by Reference must page, or every retried refund of a large organisation fails.
 */
describeEachDatabase("refunds in an organisation past Xero's high volume threshold", ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => {
    h.sims.xero.test.highVolumeThreshold();
    return h.close();
  });

  it('a lost answer to the cash refund: the retry finds it by Reference (a paged read) and pays out once', async () => {
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    h.sims.xero.test.highVolumeThreshold(0);
    const { id } = await h.sims.xendit.refund(paid.x.id, { amount: 30_000, sendWebhook: false });
    h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/Payments' });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain();
    const cash = () => h.sims.xero.test.refundPayments(h.tenantId);
    assert.equal(cash().length, 1, 'Xero saved it');
    assert.ok((await h.stores.refunds.byXenditId(h.merchant.id, id))?.refundAttemptAt, 'outcome unknown');

    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await h.worker.drain();
    const row = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(row?.state, 'recorded', `the retry ended ${row?.state}: ${row?.lastError ?? ''}`);
    assert.equal(cash().length, 1, 'found, not paid out again');
    assert.equal(row?.xeroRefundPaymentId, cash()[0].paymentId);
  });

  it('a lost answer to the refund of an overpayment: the retry finds it by Reference (a paged read) and pays out once', async () => {
    await h.stores.merchants.setAccountingOptions(h.merchant.id, { overpayments: true }, h.clock());
    const paid = await paidThroughGateway(h, {
      paidBy: REFUNDABLE,
      afterCheckout: (inv) => {
        const other = h.sims.xero.bankAccountFor(h.tenantId, 'Business Savings Account');
        h.sims.xero.recordPayment(h.tenantId, inv.invoiceId, '50000', other.accountId, 'Cash');
      },
    });
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, paid.x.id))?.overpaid, 50000);
    h.sims.xero.test.highVolumeThreshold(0);
    const { id } = await h.sims.xendit.refund(paid.x.id, { amount: 30_000, sendWebhook: false });
    h.sims.xero.faults.dropResponseAfterSave(1, { path: '/api.xro/2.0/Payments' });
    await refundWebhook(h, id).expect(200);
    await h.worker.drain();
    const out = () => h.sims.xero.test.refundPayments(h.tenantId).filter((p) => p.paymentType === 'AROVERPAYMENTPAYMENT');
    assert.equal(out().length, 1, 'Xero saved it');
    assert.ok((await h.stores.refunds.byXenditId(h.merchant.id, id))?.overpaymentRefundAttemptAt, 'outcome unknown');

    h.clock.advance(60_000);
    h.sims.xero.test.forgetIdempotencyKeys(h.tenantId);
    await h.worker.drain();
    const row = await h.stores.refunds.byXenditId(h.merchant.id, id);
    assert.equal(row?.state, 'recorded', `the retry ended ${row?.state}: ${row?.lastError ?? ''}`);
    assert.equal(out().length, 1, 'found, not paid out again');
    assert.equal(row?.xeroOverpaymentRefundId, out()[0].paymentId);
  });
});
