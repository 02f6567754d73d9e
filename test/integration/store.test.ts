import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { describeEachDatabase, truncateAll } from '../helpers/db.js';
import { createStores, type Stores } from '../../app/store/index.js';
import { createSecretBox } from '../../app/security/secrets.js';
import { enqueueJob } from '../helpers/jobs.js';

const box = createSecretBox(Buffer.alloc(32, 7).toString('base64'));
const now = new Date('2026-11-25T10:00:00Z');

describeEachDatabase('store', ({ db }) => {
  let stores: Stores;
  let merchantId: string;
  beforeEach(async () => {
    await truncateAll(db());
    stores = createStores(db(), box);
    const m = await stores.merchants.add({
      name: 'Toko',
      shortCode: '!abc12',
      xero: { clientId: 'cid', clientSecret: 'csecret', tenantId: '' },
      xenditSecretKey: 'xnd_development_key',
      callbackToken: 'tok',
      clearingAccountId: 'acc-1',
    });
    merchantId = m.id;
  });

  it('keeps secrets encrypted at rest and opens them on read', async () => {
    const raw = await db().selectFrom('merchants').selectAll().executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(raw).includes('csecret'));
    assert.ok(!JSON.stringify(raw).includes('xnd_development_key'));
    const { merchant: m } = await stores.payClicks.admit({ shortCode: '!abc12', counters: [] });
    assert.equal(m?.xero.clientSecret, 'csecret');
    assert.equal(m?.xenditSecretKey, 'xnd_development_key');
    assert.equal(m?.mode, 'test');
  });

  it('allows one live checkout per invoice and amount, even under concurrency', async () => {
    const attempts = Array.from({ length: 20 }, () => {
      const id = randomUUID();
      return stores.checkouts.claim(
        { id, merchantId, xeroInvoiceId: 'inv-1', invoiceNumber: 'INV-1', currency: 'IDR', amount: 1000, externalId: `e-${id}`, expiresAt: now },
        now,
      );
    });
    const won = (await Promise.all(attempts)).filter(Boolean);
    assert.equal(won.length, 1);
    const other = () =>
      stores.checkouts.claim(
        {
          id: randomUUID(),
          merchantId,
          xeroInvoiceId: 'inv-1',
          invoiceNumber: 'INV-1',
          currency: 'IDR',
          amount: 500,
          externalId: `e-${randomUUID()}`,
          expiresAt: now,
        },
        now,
      );
    assert.equal(await other(), null, 'another amount waits until the live one is ended');
    await stores.checkouts.transition(won[0]!.id, ['creating'], 'paid', now);
    assert.ok(await other(), 'a different amount (after a part payment) is a different checkout');
  });

  it('allows one live checkout per invoice whatever its amount, even under concurrency', async () => {
    const attempts = Array.from({ length: 20 }, (_, i) => {
      const id = randomUUID();
      return stores.checkouts.claim(
        { id, merchantId, xeroInvoiceId: 'inv-2', invoiceNumber: 'INV-2', currency: 'IDR', amount: 1000 + (i % 4), externalId: `e-${id}`, expiresAt: now },
        now,
      );
    });
    assert.equal((await Promise.all(attempts)).filter(Boolean).length, 1);
    assert.equal((await stores.checkouts.liveOfInvoice(merchantId, 'inv-2')).length, 1);
  });

  it('fences a checkout claim: after a takeover the first creator can neither open nor delete it', async () => {
    const id = randomUUID();
    const claimed = (await stores.checkouts.claim(
      { id, merchantId, xeroInvoiceId: 'inv-9', invoiceNumber: 'INV-9', currency: 'IDR', amount: 1000, externalId: `e-${id}`, expiresAt: now },
      now,
    ))!;
    const later = new Date(now.getTime() + 20_000);
    assert.equal(await stores.checkouts.takeOver(id, new Date(now.getTime() + 15_000), later), later);
    assert.equal(await stores.checkouts.takeOver(id, new Date(now.getTime() + 15_000), later), null, 'one taker only');
    assert.equal(await stores.checkouts.open(id, claimed.updatedAt, 'x-old', 'https://x/old', later), null);
    await stores.checkouts.abandon(id, claimed.updatedAt);
    assert.ok(await stores.checkouts.byId(id), 'not deleted by the stale creator');
    const opened = await stores.checkouts.open(id, later, 'x-new', 'https://x/new', later);
    assert.equal(opened?.xenditInvoiceId, 'x-new');
  });

  it('claims each job once across concurrent workers (SKIP LOCKED) and honours run_at', async () => {
    for (let i = 0; i < 10; i++) await enqueueJob(db(), { kind: 'k', payload: { i } }, now);
    await enqueueJob(db(), { kind: 'later', payload: {} }, new Date(now.getTime() + 60_000));
    const claimed = await Promise.all(Array.from({ length: 15 }, () => stores.jobs.claim(now, 30_000)));
    const ids = claimed.filter(Boolean).map((j) => j!.id);
    assert.equal(ids.length, 10);
    assert.equal(new Set(ids).size, 10);
    assert.equal(await stores.jobs.claim(now, 30_000), null);
    // A lease that ran out (worker died) makes the job claimable again.
    const later = new Date(now.getTime() + 61_000);
    const again = await stores.jobs.claim(later, 30_000);
    assert.ok(again);
    assert.equal(again.attempts >= 1, true);
  });

  it('ignores the verdict of a worker whose lease ran out after another took the job over', async () => {
    await enqueueJob(db(), { kind: 'k', payload: {} }, now);
    const first = (await stores.jobs.claim(now, 1000))!;
    const second = (await stores.jobs.claim(new Date(now.getTime() + 2000), 60_000))!;
    assert.equal(second.id, first.id);
    assert.equal(await stores.jobs.needsReview(first, 'stale verdict', now), false);
    assert.equal(await stores.jobs.finish(first, now), false);
    assert.equal((await stores.jobs.byId(first.id))?.state, 'running');
    assert.equal(await stores.jobs.finish(second, now), true);
    assert.equal((await stores.jobs.byId(first.id))?.state, 'done');
  });

  it("recording a payment again (Retry) never moves its fee's state back: alone or in a group, only a payment with none takes the one given", async () => {
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
          paidAt: now,
          reference: `Xendit x-${n}`,
        },
        now,
      );
    const [posted, review, notNeeded, fresh] = await Promise.all([1, 2, 3, 4].map(newPayment));
    for (const p of [posted, review, notNeeded]) await stores.payments.markInXero(p, { xeroPaymentId: `pay-${p.id}`, fee: 'pending' }, now);
    await stores.payments.markFeePosted(posted.id, 'fee-txn', now);
    await stores.payments.markFeeNeedsReview(review.id, 'no fee account is configured for this merchant', now);
    await stores.payments.markFeeNotNeeded(notNeeded.id, now);

    await stores.payments.markInXero(posted, { xeroPaymentId: `pay-${posted.id}`, fee: 'pending' }, now);
    await stores.payments.markInXero(review, { xeroPaymentId: `pay-${review.id}`, fee: 'pending' }, now);
    await stores.payments.markAllInXero([notNeeded, fresh].map((p) => ({ id: p.id, xeroPaymentId: `pay-${p.id}`, fee: 'pending' as const, now })));
    const states = async () => (await stores.payments.byIds([posted.id, review.id, notNeeded.id, fresh.id])).map((p) => p?.feeState);
    assert.deepEqual(await states(), ['posted', 'needs_review', 'not_needed', 'pending']);
    await stores.payments.markAllInXero([posted, review].map((p) => ({ id: p.id, xeroPaymentId: `pay-${p.id}`, fee: 'not_needed' as const, now })));
    assert.deepEqual(await states(), ['posted', 'needs_review', 'not_needed', 'pending']);
    assert.equal((await stores.payments.byId(review.id))?.feeError, 'no fee account is configured for this merchant');
  });

  it('absorbs duplicate jobs by dedupe key', async () => {
    assert.equal(await enqueueJob(db(), { kind: 'k', payload: {}, dedupeKey: 'x' }, now), true);
    assert.equal(await enqueueJob(db(), { kind: 'k', payload: {}, dedupeKey: 'x' }, now), false);
    assert.equal((await stores.jobs.list()).length, 1);
  });
});
