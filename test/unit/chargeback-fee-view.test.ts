import { strict as assert } from 'node:assert';
import { chargebackFeeView } from '../../app/admin/payments/chargeback-fee.js';
import type { Refund } from '../../app/store/refunds.js';

/** How a booked chargeback's fee reads on its payment's page, by what its LOST job's state says. */
describe("a chargeback's fee on its payment's page", () => {
  const booked = {
    kind: 'chargeback',
    state: 'recorded',
    amount: 100_000,
    lastError: 'Xero refused the fee',
    xeroFeeTxnId: null,
    feeEntryKind: null,
    chargebackFee: { txnId: 'txn-1', fee: 15_000, tax: 0, withheld: 0, amount: 100_000, inAmount: false },
  } as unknown as Refund;

  it('reads its LOST job handled by hand (admin/review) as handled, not as still going into Xero', () => {
    assert.equal(chargebackFeeView(booked, 'handled')?.state, 'handled');
    assert.equal(chargebackFeeView(booked, 'handled')?.reason, null);
  });

  it('keeps the other states as they were', () => {
    assert.deepEqual(
      (['needs_review', 'done', 'queued', 'running', null] as const).map((s) => chargebackFeeView(booked, s)?.state),
      ['review', 'notBooked', 'toBook', 'toBook', 'toBook'],
    );
  });
});
