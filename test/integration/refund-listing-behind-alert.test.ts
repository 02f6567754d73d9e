/**
 * The refundsBehind alert is told only when refunds can really be missed. The GET /refunds walk
 * left behind by a cursor Xendit lets lapse before every run is made up for by the same runs'
 * listing of REFUND transactions by time (list-refund-transactions.ts): no alert then, however long
 * it lasts. That listing failing too (here: Xendit refusing the REFUND type) while the walk has
 * been behind a day: told, in words that say what to check.
 */
import { strict as assert } from 'node:assert';
import { pino } from 'pino';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, paidThroughGateway, REFUNDABLE, type Harness } from '../helpers/harness.js';
import { listRefundsJob } from '../../app/jobs/sync/list-refunds.js';
import { createI18n, decodeMessage } from '../../app/i18n/index.js';

describeEachDatabase('refundsBehind: told only when the refunds by time cannot make up for the refund listing', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
    h.sims.xendit.limits.testPerMinute = 100_000;
  });
  afterEach(() => h.close());

  const run = () => listRefundsJob({ stores: h.stores, xendit: h.sims.xenditClient, clock: h.clock, logger: pino({ level: 'silent' }) })();
  const refundJobs = async () => (await h.stores.jobs.list()).filter((j) => j.kind === 'record-refund').map((j) => String(j.payload.xenditRefundId));
  const told = () => db().selectFrom('alerts').select(['kind', 'message']).where('kind', '=', 'refundsBehind').execute();

  /** Every cursor the listings kept let lapse at Xendit, answered with the first page again. */
  async function lapseAll() {
    const kept = [
      (await h.stores.refundListing.newestFirst(h.merchant.id, 'test'))?.walk?.afterId,
      (await h.stores.settlements.listCursor({ merchantId: h.merchant.id, mode: 'test', currency: 'IDR', listing: 'refund' }))?.afterId,
    ];
    for (const id of kept) if (id) h.sims.xendit.faults.forgottenCursors.add(id);
  }

  /** 320 refunds without webhooks, newest first: more than the 300 a run's GET /refunds walk reads, so with its cursor lapsing it never gets back to its mark. */
  async function refundsPastTheWalk(): Promise<string[]> {
    h.sims.xendit.test.updateAccount(h.merchant.xenditSecretKey, { refundsListOrder: 'newest_first' });
    const paid = await paidThroughGateway(h, { paidBy: REFUNDABLE });
    await h.worker.drain();
    await run();
    const seen = await h.stores.xenditBusinesses.of(h.merchant.id, 'test');
    const start = (seen?.listedSince ?? seen?.lookedAt)!.getTime() + 1000;
    const made: string[] = [];
    for (let i = 0; i < 320; i++)
      made.push((await h.sims.xendit.refund(paid.x.id, { amount: 100, sendWebhook: false, createdAt: new Date(start + i * 1000) })).id);
    h.sims.xendit.faults.unknownCursor = 'restart';
    h.clock.advance(start + 3600_000 - h.clock().getTime());
    return made;
  }

  /** Runs every 30 minutes for 26 hours, every cursor lapsing before each. */
  async function aDayOfRuns() {
    for (let n = 0; n < 52; n++) {
      await lapseAll();
      h.clock.advance(30 * 60_000);
      await run();
    }
  }

  it('the refund listing behind for more than a day, every refund found by time: no alert', async () => {
    const made = await refundsPastTheWalk();
    await aDayOfRuns();
    const jobs = await refundJobs();
    assert.deepEqual(
      made.filter((id) => !jobs.includes(id)),
      [],
      'every refund queued',
    );
    assert.ok((await h.stores.refundListing.newestFirst(h.merchant.id, 'test'))?.walk, 'the GET /refunds walk is still behind');
    assert.deepEqual(await told(), [], 'nothing is missed: no alert');
  }).timeout(300_000);

  it('the refunds by time refused too while the refund listing is a day behind: told what to check', async () => {
    h.sims.xendit.faults.retiredTypes = ['REFUND'];
    await refundsPastTheWalk();
    await aDayOfRuns();
    const [alert, ...more] = await told();
    assert.equal(more.length, 0);
    const m = decodeMessage(alert.message);
    const i18n = createI18n();
    assert.match(
      i18n.t('en', m.key, m.params),
      /^Refunds at Xendit \(the account of the test key, IDR\) may be missed: since .* Check that the key may read Transactions/,
    );
    assert.match(i18n.t('id', m.key, m.params), /^Refund di Xendit \(akun kunci test, IDR\) bisa terlewat/);
  }).timeout(300_000);
});
