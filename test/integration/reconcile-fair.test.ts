import { strict as assert } from 'node:assert';
import request from 'supertest';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { reconcile } from '../../app/jobs/sync/reconcile.js';
import { ONE_ADDRESS_MANY_CUSTOMERS } from '../helpers/pay-limits.js';

/**
 * Reconcile's batch (RECONCILE_BATCH, gateway-wide) is shared by what it asks about: open and
 * superseded checkouts, stale 'creating' ones, expiries to confirm and late creates. Many open
 * checkouts (normal with 24-hour checkouts), a merchant whose Xendit calls keep failing, or
 * checkouts no stored key reaches must not keep the others from being asked.
 */
describeEachDatabase('worker: reconcile shares its batch so that every kind of checkout is asked about', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { env: { ...ONE_ADDRESS_MANY_CUSTOMERS } });
  });
  afterEach(() => h.close());

  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  const logger = pino({ level: 'silent' });
  const run = (batch: number) => reconcile({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger }, { minAgeMinutes: 5, batch });
  /** Reconcile's asks at Xendit: by external id (GET /v2/invoices) or by id (GET /v2/invoices/{id}). */
  const asks = () => h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: '/v2/invoices' });
  const xeroPayments = (invoiceId: string) => h.sims.xero.paymentsOf(invoiceId).filter((p) => p.status !== 'DELETED');
  const rowOf = async (x: { id: string; external_id: string }) => (await h.stores.checkouts.forXenditInvoice(h.merchant.id, x.id, x.external_id))!;

  async function clickPay() {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    h.clock.advance(1000); // oldest first
    return { inv, x };
  }

  /** Open checkouts older than the run's minimum age, more than the batch. */
  async function openCheckouts(count: number) {
    const made = [];
    for (let i = 0; i < count; i++) made.push(await clickPay());
    return made;
  }

  it("with more open checkouts than the batch, a stale 'creating' one, an expiry to confirm and a late create are asked in the same run, and their lost payments recorded (was: never asked)", async () => {
    // A create Xendit took, answered nothing to and made only later; the checkout closed meanwhile
    // (first run) and asked about once more (second run): from now on, a late create to ask about.
    const lateInv = h.addInvoice({});
    const late = h.sims.xendit.faults.createLate();
    await request(h.app).get(h.payUrl(lateInv.invoiceNumber)).expect(503);
    h.clock.advance(6 * MINUTE);
    assert.equal((await run(10)).expired, 1);
    h.clock.advance(10 * MINUTE);
    assert.equal((await run(10)).checked, 1);
    const [lateId] = late.make();
    await h.sims.xendit.pay(lateId, { sendCallback: false }); // paid from Xendit's e-mail, callback lost

    // A create whose answer was lost, the invoice made and paid, its callback lost.
    const creatingInv = h.addInvoice({});
    h.sims.xendit.faults.dropResponseAfterSave(1, { method: 'POST', path: '/v2/invoices' });
    await request(h.app).get(h.payUrl(creatingInv.invoiceNumber)).expect(503);
    await h.sims.xendit.pay(h.sims.xendit.listInvoices().at(-1)!.id, { sendCallback: false });

    // Closed by an EXPIRED callback out of order, paid at Xendit with its PAID callback lost.
    const expiry = await clickPay();
    await h.sims.xendit.pay(expiry.x.id, { sendCallback: false });
    await h.stores.checkouts.transition((await rowOf(expiry.x)).id, ['open'], 'expired', h.clock());

    await openCheckouts(6);
    h.clock.advance(11 * MINUTE);

    const summary = await run(4);
    assert.deepEqual(summary, { checked: 4, paid: 3, expired: 0, pending: 1, unknown: 0, failed: 0 }, 'one of each kind');
    await h.worker.drain();
    for (const inv of [lateInv, creatingInv, expiry.inv]) assert.equal(xeroPayments(inv.invoiceId).length, 1);

    // The open ones' turn: the batch is theirs now that the others have nothing to ask.
    const before = asks();
    assert.equal((await run(4)).pending, 4);
    assert.equal(asks() - before, 4);
  });

  it("repeated runs reach every open checkout and expiry while calls with one key keep failing (was: that key's checkouts held the head of the line)", async () => {
    // The test key's checkouts come first in line; Xendit answers 503 for each of them, every time.
    const failing = await openCheckouts(4);
    const failingExpired = await openCheckouts(3);
    for (const { x } of failingExpired) await h.stores.checkouts.transition((await rowOf(x)).id, ['open'], 'expired', h.clock());
    for (const { x } of [...failing, ...failingExpired]) h.sims.xendit.faults.failNext(1000, 503, { method: 'GET', path: `/v2/invoices/${x.id}` });
    // The live key's: paid at Xendit, callbacks lost; one closed by an out-of-order EXPIRED.
    const live = 'xnd_production_FairShareLive7788';
    h.sims.xendit.registerAccount({ secretKey: live, callbackToken: h.merchant.callbackToken, businessName: 'Toko Test' });
    await h.stores.merchants.setXenditKeys(h.merchant.id, { live }, h.clock());
    await h.stores.merchants.switchXenditMode(h.merchant.id, 'live', h.clock());
    const paid = await openCheckouts(3);
    await h.stores.checkouts.transition((await rowOf(paid[2].x)).id, ['open'], 'expired', h.clock());
    for (const { x } of paid) await h.sims.xendit.pay(x.id, { sendCallback: false });
    h.clock.advance(6 * MINUTE);

    // Each run: one failing call for the test key, its other checkouts passed over for that run.
    let found = 0;
    for (let i = 0; i < 3; i++) {
      found += (await run(4)).paid;
      h.clock.advance(10 * MINUTE);
    }
    assert.equal(found, 3, 'the live checkouts are reached within three runs');
    for (const { x } of paid) assert.equal((await rowOf(x)).status, 'paid');
    for (const { x } of failingExpired) assert.equal((await rowOf(x)).status, 'expired', 'left unconfirmed: asked again');
  });

  it('a superseded checkout no stored key reaches is asked a day later, then less often, not in every run; storing a key that reaches it brings it back (was: asked every run)', async () => {
    const original = h.merchant.xenditSecretKey;
    const { inv, x } = await clickPay();
    // The test key replaced by another business's: nothing stored reaches the checkout any more.
    const other = 'xnd_development_OtherBusiness9911';
    h.sims.xendit.registerAccount({ secretKey: other, callbackToken: h.merchant.callbackToken, businessName: 'Another business' });
    await h.stores.merchants.setXenditKeys(h.merchant.id, { test: other }, h.clock());
    h.clock.advance(6 * MINUTE);
    assert.equal((await run(10)).unknown, 1);
    assert.equal((await rowOf(x)).status, 'superseded');

    const askedAt: number[] = [];
    const start = h.clock().getTime();
    while (h.clock().getTime() < start + 14 * DAY) {
      h.clock.advance(HOUR);
      const before = asks();
      await run(10);
      if (asks() > before) askedAt.push(h.clock().getTime() - start);
    }
    const days = askedAt.map((t) => Math.round((t / DAY) * 10) / 10);
    assert.ok(days.join() === '1,2,4,8', `asked ${days.length} times in 14 days, ${days.slice(0, 5).join(', ')}… days after (want 1, 2, 4, 8)`);

    // The customer paid it in the old key's account (callback lost); the merchant stores that key again.
    await h.sims.xendit.pay(x.id, { sendCallback: false });
    await h.stores.merchants.setXenditKeys(h.merchant.id, { test: original }, h.clock());
    h.clock.advance(10 * MINUTE);
    assert.equal((await run(10)).paid, 1, 'asked in the next run');
    await h.worker.drain();
    assert.equal(xeroPayments(inv.invoiceId).length, 1);
  });
});
