import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describeEachDatabase, truncateAll } from '../helpers/db.js';
import { createStores, type Stores } from '../../app/store/index.js';
import { createSecretBox } from '../../app/security/secrets.js';
import { enqueueJob } from '../helpers/jobs.js';
import { JOB_SPECS } from '../../app/jobs/kinds.js';
import type { Job } from '../../app/store/jobs.js';
import { jobRow } from '../../app/jobs/enqueue.js';
import { claimedStores } from '../../app/jobs/claimed-stores.js';
import { sendOnce } from '../../app/jobs/sync/send-once.js';
import { ClaimLost } from '../../app/jobs/runner.js';
import { inGroup } from '../../app/jobs/registry.js';
import type { JobScope } from '../../app/jobs/runner.js';

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

  /** A withdrawal row and its queued record-withdrawal job; `note` learns Xendit's fee for it (store/settlements.ts noteFee). */
  async function withdrawalWithJob(xenditTransactionId: string) {
    const w = await stores.settlements.getOrCreate(
      { id: randomUUID(), merchantId, xenditTransactionId, currency: 'IDR', amount: 100_000, withdrawnAt: t0 },
      t0,
    );
    const payload = { merchantId, xenditTransactionId, live: false };
    await enqueueJob(db(), { kind: 'record-withdrawal', merchantId, payload, dedupeKey: JOB_SPECS['record-withdrawal'].dedupeKey(payload) }, t0);
    return { note: (at: Date) => stores.settlements.noteFee(w.id, 5_550, false, jobRow('record-withdrawal', payload, at), at) };
  }

  it("a fee noted while a taken-over job runs: the holding claim's finish queues it again, once; the stale claim's finish neither ends it nor drops the mark", async () => {
    const { note } = await withdrawalWithJob('disb-2');
    const a = (await stores.jobs.claim(t0, LEASE_MS))!;
    const b = (await stores.jobs.claim(pastLease, LEASE_MS))!;
    assert.equal(b.id, a.id, 'b took the job over');
    assert.equal(await note(pastLease), true);

    assert.equal(await stores.jobs.finish(a, now), false, "a's finish is fenced off");
    assert.equal((await stores.jobs.finishAll([a], now)).size, 0, "a's group finish too");
    assert.equal((await stores.jobs.byId(a.id))?.state, 'running', "still b's");
    assert.equal(await stores.jobs.finish(b, now), true);
    const again = (await stores.jobs.byId(a.id))!;
    assert.deepEqual(
      [again.state, again.attempts, again.runAt.getTime(), again.payload.retry],
      ['queued', 0, now.getTime(), 1],
      'b read the row before the fee: the job is queued again, due now, as a requeue of a done job would be',
    );
    const c = (await stores.jobs.claim(now, LEASE_MS))!;
    assert.equal(c.id, a.id);
    assert.deepEqual([...(await stores.jobs.finishAll([c], later))], [c.id]);
    assert.equal((await stores.jobs.byId(a.id))?.state, 'done', 'run again once: the claim spent the mark');
  });

  it('a fee noted while a job runs that then ends in review, or while it backs off: left there (a person, or the retry at its time, reads the fee)', async () => {
    const inReview = await withdrawalWithJob('disb-3');
    const a = (await stores.jobs.claim(t0, LEASE_MS))!;
    assert.equal(await inReview.note(t0), true);
    assert.equal(await stores.jobs.needsReview(a, 'Xero refused', now), true);
    assert.equal((await stores.jobs.byId(a.id))?.state, 'needs_review', 'a verdict for a person is kept');
    assert.equal(await stores.jobs.replay(a.id, now, ['needs_review']), true);
    const b = (await stores.jobs.claim(now, LEASE_MS))!;
    assert.equal(await stores.jobs.finish(b, now), true);
    assert.equal((await stores.jobs.byId(a.id))?.state, 'done', 'the run after the review read the fee: the claim spent the mark');

    const backingOff = await withdrawalWithJob('disb-4');
    const c = (await stores.jobs.claim(now, LEASE_MS))!;
    assert.notEqual(c.id, a.id);
    assert.equal(await stores.jobs.retryAt(c, later, 'Xero answered 503', now), true);
    assert.equal(await backingOff.note(now), true);
    const waits = (await stores.jobs.byId(c.id))!;
    assert.deepEqual([waits.state, waits.runAt.getTime(), waits.attempts], ['queued', later.getTime(), 1], 'it runs at its time, its attempts kept');
  });

  it('a mark whose row is gone while the claim holds fails the run as an error, not as a lost claim; a lost claim is still ClaimLost', async () => {
    await enqueueJob(db(), { kind: 'record-fee-bill', merchantId, payload: { merchantId, feeBillId: randomUUID() } }, t0);
    const a = (await stores.jobs.claim(t0, LEASE_MS))!;
    let sent = 0;
    const send = async () => void sent++;
    const gone = randomUUID();
    await assert.rejects(
      sendOnce((at) => claimedStores(stores, a).feeBills.noteAttempt(gone, at, t0), t0, send),
      (err: Error) => !(err instanceof ClaimLost) && /the fee bill this job is for is gone/.test(err.message),
    );
    const b = (await stores.jobs.claim(pastLease, LEASE_MS))!;
    assert.equal(b.id, a.id);
    await assert.rejects(
      sendOnce((at) => claimedStores(stores, a).feeBills.noteAttempt(gone, at, pastLease), pastLease, send),
      ClaimLost,
    );
    assert.equal(sent, 0);
  });

  it('in a group too: a payment mark whose row is gone while the claim holds fails the run as an error; a lost claim is still ClaimLost', async () => {
    await enqueueJob(db(), { kind: 'k', merchantId, payload: { n: 1 } }, t0);
    const a = (await stores.jobs.claim(t0, LEASE_MS))!;
    // A group of one: each gathered statement runs as its own.
    const scope = {
      together: async (_name: string, item: unknown, runAll: (items: unknown[]) => Promise<unknown[]>) => (await runAll([item]))[0],
      remembered: (_key: string, fn: () => Promise<unknown>) => fn(),
      upstream: (fn: () => Promise<unknown>) => fn(),
      xero: {},
    } as unknown as JobScope;
    const grouped = () => inGroup({ stores, xero: {} as never, xendit: {} as never }, scope, a).stores.payments;
    let sent = 0;
    const send = async () => void sent++;
    const gone = randomUUID();
    for (const noted of [
      (at: Date | null) => grouped().noteXeroAttempt(gone, at),
      (at: Date | null) => grouped().noteFeeAttempt(gone, { kind: 'spend', accountId: 'clearing' }, at),
    ])
      await assert.rejects(sendOnce(noted, t0, send), (err: Error) => !(err instanceof ClaimLost) && /the payment this job is for is gone/.test(err.message));
    const b = (await stores.jobs.claim(pastLease, LEASE_MS))!;
    assert.equal(b.id, a.id);
    await assert.rejects(
      sendOnce((at) => grouped().noteXeroAttempt(gone, at), pastLease, send),
      ClaimLost,
    );
    assert.equal(sent, 0);
  });

  it("a stale claim's payment recordings and attempt marks land nowhere, alone or in a group; a held claim's do", async () => {
    const newPayment = (n: number) =>
      stores.payments.getOrCreate(
        {
          id: randomUUID(),
          merchantId,
          checkoutId: null,
          xenditInvoiceId: `x-${n}`,
          xeroInvoiceId: `inv-${n}`,
          currency: 'IDR',
          amount: 150000,
          fee: 4350,
          paidAt: t0,
          reference: `Xendit x-${n}`,
        },
        t0,
      );
    const [p1, p2, p3] = await Promise.all([1, 2, 3].map(newPayment));
    await enqueueJob(db(), { kind: 'k', merchantId, payload: { n: 1 } }, t0);
    const a = (await stores.jobs.claim(t0, LEASE_MS))!;
    const b = (await stores.jobs.claim(pastLease, LEASE_MS))!;
    assert.equal(b.id, a.id, 'b took the job over: a is stale');
    await enqueueJob(db(), { kind: 'k', merchantId, payload: { n: 2 } }, t0);
    const c = (await stores.jobs.claim(pastLease, LEASE_MS))!;
    assert.notEqual(c.id, a.id);
    const feeJob = (p: { id: string }) => jobRow('post-fee', { paymentId: p.id }, now, { merchantId });
    const row = async (p: { id: string }) => (await stores.payments.byId(p.id))!;

    // b marked its attempt and sent; a's clear (Xero refused its own create) must not erase b's mark,
    // nor may a mark one it would then send.
    const held = await stores.payments.noteXeroAttempt(p1.id, pastLease, undefined, b);
    const cleared = await stores.payments.noteXeroAttempt(p1.id, null, undefined, a);
    const marked = await stores.payments.noteXeroAttempt(p3.id, now, undefined, a);
    const inGroup = await stores.payments.noteXeroAttempts([
      { id: p3.id, at: now, claim: a },
      { id: p2.id, at: now, claim: c },
    ]);
    assert.equal((await row(p1)).xeroAttemptAt?.getTime(), pastLease.getTime(), "b's mark stands");
    assert.deepEqual([(await row(p3)).xeroAttemptAt, (await row(p2)).xeroAttemptAt?.getTime()], [null, now.getTime()], "a's marks land nowhere, c's does");
    assert.deepEqual([held, cleared, marked, inGroup], [true, false, false, [false, true]], 'each says whether it landed');

    // b recorded p1 with an overpayment; a's recording (in review, none) comes after.
    const byB = { xeroPaymentId: 'pay-b', amountRecorded: 100000, overpayment: { amount: 50000, xeroOverpaymentId: 'op-b', xeroOverpaymentTxnId: 'txn-b' } };
    await stores.payments.markInXero(p1, { ...byB, fee: 'pending' }, pastLease, feeJob(p1), b);
    await stores.payments.markInXero(
      p1,
      { xeroPaymentId: 'pay-a', amountRecorded: 100000, reviewReason: 'over-payment', fee: 'not_needed' },
      now,
      undefined,
      a,
    );
    const kept = await row(p1);
    assert.deepEqual(
      [kept.syncState, kept.xeroPaymentId, kept.xeroOverpaymentId, kept.overpaid, kept.lastError],
      ['recorded', 'pay-b', 'op-b', 50000, null],
      "a's recording is fenced off",
    );
    // In a group: a's row is left as it is, and its fee job is not queued; c's lands with its fee job.
    await stores.payments.markAllInXero([
      { id: p3.id, xeroPaymentId: 'pay-a3', fee: 'pending', now, feeJob: feeJob(p3), claim: a },
      { id: p2.id, xeroPaymentId: 'pay-c2', fee: 'pending', now, feeJob: feeJob(p2), claim: c },
    ]);
    assert.deepEqual([(await row(p3)).syncState, (await row(p3)).xeroPaymentId], ['pending', null]);
    assert.deepEqual([(await row(p2)).syncState, (await row(p2)).xeroPaymentId, (await row(p2)).feeState], ['recorded', 'pay-c2', 'pending']);
    const feeJobs = (await stores.jobs.list()).filter((j) => j.kind === 'post-fee').map((j) => j.payload.paymentId);
    assert.deepEqual(feeJobs.sort(), [p1.id, p2.id].sort(), 'fee jobs only for the recordings that landed');
  });

  // Members of one group held back together each moved the merchant's other queued jobs: two such
  // updates taking the same rows in different orders deadlocked (seen in the bench once Xero hung).
  it("holding a job back does not wait on another transaction's lock on one of the merchant's queued jobs", async () => {
    await enqueueJob(db(), { kind: 'k', merchantId, payload: { n: 1 } }, t0);
    await enqueueJob(db(), { kind: 'k', merchantId, payload: { n: 2 } }, t0);
    await enqueueJob(db(), { kind: 'k', merchantId, payload: { n: 3 } }, t0);
    const a = (await stores.jobs.claim(t0, LEASE_MS))!;
    const others = (await stores.jobs.list()).filter((j) => j.id !== a.id).map((j) => j.id);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = db()
      .transaction()
      .execute(async (trx) => {
        await trx.selectFrom('jobs').select('id').where('id', '=', others[0]!).forUpdate().execute();
        locked();
        await released;
      });
    await isLocked;
    let over = false;
    const held = stores.jobs.holdBack({ ...a, merchantId }, later, 'no Xero budget', now).then(() => 'held back' as const);
    const waiting = (async () => {
      while (!over) {
        const r = await sql<{ n: number }>`select count(*)::int as n from pg_locks where not granted and locktype in ('transactionid', 'tuple')`.execute(db());
        if (r.rows[0]!.n > 0) return 'waiting on a lock' as const;
        await new Promise((r) => setImmediate(r));
      }
      return 'held back' as const;
    })();
    const first = await Promise.race([held, waiting]);
    over = true;
    release();
    await holder;
    await held;
    assert.equal(first, 'held back');
    const runAt = (await stores.jobs.list()).filter((j) => j.id === others[1]).map((j) => j.runAt?.getTime());
    assert.deepEqual(runAt, [later.getTime()], 'the unlocked one waits as long');
  });
});
