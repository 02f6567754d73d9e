import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { box } from '../helpers/harness.js';
import { createStores } from '../../app/store/index.js';
import * as migration from '../../app/store/migrations/20261207T0039_overpayment_ids.js';

describeEachDatabase('migration 20261207T0039_overpayment_ids: the overpayment ids kept before it', ({ db }) => {
  it("moves the bank transaction's id kept as xero_overpayment_id to xero_overpayment_txn_id, leaving the OverpaymentID to be found", async () => {
    await sql`truncate jobs, payments, callback_events, checkouts, merchants restart identity cascade`.execute(db());
    const stores = createStores(db(), box);
    const merchant = await stores.merchants.add({ name: 'M', shortCode: '!MIGOP', xero: { clientId: 'c', clientSecret: 's', tenantId: '' } });
    const now = new Date('2026-12-01T00:00:00Z');
    const row = async () =>
      (
        await stores.payments.getOrCreate(
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
        )
      ).id;
    const overpaid = await row();
    const plain = await row();
    // Back to before this migration, an overpayment kept as the old release kept it, then forward again.
    await migration.down(db());
    await sql`update payments set overpaid = 50000, xero_overpayment_id = 'txn-1' where id = ${overpaid}`.execute(db());
    await migration.up(db());
    const ids = async (id: string) => {
      const p = (await stores.payments.byId(id))!;
      return [p.xeroOverpaymentId, p.xeroOverpaymentTxnId, p.overpaymentAttemptAt];
    };
    assert.deepEqual(await ids(overpaid), [null, 'txn-1', null]);
    assert.deepEqual(await ids(plain), [null, null, null]);
    await sql`truncate payments, merchants restart identity cascade`.execute(db());
  });
});
