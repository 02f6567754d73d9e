import { strict as assert } from 'node:assert';
import { format, hundredths, type Report } from '../../app/report/reconcile.js';
import { toCsv } from '../../app/report/output.js';

describe('reconciliation report formatting', () => {
  it('reads and writes amounts in exact hundredths', () => {
    assert.equal(hundredths('150000'), 15000000n);
    assert.equal(hundredths('12.5'), 1250n);
    assert.equal(hundredths('-0.07'), -7n);
    assert.throws(() => hundredths('1.005'), RangeError);
    assert.throws(() => hundredths('1e3'), RangeError);
    assert.deepEqual([0n, 7n, -7n, 15000000n, -1250n].map(format), ['0.00', '0.07', '-0.07', '150000.00', '-12.50']);
  });

  it('writes RFC 4180 CSV and defuses spreadsheet formulas, but not negative amounts', () => {
    const report: Report = {
      merchant: { id: 'm', name: 'M' },
      from: '2026-11-01',
      to: '2026-11-30',
      totals: {},
      reconciled: false,
      rows: [
        {
          date: '2026-11-25',
          xenditInvoiceId: null,
          currency: 'IDR',
          xenditAmount: null,
          xenditFee: null,
          xeroPayment: '-12.50',
          xeroFee: null,
          status: 'not_from_xendit',
          note: 'SPEND "=HYPERLINK(1)", x',
        },
        {
          date: '2026-11-25',
          xenditInvoiceId: '=cmd',
          currency: 'IDR',
          xenditAmount: '1.00',
          xenditFee: '0.00',
          xeroPayment: null,
          xeroFee: null,
          status: 'missing_in_xero',
          note: 'no payment in Xero',
          xenditMode: 'live',
        },
      ],
    };
    assert.deepEqual(toCsv(report).split('\r\n'), [
      'date,xendit_invoice_id,currency,xendit_amount,xendit_fee,xero_payment,xero_fee,status,xendit_mode,note',
      '2026-11-25,,IDR,,,-12.50,,not_from_xendit,,"SPEND ""=HYPERLINK(1)"", x"',
      "2026-11-25,'=cmd,IDR,1.00,0.00,,,missing_in_xero,live,no payment in Xero",
      '',
    ]);
  });
});
