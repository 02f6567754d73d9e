import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { box } from '../helpers/harness.js';
import { jobRow } from '../../app/jobs/enqueue.js';
import { insertJob } from '../../app/store/jobs.js';
import { createStores } from '../../app/store/index.js';
import * as kept from '../../app/store/migrations/20261206T1500_fee_state_kept.js';

describeEachDatabase('migration 20261206T1500_fee_state_kept: fees a Retry set back to pending', ({ db }) => {
  it('a fee posted once is posted again, one whose job waits in review is in review again; a fee on its way is left alone', async () => {
    await sql`truncate jobs, payments, callback_events, checkouts, merchants restart identity cascade`.execute(db());
    const stores = createStores(db(), box);
    const merchant = await stores.merchants.add({ name: 'M', shortCode: '!MIGFS', xero: { clientId: 'c', clientSecret: 's', tenantId: '' } });
    const now = new Date('2026-12-01T00:00:00Z');
    const row = async (set: { xero_fee_txn_id?: string; fee_error?: string }, job?: 'queued' | 'needs_review') => {
      const p = await stores.payments.getOrCreate(
        {
          id: randomUUID(),
          merchantId: merchant.id,
          checkoutId: null,
          xenditInvoiceId: randomUUID(),
          xeroInvoiceId: randomUUID(),
          currency: 'IDR',
          amount: 150000,
          fee: 4350,
          paidAt: now,
          reference: 'Xendit x',
        },
        now,
      );
      await db()
        .updateTable('payments')
        .set({ sync_state: 'recorded', fee_state: 'pending', ...set })
        .where('id', '=', p.id)
        .execute();
      if (job) {
        await insertJob(db(), jobRow('post-fee', { paymentId: p.id }, now, { merchantId: merchant.id }));
        await db()
          .updateTable('jobs')
          .set({ state: job, last_error: 'no fee account is configured for this merchant' })
          .where('dedupe_key', '=', `post-fee:${p.id}`)
          .execute();
      }
      return p.id;
    };
    const posted = await row({ xero_fee_txn_id: 'txn-1' }, 'queued');
    const review = await row({ fee_error: 'no fee account is configured for this merchant' }, 'needs_review');
    const gaveUp = await row({}, 'needs_review');
    const onItsWay = await row({ fee_error: 'waiting for Xendit to list the payment transaction' }, 'queued');

    await kept.up(db());
    const fee = async (id: string) => {
      const p = (await stores.payments.byId(id))!;
      return [p.feeState, p.feeError];
    };
    assert.deepEqual(await fee(posted), ['posted', null]);
    assert.deepEqual(await fee(review), ['needs_review', 'no fee account is configured for this merchant']);
    assert.deepEqual(await fee(gaveUp), ['needs_review', 'no fee account is configured for this merchant'], "the job's reason");
    assert.deepEqual(await fee(onItsWay), ['pending', 'waiting for Xendit to list the payment transaction']);
    await sql`truncate jobs, payments, merchants restart identity cascade`.execute(db());
  });
});
