import { strict as assert } from 'node:assert';
import { describeEachDatabase } from '../helpers/db.js';
import { createHarness, type Harness } from '../helpers/harness.js';
import { listWithdrawals, withdrawalRefusedByXero } from '../helpers/withdrawal-review.js';
import { HANDLED_CHANGED } from '../../app/store/job-rows.js';

describeEachDatabase('a job handled by hand, then changed at Xendit', ({ db }) => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness(db());
  });
  afterEach(() => h.close());
  const markHandled = async (jobId: number, xenditTransactionId: string, note: string) => {
    const { updated_at } = await h.stores.db.selectFrom('jobs').select('updated_at').where('id', '=', jobId).executeTakeFirstOrThrow();
    const who = { userId: null, userEmail: 'owner@toko.test' };
    return h.stores.reviewJobs.markHandled(
      {
        jobId,
        merchantId: h.merchant.id,
        kinds: ['record-withdrawal'],
        stoppedAt: new Date(updated_at),
        paymentId: null,
        row: { table: 'withdrawals', xenditTransactionId },
        note,
        ...who,
        audit: { merchantId: h.merchant.id, ...who, action: 'review_handled', detail: { jobId } },
      },
      h.clock(),
    );
  };

  it('a withdrawal handled by hand that Xendit then reverses is back in review and a person is told; nothing is sent for it', async () => {
    // The settlement account archived in Xero: the withdrawal cannot be booked and goes to review.
    const { w, job } = await withdrawalRefusedByXero(h, (accountId) =>
      h.stores.settlements.saveAndResume(h.merchant.id, { IDR: accountId }, () => 'unused', h.clock()),
    );
    assert.equal(await markHandled(job.id, w.id, 'booked the transfer out by hand'), true);
    const transfersBefore = h.sims.xero.test.bankTransfers(h.tenantId).length;

    // Xendit reverses it: the money is back in its balance, which the person's hand booking did not know.
    h.clock.advance(60 * 60_000);
    h.sims.xendit.test.reverseWithdrawal(h.merchant.xenditSecretKey, w.id);
    await listWithdrawals(h);
    await h.worker.drain();

    const after = await h.stores.jobs.byId(job.id);
    assert.equal(after?.state, 'needs_review', 'the reversal reaches a person, not a job left handled');
    assert.equal(after?.lastError, HANDLED_CHANGED);
    assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'needs_review', 'its row back in review with it');
    const alerts = await h.stores.db.selectFrom('alerts').select(['kind', 'message']).where('merchant_id', '=', h.merchant.id).execute();
    assert.equal(alerts.filter((a) => a.kind === 'needsReview' && a.message.includes('marked handled by hand')).length, 1, 'told once');
    assert.equal(h.sims.xero.test.bankTransfers(h.tenantId).length, transfersBefore, 'nothing sent for a job a person handled');

    // Handled again (the transfer back booked by hand too): the newer note replaces the older on the page.
    assert.equal(await markHandled(job.id, w.id, 'booked the transfer back by hand'), true);
    assert.equal((await h.stores.jobs.byId(job.id))?.state, 'handled');
    assert.equal((await h.stores.settlements.byXenditId(h.merchant.id, w.id))?.state, 'handled');
    const notes = await h.stores.db.selectFrom('review_handled').select('note').where('job_id', '=', job.id).execute();
    assert.deepEqual(
      notes.map((n) => n.note),
      ['booked the transfer back by hand'],
    );
  }).timeout(120_000);
});
