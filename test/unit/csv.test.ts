import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { csvTable } from '../../app/admin/csv.js';
import { parseDisputeReport } from '../../app/admin/disputes/dispute-report.js';

const rowsOf = (text: string) => {
  const t = csvTable(text);
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
    const t = csvTable(text);
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
});
