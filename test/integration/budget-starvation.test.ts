import { strict as assert } from 'node:assert';
import request from 'supertest';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { DEFAULT_MAX_ATTEMPTS } from '../../app/jobs/kinds.js';

/**
 * The worker's Xero budget is used up by others (a flood of reads) far longer than a job's
 * attempts would last: the refusals re-queue the job without spending its attempts.
 */
describeEachDatabase("rate-budget refusals do not use up a job's attempts", ({ db }) => {
  const PER_MINUTE = 10;
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db(), { xeroLimits: { perMinute: PER_MINUTE } });
    h.sims.xero.limits.perMinute = 100_000; // the simulator counts in real time; only our budget limits here
  });
  afterEach(() => h.close());

  /** Someone else (the admin's reads, another merchant's clicks) spends this minute's budget. */
  async function spendTheMinute(): Promise<void> {
    for (;;) {
      const refused = await h.deps.xero.getOrganisation(h.merchant.xero).then(
        () => false,
        () => true,
      );
      if (refused) return;
    }
  }

  it(`a payment starved of budget for ${DEFAULT_MAX_ATTEMPTS + 10} minutes is still recorded, not sent to needs_review`, async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    h.clock.advance(60_000);
    await h.sims.xendit.pay(x.id);

    for (let minute = 0; minute < DEFAULT_MAX_ATTEMPTS + 10; minute++) {
      await spendTheMinute();
      assert.equal(await h.worker.drain(), 1, `minute ${minute}: the job ran once`);
      const [job] = await h.stores.jobs.list();
      assert.equal(job.state, 'queued', `minute ${minute}: ${job.lastError}`);
      assert.match(job.lastError ?? '', /not calling Xero: the budget of calls for this minute is used up/);
      assert.equal(job.attempts, 0, 'a refusal by our own budget is not an attempt');
      h.clock.advance(60_000);
    }
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).length, 0);

    await h.worker.drain();
    const [job] = await h.stores.jobs.list();
    assert.equal(job.state, 'done', job.lastError ?? '');
    assert.equal(job.attempts, 1);
    assert.equal(h.sims.xero.paymentsOf(inv.invoiceId).length, 1);
    assert.equal((await h.stores.payments.byXenditInvoice(h.merchant.id, x.id))?.syncState, 'recorded');
  });

  it('a 429 that Xero itself answered still counts as an attempt (the call was made)', async () => {
    const inv = h.addInvoice({});
    await request(h.app).get(h.payUrl(inv.invoiceNumber)).expect(303);
    const x = h.sims.xendit.listInvoices().at(-1)!;
    h.clock.advance(60_000);
    h.sims.xero.faults.failNext(1, 429, { retryAfter: 30 });
    await h.sims.xendit.pay(x.id);
    await h.worker.drain();
    const [job] = await h.stores.jobs.list();
    assert.equal(job.state, 'queued');
    assert.equal(job.attempts, 1);
  });
});
