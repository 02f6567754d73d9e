import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { MAX_CELL_CHARS, csvTable, type CsvLimits } from '../../app/admin/csv.js';
import { message } from '../../app/i18n/index.js';
import { MAX_BILLING_ROWS, parseBillingReport } from '../../app/admin/fee-bills/billing-report.js';
import { MAX_REPORTED_DISPUTES, parseDisputeReport } from '../../app/admin/disputes/dispute-report.js';

const ROOMY: CsvLimits = { maxRows: 1000, tooMany: message('errors:feeReportEmpty') };

const rowsOf = (text: string) => {
  const t = csvTable(text, ROOMY);
  assert.ok(!('problem' in t), JSON.stringify(t));
  return t.body.map((r) => [r.line, ...r.cells]);
};

describe('CSV uploads: rows and the lines they start on', () => {
  it('names the line of the file each row starts on, past blank lines, quoted line breaks and any line end', () => {
    const text = '\uFEFFdispute_id,reason\r\n\r\nd1,plain\n"d2","two\r\nlines"\rd3,"a ""quoted"", comma"\n\n\nd4,last';
    assert.deepEqual(rowsOf(text), [
      [3, 'd1', 'plain'],
      [4, 'd2', 'two\r\nlines'],
      [6, 'd3', 'a "quoted", comma'],
      [9, 'd4', 'last'],
    ]);
    const t = csvTable(text, ROOMY);
    assert.ok(!('problem' in t));
    assert.equal(t.col('REASON'.toLowerCase()), 1);
    assert.equal(t.col('status'), -1);
  });

  it('a dispute report names the true line of a bad id', () => {
    const parsed = parseDisputeReport('dispute_id,status\n\nmi-dspt-1,LOST\n"two\nlines",WON\n');
    assert.ok('problems' in parsed);
    assert.equal(parsed.problems.length, 1);
    assert.deepEqual(parsed.problems[0], { key: 'errors:disputeReportId', params: { line: 4, value: 'two\nlines' } });
  });

  it('any table of simple cells comes back as written, with its lines', () => {
    const cell = fc.stringMatching(/^[a-z0-9 ]{0,8}$/);
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        (rows, end) => {
          const text = ['a,b', ...rows.map((r) => r.map((c) => `"${c}"`).join(','))].join(end);
          assert.deepEqual(
            rowsOf(text),
            rows.flatMap((r, i) => (r.some((c) => c.trim() !== '') ? [[i + 2, ...r]] : [])),
          );
        },
      ),
    );
  });

  describe('a hostile or oversized upload is refused while it is read', () => {
    it('millions of blank lines hold no rows: read as a file with no rows, not millions of row objects', () => {
      const parsed = parseBillingReport('billed_at,fees_paid_amount,vat_paid_amount,net_currency\n' + '\n'.repeat(3_000_000));
      assert.deepEqual(parsed, { problems: [{ key: 'errors:feeReportNoRows' }] });
    });

    it('more rows than allowed: refused when the limit is passed, before the rest is read (an unfinished quote after it is never reached)', () => {
      const rows = Array.from({ length: MAX_REPORTED_DISPUTES + 1 }, (_, i) => `d${i},LOST`).join('\n');
      const parsed = parseDisputeReport(`dispute_id,status\n${rows}\n"never closed`);
      assert.deepEqual(parsed, { problems: [{ key: 'errors:disputeReportTooLong', params: { max: MAX_REPORTED_DISPUTES } }] });
      const exactly = Array.from({ length: MAX_REPORTED_DISPUTES }, (_, i) => `d${i},LOST`).join('\n');
      const ok = parseDisputeReport(`dispute_id,status\n${exactly}\n\n\n`);
      assert.ok('disputes' in ok && ok.disputes.length === MAX_REPORTED_DISPUTES, 'the limit itself is allowed; blank lines do not count');
      const bills = parseBillingReport('billed_at,fees_paid_amount,vat_paid_amount,net_currency\n' + '2026-11-02,1,0,IDR\n'.repeat(MAX_BILLING_ROWS + 1) + '"');
      assert.deepEqual(bills, { problems: [{ key: 'errors:feeReportTooLong', params: { max: MAX_BILLING_ROWS } }] });
    });

    it(`a cell longer than ${MAX_CELL_CHARS} characters, quoted or not, is refused with its line, before any amount in it is parsed`, () => {
      const atCap = 'x'.repeat(MAX_CELL_CHARS);
      // A quoted cell's "" is one character of it.
      const fits = csvTable(`a,b\n1,${atCap}\n2,"${atCap.slice(1)}"""\n`, ROOMY);
      assert.ok('body' in fits, JSON.stringify(fits).slice(0, 200));
      assert.deepEqual(
        fits.body.map((r) => r.cells[1]),
        [atCap, `${atCap.slice(1)}"`],
        'the cap itself is allowed',
      );
      for (const cell of [`${atCap}1`, `"${atCap.slice(1)}""x"`, `"${atCap}\n"`]) {
        assert.deepEqual(csvTable(`a,b\n\n1,${cell},c\n`, ROOMY), { problem: { key: 'errors:csvCellTooLong', params: { line: 3, max: MAX_CELL_CHARS } } });
      }
      // A fee of 20 million digits (within the upload's byte limit): named with its line, never summed.
      const digits = parseBillingReport(
        `billed_at,fees_paid_amount,vat_paid_amount,net_currency\n2026-11-02,1,0,IDR\n2026-11-03,${'9'.repeat(20_000_000)},0,IDR\n`,
      );
      assert.deepEqual(digits, { problems: [{ key: 'errors:csvCellTooLong', params: { line: 3, max: MAX_CELL_CHARS } }] });
    });

    it('a line of millions of commas is refused at the 200th column', () => {
      const parsed = parseDisputeReport('dispute_id,status\nd1' + ','.repeat(5_000_000));
      assert.deepEqual(parsed, { problems: [{ key: 'errors:csvTooManyColumns', params: { line: 2, max: 200 } }] });
    });
  });
});
