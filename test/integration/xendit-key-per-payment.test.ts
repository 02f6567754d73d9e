import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, REFUNDABLE, refundWebhook, type Harness } from '../helpers/harness.js';

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
});
