import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, REFUNDABLE, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { adminPaymentPath } from '../../app/paths.js';
import { page, seedAdminCast, signedIn } from '../helpers/admin.js';

/**
 * Issue 16 §2 asks each refund rule of the webhook path on the scheduled path too: a refund whose
 * webhook never came, found by listRefundsJob alone, is booked and shown as the webhook's would be.
 */
describeEachDatabase('refunds found only by the scheduled listing (no webhook)', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const list = () => listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();

  /** Paid, recorded, then refunded in part at Xendit's dashboard with its webhook lost; the listing run and its job done. */
  async function refundedByListing() {
    const { x } = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    const payment = (await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))!;
    assert.equal(payment.syncState, 'recorded');
    const { id } = await h.sims.xendit.refund(x.id, { amount: 40_000, sendWebhook: false });
    assert.deepEqual(await h.stores.refunds.forPayment(payment.id), [], 'nothing known of it before the listing');
    await list();
    await h.worker.drain();
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded');
    return { x, payment, refundId: id };
  }

  it('its cash refund out of the clearing account is created reconciled, as the webhook path makes it', async () => {
    const { refundId } = await refundedByListing();
    const [note, ...notes] = h.sims.xero.test.creditNotes(h.tenantId);
    assert.equal(notes.length, 0);
    assert.equal(note.reference, `Xendit refund ${refundId}`);
    const [cash, ...more] = h.sims.xero.test.refundPayments(h.tenantId);
    assert.equal(more.length, 0);
    assert.equal(cash.documentId, note.creditNoteId);
    assert.equal(cash.accountId, h.clearingAccountId);
    assert.equal(cash.amount, 4000000n, '40 000 IDR');
    assert.equal(cash.reconciled, true, 'created reconciled: no bank feed will ever match the clearing account');
  });

  it("appears on the payment's admin timeline, and counts against what may still be refunded", async () => {
    const { payment, refundId } = await refundedByListing();
    await seedAdminCast(h, db());
    const { $ } = await page(await signedIn(h.app, 'a@toko.test'), `${adminPaymentPath(payment.id)}?lang=en`);
    const shown = $('#timeline li.refund');
    assert.equal(shown.length, 1);
    assert.equal(shown.find('code').first().text(), refundId);
    assert.match(shown.text(), /Refunded[\s\S]*40[.,]000/);
    assert.equal($('#refund-new input[name=amount]').val(), '110000', '150 000 less the 40 000 the listing found');
  });
});
