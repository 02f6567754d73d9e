import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { askedLink, hintHundredths, hintReadings, linkKey, linkMatches } from '../../app/pay/link-hint.js';

describe('pay link hints ([CURRENCY], [AMOUNTDUE])', () => {
  const group = (digits: string, sep: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);

  it('reads an amount the same whatever its separators', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), (n) => {
        const whole = (n / 100n).toString();
        const cents = (n % 100n).toString().padStart(2, '0');
        for (const text of [`${whole}.${cents}`, `${group(whole, ',')}.${cents}`, `${group(whole, '.')},${cents}`, ` ${whole}.${cents} `]) {
          assert.equal(hintHundredths(text), n, text);
        }
        if (n % 100n === 0n) assert.equal(hintHundredths(whole), n);
      }),
    );
  });

  it('reads a last separator followed by 3 or 4 digits both ways, and matches either', () => {
    assert.deepEqual(hintReadings('400000.0000'), [40000000n]);
    assert.deepEqual(hintReadings('1.500'), [150n, 150000n]);
    assert.deepEqual(hintReadings('1.505'), [150500n], 'a decimal reading must be exact in hundredths');
    const inv = { currencyCode: 'IDR', amountDue: '1500.00', total: '1500.00' };
    assert.equal(linkMatches(inv, { currency: 'IDR', amount: '1.500' }), true, 'Indonesian thousands separator');
    assert.equal(linkMatches({ currencyCode: 'PHP', amountDue: '1.50', total: '1.50' }, { currency: 'PHP', amount: '1.500' }), true, 'three decimals');
    assert.equal(linkMatches(inv, { currency: 'IDR', amount: '1500.0000' }), true, 'four decimals');
  });

  it('refuses what is not an amount', () => {
    for (const text of ['', 'abc', '-5', '1e5', '0x10', '12.345.678,9x', '1..2', ',5']) assert.equal(hintHundredths(text), undefined, text);
  });

  it('matches the amount due or the total, in the invoice currency only', () => {
    const inv = { currencyCode: 'IDR', amountDue: '250000.00', total: '400000.00' };
    assert.equal(linkMatches(inv, { currency: 'IDR', amount: '250000.00' }), true);
    assert.equal(linkMatches(inv, { currency: 'idr', amount: '250,000.00' }), true);
    assert.equal(linkMatches(inv, { currency: 'IDR', amount: '400000' }), true);
    assert.equal(linkMatches(inv, { currency: 'PHP', amount: '250000.00' }), false);
    assert.equal(linkMatches(inv, { currency: 'IDR', amount: '1' }), false);
    assert.equal(linkMatches(inv, { currency: 'IDR' }), false);
    assert.equal(linkMatches(inv, { amount: '250000.00' }), false);
  });

  it('never takes zero as proof: it is what a paid or voided invoice has due, and what anyone would guess', () => {
    const paid = { currencyCode: 'IDR', amountDue: '0.00', total: '150000.00' };
    for (const amount of ['0', '0.00', '0,00', '0.000']) assert.equal(linkMatches(paid, { currency: 'IDR', amount }), false, amount);
    assert.equal(linkMatches(paid, { currency: 'IDR', amount: '150000.00' }), true, "the paid invoice's own link still matches");
  });

  it('gives the link as asked every reading of its amount above zero, as decimals SQL compares exactly', () => {
    assert.deepEqual(askedLink({ currency: ' idr ', amount: '1.500' }), {
      key: linkKey({ currency: ' idr ', amount: '1.500' }),
      currency: 'IDR',
      amounts: ['1.50', '1500.00'],
    });
    assert.deepEqual(askedLink({ currency: 'IDR', amount: '0,00' }).amounts, [], 'zero is no proof');
    assert.deepEqual(askedLink({}, '3b241101-e2bb-4255-8caf-4136c566a962'), {
      key: linkKey({}, '3b241101-e2bb-4255-8caf-4136c566a962'),
      amounts: [],
      retry: '3b241101-e2bb-4255-8caf-4136c566a962',
    });
  });
});
