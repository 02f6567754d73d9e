/**
 * GET /refunds has no date filter: a refund listing whose kept cursor Xendit lets lapse before
 * every run got no further than its page budget a run (oldest first, the first pages again; newest
 * first, the newest pages again), and the refunds past them were never listed. The money each
 * refund takes is a REFUND transaction the Transactions API lists by time
 * (list-refund-transactions.ts): read from the time its walk reached, every refund is found in a
 * few runs, and queued once, with the listing by GET /refunds and the webhook under one dedupe key.
 */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, REFUNDABLE, type Harness } from '../helpers/harness.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';

describeEachDatabase('refunds found by time when the refund cursor lapses before every run', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    // Many calls within a minute of the simulator's; restored by the next harness.
    h.sims.xendit.limits.testPerMinute = 100_000;
  });
  afterEach(() => h.close());

  const run = () => listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const refundJobs = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-refund').map((j) => String(j.payload.xenditRefundId));

  /** A payment of ours, recorded in Xero. */
  async function paidAndRecorded() {
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, paid.x.id))?.syncState, 'recorded');
    return paid.x.id;
  }

  /** From when the key's business is the merchant's (key-business.ts listedSince). */
  const keySince = async () => {
    const seen = await h.stores.xenditBusinesses.of(h.merchant.id, 'test');
    const since = seen?.listedSince ?? seen?.lookedAt;
    assert.ok(since);
    return since;
  };

  /** Every cursor the listings kept let lapse at Xendit (simulators/xendit/cursor.ts), before the next run. */
  async function lapseAll() {
    const kept = [
      await h.stores.refundListing.cursor(h.merchant.id, 'test'),
      (await h.stores.refundListing.newestFirst(h.merchant.id, 'test'))?.walk?.afterId,
      (await h.stores.settlements.listCursor({ merchantId: h.merchant.id, mode: 'test', currency: 'IDR', listing: 'refund' }))?.afterId,
    ];
    for (const id of kept) if (id) h.sims.xendit.faults.forgottenCursors.add(id);
  }

  const cases = [
    { order: 'oldest_first', productId: 'refund', answer: 'empty' },
    { order: 'oldest_first', productId: 'payment', answer: 'restart' },
    { order: 'newest_first', productId: 'refund', answer: 'restart' },
    { order: 'newest_first', productId: 'payment', answer: 'empty' },
  ] as const;
  for (const c of cases)
    it(`${c.order.replace('_', ' ')}, REFUND transactions naming the ${c.productId}, a lapsed cursor answered with ${c.answer === 'empty' ? 'an empty page' : 'the first page again'}: every refund queued once`, async () => {
      h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, {
        refundsListOrder: c.order,
        ...(c.productId === 'payment' ? { refundTransactionProductId: 'payment' as const } : {}),
      });
      const payments = [await paidAndRecorded(), await paidAndRecorded(), await paidAndRecorded()];
      await run(); // the key's business known from now on (key-business.ts listedSince), on the database's clock
      const start = (await keySince()).getTime() + 1000;
      // 420 refunds whose webhooks never came, a second apart, more than a run reads by GET /refunds (3 pages of 100) and by time (20 refunds read by id).
      const made: string[] = [];
      for (let i = 0; i < 420; i++) {
        const invoice = payments[Math.floor(i / 140)];
        made.push((await h.sims.xendit.refund(invoice, { amount: 1000, sendWebhook: false, createdAt: new Date(start + i * 1000) })).id);
      }
      // One more whose webhook came: the listings meet it too, one job all the same.
      made.push((await h.sims.xendit.refund(payments[0], { amount: 1000, createdAt: new Date(start + 420 * 1000) })).id);
      h.sims.xendit.faults.unknownCursor = c.answer;
      h.clock.advance(start + 3600_000 - h.clock().getTime());
      for (let n = 0; n < 12; n++) {
        await lapseAll();
        h.clock.advance(30 * 60_000);
        await run();
      }
      const jobs = await refundJobs();
      assert.deepEqual(
        made.filter((id) => !jobs.includes(id)),
        [],
        'every refund queued',
      );
      assert.equal(jobs.length, made.length, 'one job each');
    }).timeout(240_000);
});
