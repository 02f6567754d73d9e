import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { describeEachDatabase, truncateAll } from '../helpers/db.js';
import { createStores, type Stores } from '../../app/store/index.js';
import { createSecretBox } from '../../app/security/secrets.js';
import { enqueueJob } from '../helpers/jobs.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';
import type { Job } from '../../app/store/jobs.js';

const box = createSecretBox(Buffer.alloc(32, 7).toString('base64'));
const LEASE_MS = 60_000;
const t0 = new Date('2026-12-07T01:00:00Z');
/** After a's lease ran out: another worker may take the job over. */
const pastLease = new Date(t0.getTime() + LEASE_MS + 1000);
const now = new Date(t0.getTime() + 10 * LEASE_MS);
const later = new Date(now.getTime() + 30_000);

/**
 * A worker stalled past its lease (a) must not write over a later claim of its job, even one at the
 * same attempt count: attempts go back to 0 whenever the job is queued again (replay, Retry, a
 * settlement save, a waiting refund's payment recorded), so the claims are told apart by claim_no.
 */
describeEachDatabase('job claims: a stale worker cannot write over a later claim', ({ db }) => {
  let stores: Stores;
  let merchantId: string;
  beforeEach(async () => {
    await truncateAll(db());
    stores = createStores(db(), box);
    merchantId = (
      await stores.merchants.add({
        name: 'Toko',
        shortCode: '!fence',
        xero: { clientId: 'cid', clientSecret: 'csecret', tenantId: '' },
        xenditSecretKey: 'xnd_development_key',
        callbackToken: 'tok',
        clearingAccountId: 'acc-1',
      })
    ).id;
  });

  /** a claims, stalls; b takes over (`asB`) and ends the job; `requeue` queues it again; c claims it at a's attempt count. */
  async function abaClaims(requeue: (id: number) => Promise<unknown>, asB?: (b: Job) => Promise<void>): Promise<{ a: Job; c: Job }> {
    const a = (await stores.jobs.claim(t0, LEASE_MS))!;
    const b = (await stores.jobs.claim(pastLease, LEASE_MS))!;
    assert.equal(b.id, a.id, 'b took the job over');
    assert.equal(b.attempts, 2);
    await asB?.(b);
    assert.equal(await stores.jobs.finish(b, pastLease), true);
    await requeue(a.id);
    const c = (await stores.jobs.claim(now, LEASE_MS))!;
    assert.equal(c.id, a.id);
    assert.equal(c.attempts, a.attempts, 'the same attempt count as the stale claim');
    return { a, c };
  }

  it('a replayed job claimed again at the same attempt: the stale claim writes nothing, the new one keeps its verdicts', async () => {
    await enqueueJob(db(), { kind: 'record-refund', merchantId, payload: { merchantId, xenditRefundId: 'rfd-1' } }, t0);
    const { a, c } = await abaClaims((id) => stores.jobs.replay(id, now));

    assert.equal(await stores.jobs.finish(a, now), false, "a's finish is fenced off");
    assert.equal(await stores.jobs.needsReview(a, 'stale', now), false);
    assert.equal(await stores.jobs.retryAt(a, later, 'stale', now), false);
    assert.equal(await stores.jobs.park(a, 'stale', now), false);
    assert.equal(await stores.jobs.holdBack(a, later, 'stale', now), false);
    assert.equal((await stores.jobs.finishAll([a], now)).size, 0);
    assert.equal((await stores.jobs.renew([a], later)).size, 0);
    assert.equal(await stores.jobs.waitFor(a, 'inv-stale'), false);
    await stores.jobs.waitForPaymentIds(a, ['py-stale']);
    const held = (await stores.jobs.byId(a.id))!;
    assert.equal(held.state, 'running', "still c's");
    assert.equal(held.claimNo, c.claimNo);
    assert.equal(held.lockedUntil?.getTime(), c.lockedUntil?.getTime());
    assert.deepEqual([held.payload.waitsFor, held.payload.waitsForPaymentIds], [undefined, undefined]);

    assert.equal((await stores.jobs.renew([c], later)).size, 1);
    assert.equal(await stores.jobs.retryAt(c, later, 'x', now), true, "c's verdict is written");
    const queued = (await stores.jobs.byId(a.id))!;
    assert.equal(queued.state, 'queued');
    assert.equal(queued.lastError, 'x');
  });

  it('a take-over at the last attempt (the count kept) is not finished by the worker that lost it', async () => {
    await enqueueJob(db(), { kind: 'k', payload: {}, maxAttempts: 1 }, t0);
    const a = (await stores.jobs.claim(t0, LEASE_MS))!;
    const b = (await stores.jobs.claim(pastLease, LEASE_MS))!;
    assert.equal(b.workerStopped, true);
    assert.equal(b.attempts, a.attempts);
    assert.equal(await stores.jobs.finish(a, now), false);
    assert.equal(await stores.jobs.needsReview(b, 'worker stopped', now), true);
  });

  it('a withdrawal resumed by a settlement save: the stale claim neither sets it waiting again nor ends the job run for it', async () => {
    const w = await stores.settlements.getOrCreate(
      { id: randomUUID(), merchantId, xenditTransactionId: 'disb-1', currency: 'IDR', amount: 100_000, withdrawnAt: t0 },
      t0,
    );
    const payload = { merchantId, xenditTransactionId: 'disb-1', live: false };
    const jobKey = JOB_SPECS['record-withdrawal'].dedupeKey(payload);
    await enqueueJob(db(), { kind: 'record-withdrawal', merchantId, payload, dedupeKey: jobKey }, t0);
    const reason = 'no settlement bank account picked for IDR';
    const { a, c } = await abaClaims(
      // The merchant then picks an account: the save resumes the row and queues its job again.
      async () => assert.equal(await stores.settlements.saveAndResume(merchantId, { IDR: 'bank-1' }, () => jobKey, now), 1),
      // b finds no settlement bank account for IDR.
      async (b) => {
        await stores.settlements.waiting(w.id, reason, pastLease, b);
        assert.equal((await stores.settlements.byXenditId(merchantId, 'disb-1'))?.state, 'waiting');
      },
    );
    assert.equal((await stores.settlements.byXenditId(merchantId, 'disb-1'))?.state, 'pending');

    // a read the accounts before the save: its late write must not strand the row in waiting.
    const stale = await stores.settlements.waiting(w.id, reason, now, a);
    assert.equal((await stores.settlements.byXenditId(merchantId, 'disb-1'))?.state, 'pending', "a's late write is fenced off");
    assert.equal(stale, 'claimLost');
    assert.equal(await stores.jobs.finish(a, now), false, "a's finish is fenced off");
    assert.equal(await stores.jobs.retryAt(c, later, 'Xero answered 503', now), true);
    assert.equal((await stores.jobs.byId(c.id))?.state, 'queued', 'the withdrawal will be booked');

    // The claim that holds the job does not set it waiting while an account for its currency is saved; it does once there is none.
    const d = (await stores.jobs.claim(later, LEASE_MS))!;
    assert.equal(await stores.settlements.waiting(w.id, reason, later, d), 'accountSaved');
    assert.equal((await stores.settlements.byXenditId(merchantId, 'disb-1'))?.state, 'pending');
    assert.equal(await stores.settlements.saveAndResume(merchantId, {}, () => jobKey, later), 0);
    assert.equal(await stores.settlements.waiting(w.id, reason, later, d), 'waiting');
    assert.equal((await stores.settlements.byXenditId(merchantId, 'disb-1'))?.state, 'waiting');
  });
});
