import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { box } from '../helpers/harness.js';
import { createStores } from '../../app/store/index.js';
import type { FeeState, SyncState } from '../../app/store/schema.js';
import * as m020 from '../../app/store/migrations/20261204T2300_xero_attempts.js';

describeEachDatabase('migration 20261204T2300_xero_attempts: payments not settled before the upgrade start with an unknown outcome', ({ db }) => {
  it('marks payments not yet recorded (and fees not yet posted) as attempted, so the first run after the upgrade looks them up', async () => {
    await sql`truncate jobs, payments, callback_events, checkouts, merchants restart identity cascade`.execute(db());
    const stores = createStores(db(), box);
    const merchant = await stores.merchants.add({ name: 'M', shortCode: '!MIG20', xero: { clientId: 'c', clientSecret: 's', tenantId: '' } });
    const now = new Date('2026-12-01T00:00:00Z');
    const row = async (syncState: SyncState, feeState: FeeState | null) => {
      const p = await stores.payments.getOrCreate(
        {
          id: randomUUID(),
          merchantId: merchant.id,
          checkoutId: null,
          xenditInvoiceId: randomUUID(),
          xeroInvoiceId: randomUUID(),
          currency: 'IDR',
          amount: 150000,
          fee: null,
          paidAt: now,
          reference: 'Xendit x',
        },
        now,
      );
      await db().updateTable('payments').set({ sync_state: syncState, fee_state: feeState }).where('id', '=', p.id).execute();
      return p.id;
    };
    const pending = await row('pending', null);
    const review = await row('needs_review', null);
    const recordedFeePending = await row('recorded', 'pending');
    const recordedFeeReview = await row('recorded', 'needs_review');
    const done = await row('recorded', 'posted');
    const testMode = await row('test_mode', null);

    // Back to before this migration (a database upgraded from an older release), then forward again.
    await m020.down(db());
    await m020.up(db());
    const marks = async (id: string) => {
      const p = (await stores.payments.byId(id))!;
      return [p.xeroAttemptAt !== null, p.feeAttemptAt !== null];
    };
    assert.deepEqual(await marks(pending), [true, false]);
    assert.deepEqual(await marks(review), [true, false]);
    assert.deepEqual(await marks(recordedFeePending), [false, true]);
    assert.deepEqual(await marks(recordedFeeReview), [false, true]);
    assert.deepEqual(await marks(done), [false, false]);
    assert.deepEqual(await marks(testMode), [false, false]);
    await sql`truncate payments, merchants restart identity cascade`.execute(db());
  });
});
