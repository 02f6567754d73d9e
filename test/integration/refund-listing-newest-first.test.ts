import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, REFUNDABLE, paidThroughGateway, type Harness } from '../helpers/harness.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';

/**
 * Xendit listing refunds newest first (the simulator's default; GET /refunds documents no order):
 * a run reads a page budget, so more refunds between two runs than one run reads must not hide the
 * older ones. Each run walks back to the newest refund an earlier walk read (or continues a walk
 * left unfinished), so a refund whose webhook was lost is booked, once, however busy the account.
 */
describeEachDatabase('refund listing, newest first, past the pages one run reads', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());

  const list = async () => {
    await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
    await h.worker.drain();
    h.clock.advance(30 * 60_000); // the next run (REFUND_LIST_MINUTES)
  };
  const notes = () => h.sims.xero.test.creditNotes(h.tenantId);
  const refundRow = (id: string) => h.stores.refunds.byXenditId(h.merchant.id, id);

  async function paidAndRecorded() {
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, paid.x.id))?.syncState, 'recorded');
    return paid.x.id;
  }

  /** Xendit's time of the refunds made next: one millisecond apart, after everything made so far. */
  let at = Date.now();
  const next = () => new Date((at += 1));

  /** `n` succeeded refunds of a payment made outside the gateway (not ours: no job), their webhooks lost. */
  async function othersRefunds(n: number, createdAt: () => Date = next) {
    const other = h.sims.xendit.createInvoice({ account: h.merchant.xenditSecretKey, currency: 'IDR', amount: 1000 * n });
    await h.sims.xendit.pay(other.id, { sendCallback: false, ...REFUNDABLE });
    for (let i = 0; i < n; i++) await h.sims.xendit.refund(other.id, { amount: 1000, sendWebhook: false, createdAt: createdAt() });
  }

  /** A refund of one of our payments made at Xendit whose webhook never came. */
  const lostRefund = async (invoiceId: string, createdAt = next(), amount = 10_000) =>
    (await h.sims.xendit.refund(invoiceId, { amount, sendWebhook: false, createdAt })).id;

  it('more than 300 refunds between runs, again and again: every refund of ours whose webhook was lost is booked exactly once', async () => {
    const [a, b, c] = [await paidAndRecorded(), await paidAndRecorded(), await paidAndRecorded()];
    at = Date.now();
    await othersRefunds(5);
    await list(); // the newest refunds read: the walks after this one go back to them

    const ours: string[] = [];
    ours.push(await lostRefund(a)); // behind 350 newer ones: past three pages of 100
    await othersRefunds(200);
    ours.push(await lostRefund(b));
    await othersRefunds(150);
    await list(); // the newest 300: ours[1] found, ours[0] not yet

    ours.push(await lostRefund(c)); // while the walk is unfinished, more arrive
    await othersRefunds(320);
    ours.push(await lostRefund(a));
    await list(); // the rest of the unfinished walk first, then the newest
    await list();
    await list();

    for (const id of ours) assert.equal((await refundRow(id))?.state, 'recorded', `refund ${id} booked`);
    await list();
    assert.deepEqual(
      notes()
        .map((n) => n.reference)
        .sort(),
      ours.map((id) => `Xendit refund ${id}`).sort(),
      'each booked once',
    );
    assert.equal(h.sims.xero.test.refundPayments(h.tenantId).length, ours.length);
  });

  for (const mode of ['empty', 'restart'] as const)
    it(`an unfinished walk whose cursor Xendit no longer holds (answering ${mode === 'empty' ? 'an empty page' : 'the first page again'}): the refunds after it are still found, each booked once`, async () => {
      const [a, b] = [await paidAndRecorded(), await paidAndRecorded()];
      at = Date.now();
      await othersRefunds(5);
      await list();
      const ours = [await lostRefund(a)]; // behind 350 newer ones
      await othersRefunds(350);
      ours.push(await lostRefund(b));
      await list(); // the newest 300: the walk kept, ours[0] not reached
      const kept = (await h.stores.refundListing.newestFirst(h.merchant.id, 'test'))?.walk;
      assert.ok(kept?.afterId, 'a walk left unfinished');
      // Xendit lets the cursor lapse (app/simulators/xendit/cursor.ts): the kept walk's next page is asked after one it does not hold.
      h.sims.xendit.faults.unknownCursor = mode;
      h.sims.xendit.faults.forgottenCursors.add(kept.afterId);
      await list();
      await list();
      for (const id of ours) assert.equal((await refundRow(id))?.state, 'recorded', `refund ${id} booked`);
      await list();
      assert.deepEqual(
        notes()
          .map((n) => n.reference)
          .sort(),
        ours.map((id) => `Xendit refund ${id}`).sort(),
        'each booked once',
      );
    });

  it('a refund made at the same time as the newest one a run read, listed after it, is still read by the next run', async () => {
    const ourInvoice = await paidAndRecorded();
    at = Date.now();
    await othersRefunds(130);
    // The newest twenty share one time, so the newest read holds the highest id of twenty (the
    // simulator lists refunds of one time by id, highest first): a refund of ours made at that time
    // is then almost surely listed after it (against one random id the loop below ran out of tries
    // about one run in 31).
    const tieAt = next();
    await othersRefunds(20, () => tieAt);
    await list();
    const [newest] = (await h.sims.xenditClient.listRefunds(h.merchant.xenditSecretKey, { limit: 1 })).refunds;
    const tie = new Date(newest.created!);
    assert.equal(tie.getTime(), tieAt.getTime());
    // Refunds of one time are listed in no documented order (the simulator: by id); made until one
    // is listed after the newest read, so that stopping at that refund's id would miss it.
    const ours: string[] = [];
    while (!ours.some((id) => id < newest.id)) {
      assert.ok(ours.length < 30, 'a refund listed after the newest read');
      ours.push(await lostRefund(ourInvoice, tie, 1_000)); // up to 30 of them: within what the payment can refund
    }
    await othersRefunds(5);
    await list();
    await list();
    for (const id of ours) assert.equal((await refundRow(id))?.state, 'recorded', `refund ${id} made at ${tie.toISOString()} booked`);
    assert.equal(notes().length, ours.length, 'each booked once');
  });

  it('Xendit lists oldest first again: the listing follows the order it reads, and finds what is made after', async () => {
    const ourInvoice = await paidAndRecorded();
    at = Date.now();
    await othersRefunds(150);
    await list();
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { refundsListOrder: 'oldest_first' });
    await othersRefunds(350);
    const lost = await lostRefund(ourInvoice);
    await list();
    assert.equal(await h.stores.refundListing.newestFirst(h.merchant.id, 'test'), null, 'the walk back is dropped');
    for (let i = 0; i < 3; i++) await list();
    assert.ok(await h.stores.refundListing.cursor(h.merchant.id, 'test'), 'oldest first: after a cursor');
    assert.equal((await refundRow(lost))?.state, 'recorded');
    assert.equal(notes().length, 1);
  });
});
