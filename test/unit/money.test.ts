import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { AmountError, FractionalAmountError, numberToDecimal, toDecimal, toMinor, SUPPORTED_CURRENCIES } from '../../app/money.js';

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

  it('sizes an amount before parsing it: millions of digits are refused at once, not after seconds holding the event loop', () => {
    // Each case took seconds before (BigInt of 8 million digits: ~6 s; /0+$/ over 50 000 zeros: ~5 s).
    const quick = <T>(what: string, f: () => T): T => {
      const started = performance.now();
      try {
        return f();
      } finally {
        const ms = performance.now() - started;
        assert.ok(ms < 1000, `${what} took ${Math.round(ms)} ms`);
      }
    };
    quick('8 million digits', () => assert.throws(() => toMinor('9'.repeat(8_000_000), 'IDR'), /amount too large: 9{40}…$/));
    quick('a fraction of 50 000 zeros and a 1', () => assert.throws(() => toMinor(`1.${'0'.repeat(50_000)}1`, 'PHP'), FractionalAmountError));
    // Zeros that change nothing are still read as they always were.
    assert.equal(
      quick('leading zeros', () => toMinor(`${'0'.repeat(8_000_000)}12.5`, 'PHP')),
      1250,
    );
    assert.equal(
      quick('trailing zeros', () => toMinor(`12.5${'0'.repeat(8_000_000)}`, 'PHP')),
      1250,
    );
    // The largest exact amounts pass, one more digit does not.
    assert.equal(toMinor('9007199254740991', 'IDR'), Number.MAX_SAFE_INTEGER);
    assert.equal(toMinor('90071992547409.91', 'USD'), Number.MAX_SAFE_INTEGER);
    assert.throws(() => toMinor('10000000000000000', 'IDR'), /too large/);
    assert.throws(() => toMinor('100000000000000', 'USD'), /too large/);
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
