import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, REFUNDABLE, type Harness } from '../helpers/harness.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { listRefundTransactions } from '../../app/jobs/sync/list-refund-transactions.js';

describeEachDatabase('refunds found by time through their payment: only those made since the key was first listed', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    h.sims.xendit.limits.testPerMinute = 100_000;
  });
  afterEach(() => h.close());
  const logger = pino({ level: 'silent' });
  /** A payment paid and the key listed once: when the key was first listed (the floor). */
  async function paidAndListed() {
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    await listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger })();
    const seenB = await h.stores.xenditBusinesses.of(h.merchant.id, 'test');
    return { paid, keySince: (seenB?.listedSince ?? seenB?.lookedAt)! };
  }
  /** An hour after the floor, one walk of the REFUND transactions from its start: the refunds it hands on. */
  async function walked(keySince: Date): Promise<string[]> {
    h.clock.advance(keySince.getTime() + 3600_000 - h.clock().getTime());
    const seen: string[] = [];
    await listRefundTransactions({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger }, h.merchant, {
      mode: 'test',
      key: h.merchant.xenditSecretKey!,
      keySince,
      begin: true,
      seen: async (rs) => {
        seen.push(...rs.map((r) => r.id));
      },
    });
    return seen;
  }
  const refundAt = (invoiceId: string, at: number) => h.sims.xendit.refund(invoiceId, { amount: 1000, sendWebhook: false, createdAt: new Date(at) });

  it('a refund of the payment made before the key was first listed (maybe booked by hand) is not handed on; one made since is', async () => {
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { refundTransactionProductId: 'payment' as const });
    const { paid, keySince } = await paidAndListed();
    const old = await refundAt(paid.x.id, keySince.getTime() - 1);
    const fresh = await refundAt(paid.x.id, keySince.getTime() + 1000);
    const seen = await walked(keySince);
    assert.ok(seen.includes(fresh.id), 'fresh seen');
    assert.ok(!seen.includes(old.id), 'a refund made before keySince/floor must not be handed on (would be booked twice if booked by hand)');
  }).timeout(120_000);

  it('a REFUND transaction Xendit answers 400 for is skipped and said; the refunds on either side of it on its page are still handed on', async () => {
    const { paid, keySince } = await paidAndListed();
    const made = [];
    for (let i = 1; i <= 3; i++) made.push(await refundAt(paid.x.id, keySince.getTime() + i * 1000));
    h.sims.xendit.faults.failNext(1, 400, { method: 'GET', path: `/refunds/${made[1].id}` });
    const seen = await walked(keySince);
    assert.deepEqual(seen.sort(), [made[0].id, made[2].id].sort(), 'the two Xendit answers for');
  }).timeout(120_000);
});
