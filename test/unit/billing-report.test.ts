import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { parseBillingReport } from '../../app/admin/fee-bills/billing-report.js';

const HEAD = 'Transaction_ID,Billed_At,Net_Currency,Fees_Paid_Amount,VAT_Paid_Amount,extra';

describe('Xendit billing report (CSV)', () => {
  it('sums each month and currency exactly in minor units, whatever the column order, case, quoting and line ends', () => {
    const csv = [
      'extra,vat_paid_amount,NET_CURRENCY,billed_at,fees_paid_amount',
      'a,"0.11",PHP,2026-10-31T23:59:59+08:00,"1.01"',
      'b,0.10,PHP,2026-10-01 00:00:00,1.00',
      '"c, with comma ""quoted""",0,PHP,2026-11-01 00:00:00,0.01',
      'd,,IDR,2026-11-15,4500',
    ].join('\r\n');
    assert.deepEqual(parseBillingReport(`\uFEFF${csv}\r\n`), {
      totals: [
        { period: '2026-10', currency: 'PHP', rows: 2, fees: 201, vat: 21 },
        { period: '2026-11', currency: 'IDR', rows: 1, fees: 4500, vat: 0 },
        { period: '2026-11', currency: 'PHP', rows: 1, fees: 1, vat: 0 },
      ],
    });
  });

  it('names what is wrong, by line, and sums nothing then', () => {
    const result = parseBillingReport([HEAD, 't1,2026-11-01,IDR,10.5,0,x', 't2,2026-11-01,EUR,1,0,x', 't3,soon,IDR,1,0,x'].join('\n'));
    assert.deepEqual(result, {
      problems: [
        { key: 'errors:feeReportAmount', params: { line: 2, currency: 'IDR' } },
        { key: 'errors:feeReportCurrency', params: { line: 3, value: 'EUR' } },
        { key: 'errors:feeReportDate', params: { line: 4, value: 'soon' } },
      ],
    });
    assert.deepEqual(parseBillingReport(HEAD), { problems: [{ key: 'errors:feeReportNoRows' }] });
  });

  it('takes real days from 2000 to 2099 only, as the date fields do (a year 0042 would be booked as 1942)', () => {
    const rows = ['t1,0042-05-31 10:00:00,IDR,1,0,x', 't2,2100-01-01,IDR,1,0,x', 't3,2026-02-30,IDR,1,0,x', 't4,1999-12-31T23:59:59+07:00,IDR,1,0,x'];
    assert.deepEqual(parseBillingReport([HEAD, ...rows].join('\n')), {
      problems: [
        { key: 'errors:feeReportDateRange', params: { line: 2, value: '0042-05-31 10:00:00' } },
        { key: 'errors:feeReportDateRange', params: { line: 3, value: '2100-01-01' } },
        { key: 'errors:feeReportDate', params: { line: 4, value: '2026-02-30' } },
        { key: 'errors:feeReportDateRange', params: { line: 5, value: '1999-12-31T23:59:59+07:00' } },
      ],
    });
    assert.deepEqual(parseBillingReport([HEAD, 't1,2000-01-01,IDR,1,0,x', 't2,2099-12-31T23:59:59Z,IDR,2,0,x'].join('\n')), {
      totals: [
        { period: '2000-01', currency: 'IDR', rows: 1, fees: 1, vat: 0 },
        { period: '2099-12', currency: 'IDR', rows: 1, fees: 2, vat: 0 },
      ],
    });
  });

  it("sums exactly past Number's exact range on the way; refuses a month whose fees, VAT or their total is past it", () => {
    const max = String(Number.MAX_SAFE_INTEGER);
    // max + 2 is not a Number: summed so, the month would come out 1 or 3, not 2.
    const back = parseBillingReport([HEAD, `t1,2026-11-01,IDR,${max},0,x`, 't2,2026-11-02,IDR,2,0,x', `t3,2026-11-03,IDR,-${max},0,x`].join('\n'));
    assert.deepEqual(back, { totals: [{ period: '2026-11', currency: 'IDR', rows: 3, fees: 2, vat: 0 }] });
    for (const rows of [
      [`t1,2026-11-01,IDR,${max},1,x`],
      [`t1,2026-11-01,IDR,${max},0,x`, 't2,2026-11-01,IDR,1,0,x'],
      [`t1,2026-11-01,IDR,0,${max},x`, 't2,2026-11-01,IDR,0,1,x'],
    ])
      assert.deepEqual(
        parseBillingReport([HEAD, ...rows].join('\n')),
        {
          problems: [{ key: 'errors:feeReportTooLarge', params: { month: '2026-11 IDR' } }],
        },
        rows.join(' | '),
      );
  });

  it('never throws, whatever the upload; every total it gives is a whole number of minor units', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (junk) => {
        const r = parseBillingReport(junk);
        if ('totals' in r) for (const t of r.totals) assert.ok(Number.isSafeInteger(t.fees) && Number.isSafeInteger(t.vat));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 28 })), {
          minLength: 1,
          maxLength: 40,
        }),
        (rows) => {
          const csv = [
            HEAD,
            ...rows.map(([fee, vat, day], i) => `t${i},2026-11-${String(day).padStart(2, '0')},PHP,${(fee / 100).toFixed(2)},${(vat / 100).toFixed(2)},`),
          ].join('\n');
          const r = parseBillingReport(csv);
          assert.ok('totals' in r);
          assert.deepEqual(r.totals, [
            { period: '2026-11', currency: 'PHP', rows: rows.length, fees: rows.reduce((s, [f]) => s + f, 0), vat: rows.reduce((s, [, v]) => s + v, 0) },
          ]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
