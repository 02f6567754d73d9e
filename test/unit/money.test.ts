import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { AmountError, numberToDecimal, toDecimal, toMinor, SUPPORTED_CURRENCIES } from '../../app/money.js';

describe('money', () => {
  it('converts decimals to minor units per currency', () => {
    assert.equal(toMinor('150000.00', 'IDR'), 150000);
    assert.equal(toMinor('150000', 'IDR'), 150000);
    assert.equal(toMinor('12.5', 'PHP'), 1250);
    assert.equal(toMinor('0.01', 'USD'), 1);
    assert.equal(toMinor('25000', 'VND'), 25000);
  });

  it('refuses precision the currency cannot be charged in', () => {
    assert.throws(() => toMinor('100.50', 'IDR'), AmountError);
    assert.throws(() => toMinor('1.001', 'PHP'), AmountError);
    assert.throws(() => toMinor('1e5', 'PHP'), AmountError);
    assert.throws(() => toMinor('abc', 'PHP'), AmountError);
    assert.throws(() => toMinor('99999999999999999999', 'IDR'), AmountError);
  });

  it('formats minor units back to decimals', () => {
    assert.equal(toDecimal(1250, 'PHP'), '12.50');
    assert.equal(toDecimal(5, 'PHP'), '0.05');
    assert.equal(toDecimal(150000, 'IDR'), '150000');
    assert.equal(toDecimal(-5, 'USD'), '-0.05');
  });

  it('reads SDK numbers without float drift', () => {
    assert.equal(numberToDecimal(1234.5), '1234.5');
    assert.equal(numberToDecimal(150000.07), '150000.07');
    assert.throws(() => numberToDecimal(1e21), AmountError);
    assert.throws(() => numberToDecimal(NaN), AmountError);
  });

  it('round-trips every amount (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SUPPORTED_CURRENCIES), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (cur, minor) => {
        assert.equal(toMinor(toDecimal(minor, cur), cur), minor);
      }),
    );
  });
});
