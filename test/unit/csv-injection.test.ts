import { strict as assert } from 'node:assert';
import type { Report, ReportRow } from '../../app/report/reconcile.js';
import { toCsv } from '../../app/report/output.js';

describe('reconciliation CSV: formula injection', () => {
  const row = (note: string, over: Partial<ReportRow> = {}): ReportRow => ({
    date: '2026-11-25',
    xenditInvoiceId: 'x1',
    currency: 'IDR',
    xenditAmount: '150000.00',
    xenditFee: null,
    xeroPayment: null,
    xeroFee: null,
    status: 'not_from_xendit',
    note,
    ...over,
  });
  const csvOf = (rows: ReportRow[]) => {
    const report: Report = { merchant: { id: 'm', name: 'Toko' }, from: '2026-11-01', to: '2026-11-30', rows, totals: {}, reconciled: false };
    return toCsv(report).split('\r\n').slice(1, -1);
  };
  /** The note column (the last), unquoted per RFC 4180. */
  const note = (line: string) => {
    const m = /,("(?:[^"]|"")*"|[^,]*)$/.exec(line)!;
    return m[1].startsWith('"') ? m[1].slice(1, -1).replace(/""/g, '"') : m[1];
  };

  it('prefixes every cell a spreadsheet could evaluate, -1+HYPERLINK(...) included', () => {
    const dangerous = ['=1+1', '+1+1', '-1+HYPERLINK("http://evil.example","x")', '-2+3', '-1.5e3', '@SUM(A1:A2)', '\t=1+1', '\r=1+1', '-', '\uff1d1+1'];
    const lines = csvOf(dangerous.map((d) => row(d)));
    assert.deepEqual(
      lines.map(note),
      dangerous.map((d) => `'${d}`),
    );
  });

  it('leaves plain text and plain (negative) amounts as they are', () => {
    const lines = csvOf([row('Xendit 150000.00, Xero 100000.00', { xeroPayment: '-1250.50', xenditAmount: '-3' })]);
    assert.equal(lines[0], '2026-11-25,x1,IDR,-3,,-1250.50,,not_from_xendit,,"Xendit 150000.00, Xero 100000.00"');
  });
});
