import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { refundLines } from '../../app/jobs/sync/refund-lines.js';
import { toMinor } from '../../app/money.js';

const o = { description: 'Refund of INV-1', salesAccountCode: '200' };
const line = (lineAmount: string, taxAmount: string, accountCode = '200', taxType = 'OUTPUT') => ({
  description: 'x',
  quantity: '1',
  unitAmount: lineAmount,
  lineAmount,
  taxAmount,
  accountCode,
  taxType,
});

describe('refund credit-note lines (the sale’s tax reversed)', () => {
  it('an invoice without tax detail gets one tax-free line on the sales account', () => {
    assert.deepEqual(refundLines({ lineAmountTypes: 'NoTax', lineItems: [line('100', '0')] }, 5000, 'PHP', o), {
      lineAmountTypes: 'NoTax',
      lineItems: [{ description: o.description, accountCode: '200', amount: '50.00' }],
    });
    const noDetail = { lineAmountTypes: 'Exclusive', lineItems: [{ description: 'x', quantity: '1', unitAmount: '100', lineAmount: '100' }] };
    assert.equal(refundLines(noDetail, 5000, 'PHP', o).lineAmountTypes, 'NoTax', 'summary lines without TaxAmount');
  });

  it('an Exclusive invoice shares by what each line charged with its tax', () => {
    const inv = { lineAmountTypes: 'Exclusive', lineItems: [line('100.00', '12.00'), line('88.00', '0.00', '260', 'NONE')] };
    assert.deepEqual(refundLines(inv, 20000, 'PHP', o), {
      lineAmountTypes: 'Inclusive',
      lineItems: [
        { description: o.description, accountCode: '200', taxType: 'OUTPUT', amount: '112.00' },
        { description: o.description, accountCode: '260', taxType: 'NONE', amount: '88.00' },
      ],
    });
  });

  it('a discount leaving a group at zero or less falls back to the tax-free line', () => {
    const inv = { lineAmountTypes: 'Inclusive', lineItems: [line('111', '11'), line('-50', '0', '270', 'NONE')] };
    assert.equal(refundLines(inv, 61, 'IDR', o).lineAmountTypes, 'NoTax');
  });

  it('what was paid beyond the invoice (an overpayment) gets no tax back; an unreadable figure gives no split', () => {
    const inv = { lineAmountTypes: 'Inclusive', lineItems: [line('111000', '11000')] };
    assert.deepEqual(refundLines(inv, 150000, 'IDR', o).lineItems, [
      { description: o.description, accountCode: '200', taxType: 'OUTPUT', amount: '111000' },
      { description: o.description, accountCode: '200', taxType: 'NONE', amount: '39000' },
    ]);
    const odd = { lineAmountTypes: 'Inclusive', lineItems: [line('111000', '11000'), line('1e21', '0', '260', 'NONE')] };
    assert.equal(refundLines(odd, 1000, 'IDR', o).lineAmountTypes, 'NoTax');
  });

  it('the lines always add up to the amount exactly, in the currency’s units', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.constantFrom('200', '260', '270')), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.integer({ min: 1, max: 50_000_000 }),
        fc.constantFrom('IDR' as const, 'PHP' as const),
        (lines, amount, currency) => {
          const inv = { lineAmountTypes: 'Inclusive', lineItems: lines.map(([a, t, code], i) => line(String(a), i === 0 ? String(t || 1) : String(t), code)) };
          const out = refundLines(inv, amount, currency, o);
          const sum = out.lineItems.reduce((s, li) => s + toMinor(li.amount, currency), 0);
          assert.equal(sum, amount);
          assert.ok(out.lineItems.every((li) => toMinor(li.amount, currency) > 0));
        },
      ),
    );
  });
});
