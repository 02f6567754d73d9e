import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, REFUNDABLE, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';

/**
 * A refund the listing saw PENDING is read again by id at each run (list-refunds.ts), whichever
 * order Xendit lists in: newest first, a busy account pushes it out of the pages one run reads
 * long before a slow channel ends it, and a lost SUCCEEDED webhook would leave it unbooked.
 */
describeEachDatabase('refunds PENDING when listed: read again until they end', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const list = () => listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
  const reads = (id: string) => h.sims.xendit.test.countRequests({ method: 'GET', pathPrefix: `/refunds/${id}` });

  async function pendingRefund() {
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, paid.x.id))?.syncState, 'recorded');
    const { id } = await h.sims.xendit.refund(paid.x.id, { amount: 30_000, pending: true, sendWebhook: false });
    await list(); // seen PENDING: nothing to book yet
    await h.worker.drain();
    return id;
  }

  /** `n` newer succeeded refunds of a payment made outside the gateway (not ours: no job), one a second after now. */
  async function newerRefunds(n: number) {
    const other = h.sims.xendit.createInvoice({ account: h.merchant.xenditSecretKey, currency: 'IDR', amount: 1000 * n });
    await h.sims.xendit.pay(other.id, { sendCallback: false, ...REFUNDABLE });
    const start = Date.now();
    for (let i = 1; i <= n; i++) await h.sims.xendit.refund(other.id, { amount: 1000, sendWebhook: false, createdAt: new Date(start + i * 1000) });
  }

  it('Xendit listing newest first: a refund PENDING for days behind 300 newer refunds, then SUCCEEDED with its webhook lost, is booked once by the scheduled listing', async () => {
    const id = await pendingRefund();
    await newerRefunds(301);
    await list();
    await h.worker.drain();
    h.clock.advance(3 * 86_400_000);
    await h.sims.xendit.completeRefund(id, 'SUCCEEDED', { sendWebhook: false });

    await list();
    await h.worker.drain();
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, id))?.state, 'recorded', 'found although 301 newer refunds fill the pages a run reads');
    const before = reads(id);
    await list();
    await h.worker.drain();
    assert.deepEqual(
      notes().map((n) => n.reference),
      [`Xendit refund ${id}`],
      'booked once',
    );
    assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, 1);
    assert.equal(reads(id), before, 'no longer read once it ended');
  });

  it('a refund still PENDING after the hold (7 days) is read no more: each run makes a bounded number of reads', async () => {
    const id = await pendingRefund();
    await newerRefunds(301);
    h.clock.advance(30 * 60_000); // the next run (REFUND_LIST_MINUTES)
    await list();
    assert.equal(reads(id), 1, 'read by id while PENDING, once a run');
    // Past the hold, measured from when Xendit made it (the simulator's own time).
    h.clock.advance(Date.now() - h.clock().getTime() + 8 * 86_400_000);
    await list();
    const after = reads(id);
    await list();
    await list();
    assert.equal(reads(id), after, 'passed after the hold');
    assert.equal(notes().length, 0);
    const alerts = await h.stores.alerts.recent('refundPendingTooLong', 'all', new Date(0), 10);
    assert.equal(alerts.length, 1, 'a person is told it is no longer watched');
  });

  it('Xendit listing oldest first: a PENDING refund no longer holds the cursor, so refunds made after 300 newer ones are still reached, and it is booked once when it succeeds', async () => {
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { refundsListOrder: 'oldest_first' });
    const id = await pendingRefund();
    await newerRefunds(301);
    await list();
    await list();
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    const lost = await h.sims.xendit.refund(paid.x.id, { amount: 40_000, sendWebhook: false, createdAt: new Date(Date.now() + 3600_000) });
    h.clock.advance(30 * 60_000);
    await list();
    await h.worker.drain();
    assert.equal((await h.stores.refunds.byXenditId(h.merchant.id, lost.id))?.state, 'recorded', 'the cursor moved past the PENDING refund');

    await h.sims.xendit.completeRefund(id, 'SUCCEEDED', { sendWebhook: false });
    h.clock.advance(30 * 60_000);
    await list();
    await h.worker.drain();
    await list();
    await h.worker.drain();
    assert.deepEqual(
      notes()
        .map((n) => n.reference)
        .sort(),
      [`Xendit refund ${id}`, `Xendit refund ${lost.id}`].sort(),
    );
    assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, 2, 'each booked once');
  });
});
