import { strict as assert } from 'node:assert';
import { feeTaxFromListing, withholdingTaken } from '../../app/clients/xendit/transactions.js';
import type { XenditPaymentTransaction } from '../../app/clients/xendit/types.js';

/**
 * Whether the tax a payment transaction shows withheld left the payment: its own net_amount decides
 * (fees taken per payment or billed monthly, the billed fee shown in net_amount or not).
 */
describe('tax withheld: taken from the payment by its net_amount', () => {
  const base = { amount: 150_000, fee: 4_350, tax: 479, withheld: 3_000 };

  it('taken: net_amount absent, paid less the tax, or paid less fee, VAT and the tax', () => {
    for (const net of [undefined, 147_000, 142_171]) assert.equal(withholdingTaken({ ...base, net }), true, String(net));
  });

  it('not taken: net_amount the whole payment, or paid less fee and VAT alone', () => {
    for (const net of [150_000, 145_171]) assert.equal(withholdingTaken({ ...base, net }), false, String(net));
  });

  it('any other net_amount: taken as shown (post-fee holds it against its figures)', () => {
    assert.equal(withholdingTaken({ ...base, net: 140_000 }), true);
    assert.equal(withholdingTaken({ ...base, withheld: 0, net: 150_000 }), true);
  });

  it("a transaction's lookup leaves out tax its net_amount shows was not taken", () => {
    const txn = (net_amount: number): XenditPaymentTransaction => ({
      id: 'txn-1',
      created: '2026-11-25T02:59:00Z',
      product_id: 'inv-1',
      reference_id: 'ext-1',
      status: 'SUCCESS',
      currency: 'IDR',
      amount: 150_000,
      net_amount,
      fee: { xendit_fee: 4_350, value_added_tax: 479, xendit_withholding_tax: 2_000, third_party_withholding_tax: 1_000, status: 'COMPLETED' },
    });
    const query = { id: 'inv-1', externalId: 'ext-1', paidAmount: 150_000, currency: 'IDR' as const };
    const taken = feeTaxFromListing([txn(142_171)], query, true);
    assert.deepEqual(taken?.kind === 'found' && taken.withholding, { xendit: 2_000, thirdParty: 1_000 });
    const shownOnly = feeTaxFromListing([txn(150_000)], query, true);
    assert.equal(shownOnly?.kind === 'found' && shownOnly.withholding, undefined);
  });
});
