import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describeEachDatabase } from '../helpers/db.js';
import { box } from '../helpers/harness.js';
import { createStores } from '../../app/store/index.js';
import * as migration from '../../app/store/migrations/20261207T2320_chargeback_txn_once.js';

describeEachDatabase('migration 20261207T2320_chargeback_txn_once: one CHARGEBACK transaction per chargeback row', ({ db }) => {
  it("keeps the oldest row's read of a transaction two rows held; the others read again, one that booked it a second time told which entry to void", async () => {
    await sql`truncate jobs, payments, callback_events, checkouts, merchants restart identity cascade`.execute(db());
    const stores = createStores(db(), box);
    const merchant = await stores.merchants.add({ name: 'M', shortCode: '!MIGCB', xero: { clientId: 'c', clientSecret: 's', tenantId: '' } });
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 0, minute));
    const payment = await stores.payments.getOrCreate(
      {
        id: randomUUID(),
        merchantId: merchant.id,
        checkoutId: null,
        xenditInvoiceId: randomUUID(),
        xeroInvoiceId: randomUUID(),
        currency: 'IDR',
        amount: 150000,
        fee: null,
        paidAt: at(0),
        reference: 'Xendit x',
      },
      at(0),
    );
    const chargeback = async (minute: number) =>
      (
        await stores.refunds.getOrCreate(
          {
            id: randomUUID(),
            merchantId: merchant.id,
            paymentId: payment.id,
            xenditRefundId: `d${minute}`,
            currency: 'IDR',
            amount: 50000,
            reason: null,
            refundedAt: at(minute),
            kind: 'chargeback',
          },
          at(minute),
        )
      ).id;
    const [first, twice, unbooked, own] = [await chargeback(1), await chargeback(2), await chargeback(3), await chargeback(4)];
    // Back to before this migration: the rows as the by-payment read left them (the first's transaction on three rows).
    await migration.down(db());
    const read = (id: string, txn: string, entry: string | null) =>
      sql`update refunds set chargeback_txn_id = ${txn}, fee = 16650, fee_tax = 1650, fee_withheld = 0, xero_fee_txn_id = ${entry}, fee_entry_kind = ${entry ? 'spend' : null} where id = ${id}`.execute(
        db(),
      );
    await read(first, 'T1', 'bt-1');
    await read(twice, 'T1', 'bt-2');
    await read(unbooked, 'T1', null);
    await read(own, 'T4', 'bt-4');
    await migration.up(db());
    const state = async (id: string) => {
      const r = (await stores.refunds.forPayment(payment.id)).find((x) => x.id === id)!;
      return [r.chargebackFee?.txnId ?? null, r.xeroFeeTxnId, r.lastError];
    };
    assert.deepEqual(await state(first), ['T1', 'bt-1', null]);
    const [txn, entry, error] = await state(twice);
    assert.deepEqual([txn, entry], [null, null]);
    assert.match(String(error), /Xendit chargeback fee T1 was booked a second time for this chargeback \(Xero entry bt-2\).*void that entry in Xero/);
    assert.deepEqual(await state(unbooked), [null, null, null]);
    assert.deepEqual(await state(own), ['T4', 'bt-4', null]);
    assert.equal(
      await stores.refunds.noteChargebackFee(unbooked, { txnId: 'T1', fee: 1, feeTax: 0, withheld: 0 }, at(9)),
      false,
      'the index refuses a second holder',
    );
    await sql`truncate payments, merchants restart identity cascade`.execute(db());
  });
});
